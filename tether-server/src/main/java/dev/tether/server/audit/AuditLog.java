package dev.tether.server.audit;

import dev.tether.server.store.Database;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The audit log, {@code audit_log}: one row per administrative action (who,
 * what, on which target, when, from where, and its particulars as JSON). Rows
 * are appended; only a shell session's row is completed when the session ends
 * ({@link #complete}), so a session cut short by a crash still has its entry.
 * Secrets never go into {@code details}.
 *
 * <p>Blocking; thread safe (state lives in the database).
 */
public final class AuditLog {

    /** Most entries one page returns. */
    public static final int MAX_PAGE = 500;

    private final Database db;

    public AuditLog(Database db) {
        this.db = db;
    }

    /** Appends an entry; returns its id. */
    public long record(AuditEntry.New entry) {
        return db.withConnection("record " + entry.action(), connection -> insert(connection, entry));
    }

    /** Appends an entry in the caller's transaction; returns its id. */
    public static long insert(Connection connection, AuditEntry.New entry) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO audit_log (at, actor, action, "
                + "target, source, details) VALUES (?, ?, ?, ?, ?, ?) RETURNING id")) {
            insert.setLong(1, entry.at());
            insert.setString(2, entry.actor());
            insert.setString(3, entry.action());
            insert.setString(4, entry.target());
            insert.setString(5, entry.source());
            insert.setString(6, entry.details().encode());
            try (ResultSet id = insert.executeQuery()) {
                id.next();
                return id.getLong(1);
            }
        }
    }

    /** Replaces an entry's details (a shell session's, when it ends). */
    public void complete(long id, JsonObject details) {
        db.withConnection("complete audit entry", connection -> {
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE audit_log SET details = ? WHERE id = ?")) {
                update.setString(1, details.encode());
                update.setLong(2, id);
                return update.executeUpdate();
            }
        });
    }

    /** One page of entries matching {@code filter}, newest first. */
    public AuditEntry.Page list(AuditEntry.Filter filter, int limit, Long beforeId) {
        List<Object> args = new ArrayList<>();
        StringBuilder sql = new StringBuilder(
                "SELECT id, at, actor, action, target, source, details FROM audit_log WHERE 1 = 1");
        condition(sql, args, "actor = ?", filter.actor());
        condition(sql, args, "action = ?", filter.action());
        condition(sql, args, "target = ?", filter.target());
        condition(sql, args, "at >= ?", filter.since());
        condition(sql, args, "at < ?", filter.until());
        condition(sql, args, "id < ?", beforeId);
        sql.append(" ORDER BY id DESC LIMIT ?");
        args.add(limit + 1);
        return db.withConnection("list audit entries", connection -> {
            try (PreparedStatement select = connection.prepareStatement(sql.toString())) {
                for (int i = 0; i < args.size(); i++) {
                    select.setObject(i + 1, args.get(i));
                }
                return page(select, limit);
            }
        });
    }

    private static void condition(StringBuilder sql, List<Object> args, String clause, Object value) {
        if (value != null) {
            sql.append(" AND ").append(clause);
            args.add(value);
        }
    }

    private static AuditEntry.Page page(PreparedStatement select, int limit) throws SQLException {
        List<AuditEntry> entries = new ArrayList<>();
        try (ResultSet row = select.executeQuery()) {
            while (row.next()) {
                entries.add(new AuditEntry(row.getLong(1), row.getLong(2), row.getString(3), row.getString(4),
                        row.getString(5), row.getString(6), new JsonObject(row.getString(7))));
            }
        }
        if (entries.size() <= limit) {
            return new AuditEntry.Page(entries, null);
        }
        List<AuditEntry> shown = List.copyOf(entries.subList(0, limit));
        return new AuditEntry.Page(shown, shown.get(limit - 1).id());
    }
}
