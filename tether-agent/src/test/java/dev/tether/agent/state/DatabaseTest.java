package dev.tether.agent.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteConnection;

/** The agent's transactions on a real {@code agent.db}: all or nothing, whatever fails, the work or the lock. */
class DatabaseTest {

    /** Short, so a stall past it takes a fraction of a second instead of the agent's 5 s. */
    private static final Duration BUSY_TIMEOUT = Duration.ofMillis(300);

    @TempDir
    Path dir;
    private Database db;

    @BeforeEach
    void open() throws SQLException {
        db = Database.open(file(), BUSY_TIMEOUT);
        db.write("create the table", c -> {
            try (Statement create = c.createStatement()) {
                create.execute("CREATE TABLE log (k INTEGER NOT NULL)");
            }
            return null;
        });
    }

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void anErrorThrownInsideAWriteCommitsNothingAndTheNextWriteCommits() {
        assertThatThrownBy(() -> db.write("fail hard", c -> {
            insert(c, 1);
            throw new OutOfMemoryError("thrown by the test after writing");
        })).isInstanceOf(OutOfMemoryError.class).hasMessage("thrown by the test after writing");

        assertThat(logged()).isEmpty();
        db.write("insert 2", c -> insert(c, 2));
        assertThat(logged()).containsExactly(2);
    }

    @Test
    void aWriteThatCannotTakeTheLockFailsAndTheNextWriteIsStillOneTransaction() throws SQLException {
        try (Connection holder = DriverManager.getConnection("jdbc:sqlite:" + file())) {
            try (Statement begin = holder.createStatement()) {
                begin.execute("BEGIN IMMEDIATE");
            }
            assertThatThrownBy(() -> db.write("insert 1", c -> insert(c, 1)))
                    .isInstanceOf(StateStoreException.class).hasMessageContaining("could not insert 1")
                    .hasMessageContaining("locked");
            try (Statement rollback = holder.createStatement()) {
                rollback.execute("ROLLBACK");
            }
        }

        assertThatThrownBy(() -> db.write("insert 2 and 3, then fail", c -> {
            insert(c, 2);
            insert(c, 3);
            throw new IllegalStateException("thrown by the test after writing");
        })).isInstanceOf(IllegalStateException.class);

        assertThat(logged()).isEmpty();
        db.write("insert 4", c -> insert(c, 4));
        assertThat(logged()).containsExactly(4);
    }

    @Test
    void aLazyWriteCommitsAndEveryLaterWriteIsSyncedAgain() {
        assertThat(db.synchronousMode()).as("FULL").isEqualTo(2);

        db.writeLazily("insert 1", c -> insert(c, 1));

        assertThat(logged()).containsExactly(1);
        assertThat(db.synchronousMode()).as("FULL again after the lazy write").isEqualTo(2);
    }

    /** SQLite may run a PRAGMA when it is prepared: a kept one would leave every lazy write after the first synced. */
    @Test
    void everyLazyWriteRunsUnsyncedAndEveryWriteAfterItSynced() {
        for (int k = 1; k <= 3; k++) {
            int inside = db.writeLazily("insert " + k, c -> {
                insert(c, 1);
                return Database.queryLong(c, "PRAGMA synchronous").intValue();
            });
            assertThat(inside).as("NORMAL inside lazy write " + k).isEqualTo(1);
            int durable = db.write("insert again", c -> Database.queryLong(c, "PRAGMA synchronous").intValue());
            assertThat(durable).as("FULL inside the durable write after it").isEqualTo(2);
        }
    }

