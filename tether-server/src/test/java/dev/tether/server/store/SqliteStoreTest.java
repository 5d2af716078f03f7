package dev.tether.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.server.testing.TestDatabase;
import java.sql.ResultSet;
import java.sql.Statement;
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
}
