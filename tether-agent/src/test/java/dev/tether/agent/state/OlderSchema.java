package dev.tether.agent.state;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * Turns a state database written by this agent into one an older agent wrote,
 * version by version, so a migration test starts from exactly what that version
 * had: no column or table of a later one.
 */
final class OlderSchema {

    private OlderSchema() {
    }

    /** Rewrites {@code stateDir}'s database (closed) to schema {@code version} (1 to 4). */
    static void downgrade(Path stateDir, int version) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + stateDir.resolve(StateStore.DATABASE_FILE));
                Statement s = c.createStatement()) {
            // The connection's history came after version 4 without raising it: every older file lacks it.
            for (String column : List.of("server_url", "connected_ms", "disconnected_ms")) {
                s.executeUpdate("ALTER TABLE agent DROP COLUMN " + column);
            }
            s.executeUpdate("DROP TABLE link_error");
            if (version < 4) {
                for (String column : List.of("start_ticks", "boot_id", "spawn_token")) {
                    s.executeUpdate("ALTER TABLE job DROP COLUMN " + column);
                }
            }
            if (version < 3) {
                for (String column : List.of("applied_server_stamp", "acked_seq", "acked_stamp", "host_id")) {
                    s.executeUpdate("ALTER TABLE agent DROP COLUMN " + column);
                }
                s.executeUpdate("ALTER TABLE outbox DROP COLUMN stamp");
            }
            if (version < 2) {
                s.executeUpdate("DROP TABLE job");
            }
            s.executeUpdate("PRAGMA user_version = " + version);
        }
    }
}
