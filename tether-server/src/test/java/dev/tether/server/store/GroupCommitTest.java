package dev.tether.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SQLite's group commit, on a real database file: shared commits, and failures that stay their caller's. */
class GroupCommitTest {

    private static final int CALLERS = 40;
    /** Short, so a stall past it takes seconds instead of the server's 10 s. */
    private static final Duration BUSY_TIMEOUT = Duration.ofSeconds(2);

    @TempDir
    Path dir;

    private Database db;
    private ExecutorService callers;

    @BeforeEach
    void open() {
        db = Database.open(url() + "?busy_timeout=" + BUSY_TIMEOUT.toMillis(), CALLERS + 1);
        callers = Executors.newFixedThreadPool(CALLERS + 1);
        db.inTransaction("create table", connection -> {
            try (Statement create = connection.createStatement()) {
                create.execute("CREATE TABLE t (k INTEGER NOT NULL UNIQUE)");
                create.execute("CREATE TABLE log (k INTEGER NOT NULL)");
            }
            return null;
        });
    }

    @AfterEach
    void close() throws InterruptedException {
        callers.shutdownNow();
        callers.awaitTermination(10, TimeUnit.SECONDS);
        db.close();
    }

    @Test
    void transactionsWaitingTogetherShareOneCommit() throws Exception {
        CountDownLatch release = holdTheWriter();
        List<CompletableFuture<Integer>> inserts = new ArrayList<>();
        for (int k = 1; k <= CALLERS; k++) {
            inserts.add(insert(k));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> db.groupCommit().waiting() == CALLERS);
        long groupsBefore = db.groupCommit().groups();

        release.countDown();

        for (CompletableFuture<Integer> insert : inserts) {
            assertThat(insert.get(10, TimeUnit.SECONDS)).isEqualTo(1);
        }
        assertThat(db.groupCommit().groups() - groupsBefore).isEqualTo(1);
        assertThat(count()).isEqualTo(CALLERS);
    }

    @Test
    void aFailingTransactionFailsAloneAndTheRestOfItsGroupCommits() throws Exception {
        insert(7).get(10, TimeUnit.SECONDS);
        CountDownLatch release = holdTheWriter();
        List<CompletableFuture<Integer>> fine = new ArrayList<>();
        for (int k = 1; k <= 5; k++) {
            fine.add(insert(k));
        }
        CompletableFuture<Integer> duplicate = insert(7);
        CompletableFuture<Object> refused = CompletableFuture.supplyAsync(() -> db.inTransaction("refuse",
                connection -> {
                    insertIn(connection, 100);
                    throw new IllegalArgumentException("refused after writing");
                }), callers);
        for (int k = 6; k <= 9; k += 2) {
            fine.add(insert(k));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> db.groupCommit().waiting() == 9);

        release.countDown();

        for (CompletableFuture<Integer> insert : fine) {
            assertThat(insert.get(10, TimeUnit.SECONDS)).isEqualTo(1);
        }
        assertThatThrownBy(() -> duplicate.get(10, TimeUnit.SECONDS))
                .cause().isInstanceOf(StoreException.class)
                .cause().isInstanceOf(SQLException.class).satisfies(e ->
                        assertThat(db.dialect().isUniqueViolation((SQLException) e)).isTrue());
        assertThatThrownBy(() -> refused.get(10, TimeUnit.SECONDS))
                .cause().isInstanceOf(IllegalArgumentException.class).hasMessage("refused after writing");
        // 1..8 (7 from before); the refused transaction's row is rolled back with it.
        assertThat(count()).isEqualTo(8);
        assertThat(exists(100)).isFalse();
    }

    @Test
    void aGroupThatCannotTakeTheWriteLockFailsCleanlyAndTheNextGroupOfThreeCommitsThreeRows() throws Exception {
        Throwable refused;
        List<CompletableFuture<Integer>> group;
        try (Connection holder = holdTheWriteLock()) {
            CompletableFuture<Integer> stalled = log(1);
            await().atMost(Duration.ofSeconds(10)).until(() -> db.groupCommit().waiting() == 0);
            // Queued while the writer waits for the lock, so they are the group right after the failed one.
            group = List.of(log(2), log(3), log(4));
            await().atMost(BUSY_TIMEOUT).until(() -> db.groupCommit().waiting() == 3);
            refused = catchThrowable(() -> stalled.get(10, TimeUnit.SECONDS));
            release(holder);
        }

        List<Object> results = new ArrayList<>();
        for (CompletableFuture<Integer> insert : group) {
            results.add(insert.handle((inserted, failure) -> failure == null ? inserted : failure).get(10,
                    TimeUnit.SECONDS));
        }
        assertThat(logged()).containsExactly(2, 3, 4);
        assertThat(results).containsExactly(1, 1, 1);
        assertThat(refused).cause().isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining("nothing was changed")
                .satisfies(e -> assertThat(((StoreUnavailableException) e).outcomeUnknown()).isFalse());
    }

