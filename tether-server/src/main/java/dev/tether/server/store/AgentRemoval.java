package dev.tether.server.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Deletes a revoked agent and every row that is about it, in one transaction: its jobs and their output, its
 * outbox, its events, its shell sessions and its quarantined payloads. Kept: the audit log and the server event
 * stream (history that names the agent), and commands (their other agents' jobs stay). An agent that is not
 * revoked, or still has jobs not final, is left alone: revoking first closes its connection and stops new
 * work, and a command whose last unfinished job vanished would never finish.
 *
 * <p>Blocking; thread safe (state lives in the database).
 */
public final class AgentRemoval {

    /** Dependent tables, children first; each has an {@code agent_id} column. */
    private static final List<String> DEPENDENTS = List.of("outbox", "outbox_counters", "agent_events",
            "shell_sessions", "agent_payload_failures", "jobs");

    /** What became of a removal. */
    public enum Outcome { REMOVED, NOT_FOUND, NOT_REVOKED, UNFINISHED_JOBS }

    /**
     * @param recordings file names of the removed shell sessions' recordings, for the caller to delete
     */
    public record Result(Outcome outcome, List<String> recordings) {
    }

    private final Database db;

    public AgentRemoval(Database db) {
        this.db = db;
    }

    public Result remove(String id) {
        return db.inTransaction("delete agent", connection -> {
            Outcome refusal = refusal(connection, id);
            if (refusal != null) {
                return new Result(refusal, List.of());
            }
            List<String> recordings = recordings(connection, id);
            delete(connection, "DELETE FROM job_output WHERE job_id IN (SELECT id FROM jobs WHERE agent_id = ?)", id);
            for (String table : DEPENDENTS) {
                delete(connection, "DELETE FROM " + table + " WHERE agent_id = ?", id);
            }
            delete(connection, "DELETE FROM agents WHERE id = ?", id);
            return new Result(Outcome.REMOVED, recordings);
        });
    }

    private Outcome refusal(Connection connection, String id) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT revoked_at FROM agents WHERE id = ?" + db.dialect().forUpdate())) {
            select.setString(1, id);
            try (ResultSet row = select.executeQuery()) {
                if (!row.next()) {
                    return Outcome.NOT_FOUND;
                }
                if (AgentStore.nullableLong(row, "revoked_at") == null) {
                    return Outcome.NOT_REVOKED;
                }
            }
        }
        try (PreparedStatement select = connection.prepareStatement("SELECT 1 FROM jobs WHERE agent_id = ?"
                + " AND state IN ('queued', 'delivered', 'running') LIMIT 1")) {
            select.setString(1, id);
            try (ResultSet row = select.executeQuery()) {
                return row.next() ? Outcome.UNFINISHED_JOBS : null;
            }
        }
    }

    private static List<String> recordings(Connection connection, String id) throws SQLException {
        List<String> names = new ArrayList<>();
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT recording FROM shell_sessions WHERE agent_id = ? AND recording IS NOT NULL")) {
            select.setString(1, id);
            try (ResultSet row = select.executeQuery()) {
                while (row.next()) {
                    names.add(row.getString(1));
                }
            }
        }
        return names;
    }

    private static void delete(Connection connection, String sql, String id) throws SQLException {
        try (PreparedStatement delete = connection.prepareStatement(sql)) {
            delete.setString(1, id);
            delete.executeUpdate();
        }
    }
}