    @Test
    void whatAWriteAsksToRunAfterItsCommitRunsInOrderOnceCommittedAndNeverAfterARollback() {
        List<String> ran = new ArrayList<>();
        db.write("insert 1", c -> {
            insert(c, 1);
            db.afterCommit(() -> ran.add("first, rows " + logged()));
            db.afterCommit(() -> ran.add("second"));
            return null;
        }, result -> ran.add("committed"));
        assertThat(ran).containsExactly("first, rows [1]", "second", "committed");

        ran.clear();
        assertThatThrownBy(() -> db.write("insert 2, then fail", c -> {
            insert(c, 2);
            db.afterCommit(() -> ran.add("after a rollback"));
            throw new StackOverflowError("thrown by the test after writing");
        })).isInstanceOf(StackOverflowError.class);
        db.write("insert 3", c -> insert(c, 3));
        assertThat(ran).as("nothing left over from the rolled-back write either").isEmpty();
        assertThat(logged()).containsExactly(1, 3);
        assertThatThrownBy(() -> db.afterCommit(() -> { })).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aTriedWriteDoesNothingAndDoesNotWaitWhileAnotherThreadHoldsTheStore() throws Exception {
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread holder = Thread.ofPlatform().start(() -> db.write("hold the store", c -> {
            holding.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return insert(c, 1);
        }));
        holding.await();

        long started = System.nanoTime();
        boolean wrote = db.tryWriteLazily("insert 2", c -> insert(c, 2), null);
        long tookMillis = (System.nanoTime() - started) / 1_000_000;
        release.countDown();
        holder.join();

        assertThat(wrote).isFalse();
        assertThat(tookMillis).as("did not wait for the holder").isLessThan(BUSY_TIMEOUT.toMillis());
        assertThat(db.tryWriteLazily("insert 3", c -> insert(c, 3), null)).isTrue();
        assertThat(logged()).containsExactly(1, 3);
    }

    /** sqlite-jdbc would otherwise run a SELECT last_insert_rowid() after every INSERT, for keys never read. */
    @Test
    void theConnectionDoesNotReadGeneratedKeysBackAfterItsInserts() {
        boolean keys = db.read("config", c -> c.unwrap(SQLiteConnection.class).getConnectionConfig()
                .isGetGeneratedKeys());
        assertThat(keys).isFalse();
    }

    @Test
    void aKeptStatementIsPreparedOncePerConnectionAndOnlyInsideWork() throws SQLException {
        PreparedStatement first = db.write("insert 1", c -> {
            PreparedStatement s = db.prepared(c, "INSERT INTO log (k) VALUES (?)");
            s.setInt(1, 1);
            s.executeUpdate();
            return s;
        });
        PreparedStatement second = db.write("insert 2", c -> {
            PreparedStatement s = db.prepared(c, "INSERT INTO log (k) VALUES (?)");
            s.setInt(1, 2);
            s.executeUpdate();
            return s;
        });

        assertThat(second).isSameAs(first);
        assertThat(logged()).containsExactly(1, 2);
        assertThatThrownBy(() -> db.prepared(null, "SELECT 1")).isInstanceOf(IllegalStateException.class);
        db.close();
        assertThat(first.isClosed()).as("closed with the database").isTrue();
    }

    @Test
    void aLazyWriteThatFailsAnyWayCommitsNothingAndLeavesTheConnectionSynced() throws SQLException {
        assertThatThrownBy(() -> db.writeLazily("fail hard", c -> {
            insert(c, 1);
            throw new StackOverflowError("thrown by the test after writing");
        })).isInstanceOf(StackOverflowError.class);
        assertThat(db.synchronousMode()).isEqualTo(2);

        try (Connection holder = DriverManager.getConnection("jdbc:sqlite:" + file())) {
            try (Statement begin = holder.createStatement()) {
                begin.execute("BEGIN IMMEDIATE");
            }
            assertThatThrownBy(() -> db.writeLazily("insert 2", c -> insert(c, 2)))
                    .isInstanceOf(StateStoreException.class).hasMessageContaining("locked");
            try (Statement rollback = holder.createStatement()) {
                rollback.execute("ROLLBACK");
            }
        }

        assertThat(logged()).isEmpty();
        assertThat(db.synchronousMode()).as("a failed BEGIN must not leave the connection unsynced").isEqualTo(2);
    }

    @Test
    void aWriteInsideAWriteIsRefusedAndTheOuterOneRollsBack() {
        assertThatThrownBy(() -> db.write("outer", c -> {
            insert(c, 1);
            return db.write("inner", inner -> insert(inner, 2));
        })).isInstanceOf(IllegalStateException.class).hasMessageContaining("a write inside a write");

        assertThat(logged()).isEmpty();
    }

    private Path file() {
        return dir.resolve("agent.db");
    }

    private static int insert(Connection c, int k) throws SQLException {
        try (PreparedStatement insert = c.prepareStatement("INSERT INTO log (k) VALUES (?)")) {
            insert.setInt(1, k);
            return insert.executeUpdate();
        }
    }

    private List<Integer> logged() {
        return db.read("read the log", c -> {
            List<Integer> rows = new ArrayList<>();
            try (Statement select = c.createStatement(); ResultSet row = select.executeQuery(
                    "SELECT k FROM log ORDER BY k")) {
                while (row.next()) {
                    rows.add(row.getInt(1));
                }
            }
            return rows;
        });
    }
}