    @Test
    void anErrorThrownInsideATransactionCommitsNothingOfItAndTheRestOfItsGroupCommits() throws Exception {
        CountDownLatch release = holdTheWriter();
        CompletableFuture<Integer> before = log(1);
        CompletableFuture<Object> failing = CompletableFuture.supplyAsync(() -> db.inTransaction("fail hard",
                connection -> {
                    insertLog(connection, 100);
                    throw new StackOverflowError("thrown by the test after writing");
                }), callers);
        await().atMost(Duration.ofSeconds(10)).until(() -> db.groupCommit().waiting() == 2);
        CompletableFuture<Integer> after = log(2);
        await().atMost(Duration.ofSeconds(10)).until(() -> db.groupCommit().waiting() == 3);

        release.countDown();

        assertThatThrownBy(() -> failing.get(10, TimeUnit.SECONDS)).cause()
                .isInstanceOf(StackOverflowError.class).hasMessage("thrown by the test after writing");
        assertThat(before.get(10, TimeUnit.SECONDS)).isEqualTo(1);
        assertThat(after.get(10, TimeUnit.SECONDS)).isEqualTo(1);
        assertThat(logged()).containsExactly(1, 2);
    }

    @Test
    void anErrorThrownInsideATransactionRunningAloneCommitsNothing() {
        assertThatThrownBy(() -> db.inTransaction("fail hard", connection -> {
            insertLog(connection, 100);
            throw new AssertionError("thrown by the test after writing");
        })).isInstanceOf(AssertionError.class);

        assertThat(logged()).isEmpty();
        int inserted = db.inTransaction("insert after", connection -> insertLog(connection, 1));
        assertThat(inserted).isEqualTo(1);
        assertThat(logged()).containsExactly(1);
    }

    @Test
    void aTransactionInsideATransactionIsRefused() {
        assertThatThrownBy(() -> db.inTransaction("outer", connection -> db.inTransaction("inner", c -> 1)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("inside a transaction");
    }

    /** A second, plain sqlite-jdbc connection that takes SQLite's write lock, as an operator's sqlite3 would. */
    private Connection holdTheWriteLock() throws SQLException {
        Connection holder = DriverManager.getConnection(url());
        try (Statement begin = holder.createStatement()) {
            begin.execute("BEGIN IMMEDIATE");
        }
        return holder;
    }

    private static void release(Connection holder) throws SQLException {
        try (Statement rollback = holder.createStatement()) {
            rollback.execute("ROLLBACK");
        }
    }

    private String url() {
        return "jdbc:sqlite:" + dir.resolve("group.db");
    }

    private CompletableFuture<Integer> log(int k) {
        return CompletableFuture.supplyAsync(() -> db.inTransaction("log " + k, connection ->
                insertLog(connection, k)), callers);
    }

    private static int insertLog(Connection connection, int k) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO log (k) VALUES (?)")) {
            insert.setInt(1, k);
            return insert.executeUpdate();
        }
    }

    /** Every row of {@code log}, duplicates included, in order. */
    private List<Integer> logged() {
        return db.withConnection("logged", connection -> {
            List<Integer> rows = new ArrayList<>();
            try (Statement select = connection.createStatement(); ResultSet row = select.executeQuery(
                    "SELECT k FROM log ORDER BY k")) {
                while (row.next()) {
                    rows.add(row.getInt(1));
                }
            }
            return rows;
        });
    }

    /** A unit that keeps the writer busy until the returned latch opens, so the next callers queue up. */
    private CountDownLatch holdTheWriter() throws InterruptedException {
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        callers.execute(() -> db.inTransaction("hold", connection -> {
            running.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        }));
        assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
        return release;
    }

    private CompletableFuture<Integer> insert(int k) {
        return CompletableFuture.supplyAsync(() -> db.inTransaction("insert " + k, connection ->
                insertIn(connection, k)), callers);
    }

    private static int insertIn(Connection connection, int k) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO t (k) VALUES (?)")) {
            insert.setInt(1, k);
            return insert.executeUpdate();
        }
    }

    private int count() {
        return db.withConnection("count", connection -> {
            try (Statement select = connection.createStatement(); ResultSet row = select.executeQuery(
                    "SELECT COUNT(*) FROM t")) {
                row.next();
                return row.getInt(1);
            }
        });
    }

    private boolean exists(int k) {
        return db.withConnection("exists", connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT 1 FROM t WHERE k = ?")) {
                select.setInt(1, k);
                try (ResultSet row = select.executeQuery()) {
                    return row.next();
                }
            }
        });
    }
}
