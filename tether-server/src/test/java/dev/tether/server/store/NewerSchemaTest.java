package dev.tether.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.server.testing.TestDatabase;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An older Tether started on a database a newer one migrated (a rollback after an upgrade) refuses to start and
 * says why, instead of misreading what the newer version stored; the data stays as it was.
 */
class NewerSchemaTest {

    @TempDir
    Path dir;

    @Test
    void aSchemaFromANewerVersionIsRefusedWithWhatToDo() {
        String url = TestDatabase.SQLITE.freshJdbcUrl(dir);
        try (Database db = Database.open(url, 2)) {
            db.migrate();
            new AgentStore(db).create("kept", Map.of(), "hash-kept", 1000);
            // What a newer version's migration leaves in Flyway's history.
            db.withConnection("a migration from the future", connection -> {
                try (PreparedStatement insert = connection.prepareStatement("INSERT INTO flyway_schema_history"
                        + " (installed_rank, version, description, type, script, checksum, installed_by,"
                        + " installed_on, execution_time, success) VALUES (999, '999', 'from a newer version',"
                        + " 'SQL', 'V999__from_a_newer_version.sql', 0, 'test', CURRENT_TIMESTAMP, 0, 1)")) {
                    return insert.executeUpdate();
                }
            });
        }

        try (Database db = Database.open(url, 2)) {
            assertThatThrownBy(db::migrate).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("schema is at version 999")
                    .hasMessageContaining("written by a newer Tether")
                    .hasMessageContaining("this one knows up to version 15")
                    .hasMessageContaining("restore a backup");
            assertThat(new AgentStore(db).find("kept")).as("nothing touched").isPresent();
        }
    }
}
