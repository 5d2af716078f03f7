package dev.tether.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.server.testing.TestDatabase;
import java.sql.ResultSet;
import java.sql.Statement;
import org.sqlite.SQLiteConnection;
import org.junit.jupiter.api.Test;

class SqliteStoreTest extends StoreTest {

    @Override
    TestDatabase database() {
        return TestDatabase.SQLITE;
    }

    @Test
    void sqliteRunsInWalModeWithABusyTimeout() {
        db.withConnection("pragmas", connection -> {
            try (Statement statement = connection.createStatement()) {
                try (ResultSet row = statement.executeQuery("PRAGMA journal_mode")) {
                    row.next();
                    assertThat(row.getString(1)).isEqualToIgnoringCase("wal");
                }
                try (ResultSet row = statement.executeQuery("PRAGMA busy_timeout")) {
                    row.next();
                    assertThat(row.getInt(1)).isPositive();
                }
                try (ResultSet row = statement.executeQuery("PRAGMA cache_size")) {
                    row.next();
                    assertThat(row.getInt(1)).isEqualTo(-Database.READER_CACHE_KIB);
                }
            }
            return null;
        });
    }

    /** sqlite-jdbc would otherwise run a SELECT last_insert_rowid() after every INSERT (AuditLog uses RETURNING). */
    @Test
    void noConnectionReadsGeneratedKeysBackAfterItsInserts() {
        boolean keys = db.withConnection("config", connection ->
                connection.unwrap(SQLiteConnection.class).getConnectionConfig().isGetGeneratedKeys());
        boolean writersKeys = db.inTransaction("config", connection ->
                connection.unwrap(SQLiteConnection.class).getConnectionConfig().isGetGeneratedKeys());

        assertThat(keys).isFalse();
        assertThat(writersKeys).isFalse();
    }
}
