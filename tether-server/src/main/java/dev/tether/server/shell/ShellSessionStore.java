package dev.tether.server.shell;

import dev.tether.server.store.Database;
import io.vertx.core.json.JsonArray;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Shell sessions in {@code shell_sessions}: a row when a session opens,
 * completed when it ends; listed newest first.
 *
 * <p>Blocking; thread safe (state lives in the database).
 */
public final class ShellSessionStore {

    private static final String COLUMNS = "id, agent_id, actor, source, command, term, rows, cols, started_at,"
            + " ended_at, bytes_in, bytes_out, exit_code, signal, end_reason, recording, recording_truncated";

    private final Database db;
    private final String nodeName;

    /** @param nodeName this server's node: {@link #endAbandoned} leaves the sessions other live nodes hold */
    public ShellSessionStore(Database db, String nodeName) {
        this.db = db;
        this.nodeName = nodeName;
    }

    void insert(ShellSessionRecord session) {
        db.withConnection("record shell session", connection -> {
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO shell_sessions (" + COLUMNS
                    + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 0, 0, NULL, NULL, NULL, ?, 0)")) {
                insert.setString(1, session.id());
                insert.setString(2, session.agentId());
                insert.setString(3, session.actor());
                insert.setString(4, session.source());
                insert.setString(5, new JsonArray(new ArrayList<Object>(session.command())).encode());
                insert.setString(6, session.term());
                insert.setInt(7, session.rows());
                insert.setInt(8, session.cols());
                insert.setLong(9, session.startedAt());
                insert.setString(10, session.recording());
                return insert.executeUpdate();
            }
        });
    }

    /** Completes a session's row; a row already ended is left as it is. */
    void end(String id, ShellSessionRecord.End end) {
        db.withConnection("end shell session", connection -> {
            try (PreparedStatement update = connection.prepareStatement("UPDATE shell_sessions SET ended_at = ?,"
                    + " bytes_in = ?, bytes_out = ?, exit_code = ?, signal = ?, end_reason = ?, recording_truncated = ?"
                    + " WHERE id = ? AND ended_at IS NULL")) {
                update.setLong(1, end.endedAt());
                update.setLong(2, end.bytesIn());
                update.setLong(3, end.bytesOut());
                update.setObject(4, end.exitCode());
                update.setString(5, end.signal());
                update.setString(6, end.reason());
                update.setInt(7, end.recordingTruncated() ? 1 : 0);
                update.setString(8, id);
                return update.executeUpdate();
            }
        });
    }

    /**
     * Ends every session left open by a server that stopped without ending them: on a single node all of them;
     * in a cluster, not those of agents another node holds now (they run there, or are adopted there).
     */
    int endAbandoned(long now) {
        return db.withConnection("end abandoned shell sessions", connection -> {
            try (PreparedStatement update = connection.prepareStatement("UPDATE shell_sessions SET ended_at = ?,"
                    + " end_reason = 'server_stopped' WHERE ended_at IS NULL AND agent_id NOT IN"
                    + " (SELECT id FROM agents WHERE holder_node IS NOT NULL AND holder_node <> ?)")) {
                update.setLong(1, now);
                update.setString(2, nodeName);
                return update.executeUpdate();
            }
        });
    }

    public ShellSessionRecord get(String id) {
        return db.withConnection("get shell session", connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT " + COLUMNS + " FROM shell_sessions WHERE id = ?")) {
                select.setString(1, id);
                List<ShellSessionRecord> rows = rows(select);
                return rows.isEmpty() ? null : rows.get(0);
            }
        });
    }

    /**
     * One page, newest first.
     *
     * @param agentId only this agent's sessions, or all when null
     * @param before a cursor from {@link ShellSessionRecord#cursor()}, or null for the newest
     */
    public Page list(String agentId, int limit, ShellSessionRecord.Cursor before) {
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM shell_sessions WHERE 1 = 1");
        if (agentId != null) {
            sql.append(" AND agent_id = ?");
        }
        if (before != null) {
            sql.append(" AND (started_at < ? OR (started_at = ? AND id < ?))");
        }
        sql.append(" ORDER BY started_at DESC, id DESC LIMIT ?");
        return db.withConnection("list shell sessions", connection -> {
            try (PreparedStatement select = connection.prepareStatement(sql.toString())) {
                int index = 1;
                if (agentId != null) {
                    select.setString(index++, agentId);
                }
                if (before != null) {
                    select.setLong(index++, before.startedAt());
                    select.setLong(index++, before.startedAt());
                    select.setString(index++, before.id());
                }
                select.setInt(index, limit + 1);
                List<ShellSessionRecord> rows = rows(select);
                if (rows.size() <= limit) {
                    return new Page(rows, null);
                }
                List<ShellSessionRecord> shown = List.copyOf(rows.subList(0, limit));
                return new Page(shown, shown.get(limit - 1).cursor());
            }
        });
    }

    /** Sessions started before {@code cutoff} that still have a recording, oldest first. */
    List<ShellSessionRecord> recordingsBefore(long cutoff, int limit) {
        return db.withConnection("find old recordings", connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT " + COLUMNS + " FROM shell_sessions"
                    + " WHERE started_at < ? AND recording IS NOT NULL AND ended_at IS NOT NULL"
                    + " ORDER BY started_at LIMIT ?")) {
                select.setLong(1, cutoff);
                select.setInt(2, limit);
                return rows(select);
            }
        });
    }

    void forgetRecording(String id) {
        db.withConnection("forget recording", connection -> {
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE shell_sessions SET recording = NULL WHERE id = ?")) {
                update.setString(1, id);
                return update.executeUpdate();
            }
        });
    }

    private static List<ShellSessionRecord> rows(PreparedStatement select) throws SQLException {
        List<ShellSessionRecord> rows = new ArrayList<>();
        try (ResultSet row = select.executeQuery()) {
            while (row.next()) {
                rows.add(row(row));
            }
        }
        return rows;
    }

    private static ShellSessionRecord row(ResultSet row) throws SQLException {
        List<String> command = new ArrayList<>();
        new JsonArray(row.getString(5)).forEach(part -> command.add(String.valueOf(part)));
        return new ShellSessionRecord(row.getString(1), row.getString(2), row.getString(3), row.getString(4),
                List.copyOf(command), row.getString(6), row.getInt(7), row.getInt(8), row.getLong(9),
                nullableLong(row, 10), row.getLong(11), row.getLong(12), nullableInt(row, 13), row.getString(14),
                row.getString(15), row.getString(16), row.getInt(17) != 0);
    }

    private static Long nullableLong(ResultSet row, int column) throws SQLException {
        long value = row.getLong(column);
        return row.wasNull() ? null : value;
    }

    private static Integer nullableInt(ResultSet row, int column) throws SQLException {
        int value = row.getInt(column);
        return row.wasNull() ? null : value;
    }

    /** @param next the cursor of the next page, null on the last page */
    public record Page(List<ShellSessionRecord> sessions, ShellSessionRecord.Cursor next) {
    }
}
