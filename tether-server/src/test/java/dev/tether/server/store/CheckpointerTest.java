package dev.tether.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SQLite's log copied into the database file off the writer's path: the writer's commits never checkpoint
 * (its connection has {@code wal_autocheckpoint = 0}), so the database file only grows when the
 * {@link Checkpointer} runs.
 */
class CheckpointerTest {

    private static final int ROWS = 3000;
    private static final int ROW_BYTES = 1024;

    @TempDir
    Path dir;

    private Database db;

    @BeforeEach
    void open() {
        db = Database.open("jdbc:sqlite:" + file(), 4);
        db.inTransaction("create table", connection -> {
            try (Statement create = connection.createStatement()) {
                create.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB NOT NULL)");
            }
            return null;
        });
    }

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void committedPagesReachTheDatabaseFileWithoutAnotherWrite() throws Exception {
        long before = Files.size(file());
        for (int from = 0; from < ROWS; from += 100) {
            int first = from;
            db.inTransaction("insert rows", connection -> {
                try (PreparedStatement insert = connection.prepareStatement("INSERT INTO t (k, v) VALUES (?, ?)")) {
                    for (int k = first; k < first + 100; k++) {
                        insert.setInt(1, k);
                        insert.setBytes(2, new byte[ROW_BYTES]);
                        insert.executeUpdate();
                    }
                }
                return null;
            });
        }
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(Files.size(file())).isGreaterThan(before + (long) ROWS * ROW_BYTES));
        int stored = db.withConnection("count", connection -> {
            try (Statement count = connection.createStatement(); ResultSet row = count.executeQuery(
                    "SELECT COUNT(*) FROM t")) {
                row.next();
                return row.getInt(1);
            }
        });
        assertThat(stored).isEqualTo(ROWS);
    }

    @Test
    void theWritersOwnCommitsDoNotCheckpoint() {
        int autocheckpoint = db.inTransaction("read the writer's setting", connection -> {
            try (Statement pragma = connection.createStatement(); ResultSet row = pragma.executeQuery(
                    "PRAGMA wal_autocheckpoint")) {
                row.next();
                return row.getInt(1);
            }
        });
        assertThat(autocheckpoint).isZero();
    }

    @Test
    void anErrorInACheckpointDoesNotEndTheThreadAndTheNextOneCopiesTheLog() throws Exception {
        Path file = dir.resolve("error.db");
        // A writer that never checkpoints itself, kept open (the last connection to close would checkpoint).
        try (java.sql.Connection writer = java.sql.DriverManager.getConnection("jdbc:sqlite:" + file);
                Statement sql = writer.createStatement()) {
            sql.execute("PRAGMA journal_mode = WAL");
            sql.execute("PRAGMA wal_autocheckpoint = 0");
            sql.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB NOT NULL)");
            sql.execute("WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < " + ROWS
                    + ") INSERT INTO t SELECT k, zeroblob(" + ROW_BYTES + ") FROM n");
            long before = Files.size(file);
            try (FailingOncePool pool = new FailingOncePool("jdbc:sqlite:" + file);
                    Checkpointer checkpointer = Checkpointer.start(pool)) {

                checkpointer.committed();

                await().atMost(Duration.ofSeconds(10)).until(() -> pool.failed);
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                        assertThat(Files.size(file)).isGreaterThan(before + (long) ROWS * ROW_BYTES));
            }
        }
    }

    /** A pool whose first connection is refused with an {@code Error}, as an exhausted heap would. */
    private static final class FailingOncePool extends com.zaxxer.hikari.HikariDataSource {
        volatile boolean failed;

        FailingOncePool(String url) {
            setJdbcUrl(url);
            setMaximumPoolSize(1);
        }

        @Override
        public java.sql.Connection getConnection() throws java.sql.SQLException {
            if (!failed) {
                failed = true;
                throw new OutOfMemoryError("thrown by the test");
            }
            return super.getConnection();
        }
    }

    private Path file() {
        return dir.resolve("checkpoint.db");
    }
}
