package dev.tether.server.events;

import dev.tether.server.store.Database;
import dev.tether.server.store.Dialect;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The stored event stream, {@code server_events}: written by the transactions
 * whose effects the events describe, read by stream subscribers, pruned to
 * {@link #RETENTION} and {@link #MAX_ROWS}.
 *
 * <p>Ids must become visible in increasing order, or a reader resuming after id
 * N could miss a row with a smaller id committed later. SQLite serialises
 * writers, so that holds there; on PostgreSQL every inserting transaction takes
 * one transaction-level advisory lock before its inserts, which must be its last
 * statements, so no transaction holds the lock while it waits for another.
 *
 * <p>Blocking; thread safe (state lives in the database).
 */
public final class EventLog {

    /** Events older than this are pruned. */
    public static final Duration RETENTION = Duration.ofHours(24);
    /** At most this many events are kept; older ones are pruned. */
    public static final int MAX_ROWS = 100_000;
    /** Key of the advisory lock that orders inserts on PostgreSQL ("tether" in ASCII). */
    private static final long INSERT_LOCK_KEY = 0x746574686572L;
    private static final String COLUMNS = "id, type, agent_id, payload, created_at";

    private final Database db;

    public EventLog(Database db) {
        this.db = db;
    }

    /** Inserts events in the caller's transaction; call it as the transaction's last statement. */
    public static void insertIn(Connection connection, Dialect dialect, List<ServerEvent> events)
            throws SQLException {
        if (events.isEmpty()) {
            return;
        }
        if (dialect == Dialect.POSTGRESQL) {
            try (PreparedStatement lock = connection.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
                lock.setLong(1, INSERT_LOCK_KEY);
                lock.executeQuery().close();
            }
        }
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO server_events (type, agent_id, payload, created_at) VALUES (?, ?, ?, ?)")) {
            for (ServerEvent event : events) {
                insert.setString(1, event.type());
                insert.setString(2, event.agentId());
                insert.setString(3, event.payload());
                insert.setLong(4, event.createdAt());
                insert.addBatch();
            }
            insert.executeBatch();
        }
    }

    /** Stores events in a transaction of their own. */
    public void append(List<ServerEvent> events) {
        db.inTransaction("store server events", connection -> {
            insertIn(connection, db.dialect(), events);
            return null;
        });
    }

    /** Events with {@code afterId < id <= upToId} that pass the filter, oldest first, at most {@code limit}. */
    public List<ServerEvent> between(long afterId, long upToId, EventFilter filter, int limit) {
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM server_events WHERE id > ? AND id <= ?");
        appendFilter(sql, filter);
        sql.append(" ORDER BY id LIMIT ?");
        return db.withConnection("read server events", connection -> {
            try (PreparedStatement select = connection.prepareStatement(sql.toString())) {
                select.setLong(1, afterId);
                select.setLong(2, upToId);
                int index = bindFilter(select, 3, filter);
                select.setInt(index, limit);
                return readAll(select);
            }
        });
    }

    /** The newest {@code limit} events that pass the filter, oldest first. */
    public List<ServerEvent> latest(EventFilter filter, int limit) {
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM server_events WHERE 1 = 1");
        appendFilter(sql, filter);
        sql.append(" ORDER BY id DESC LIMIT ?");
        return db.withConnection("read server events", connection -> {
            try (PreparedStatement select = connection.prepareStatement(sql.toString())) {
                select.setInt(bindFilter(select, 1, filter), limit);
                return readAll(select).reversed();
            }
        });
    }

    /** The highest id ever stored and still present, 0 when the table is empty. */
    public long lastId() {
        return db.withConnection("read last event id", connection -> single(connection,
                "SELECT COALESCE(MAX(id), 0) FROM server_events"));
    }

    /** The lowest id still stored, 0 when the table is empty. */
    public long firstId() {
        return db.withConnection("read first event id", connection -> single(connection,
                "SELECT COALESCE(MIN(id), 0) FROM server_events"));
    }

    /**
     * Deletes events older than {@link #RETENTION} and beyond the newest {@link #MAX_ROWS}.
     *
     * @return the number of rows deleted
     */
    public int prune(long nowMillis) {
        return prune(nowMillis, RETENTION, MAX_ROWS);
    }

    int prune(long nowMillis, Duration retention, int maxRows) {
        return db.withConnection("prune server events", connection -> {
            long newest = single(connection, "SELECT COALESCE(MAX(id), 0) FROM server_events");
            try (PreparedStatement delete = connection.prepareStatement(
                    "DELETE FROM server_events WHERE created_at < ? OR id <= ?")) {
                delete.setLong(1, nowMillis - retention.toMillis());
                delete.setLong(2, newest - maxRows);
                return delete.executeUpdate();
            }
        });
    }

    private static void appendFilter(StringBuilder sql, EventFilter filter) {
        if (!filter.types().isEmpty()) {
            sql.append(" AND type IN (").append("?, ".repeat(filter.types().size() - 1)).append("?)");
        }
        if (filter.agentId() != null) {
            sql.append(" AND agent_id = ?");
        }
    }

    /** @return the next parameter index */
    private static int bindFilter(PreparedStatement select, int index, EventFilter filter) throws SQLException {
        for (String type : filter.types()) {
            select.setString(index++, type);
        }
        if (filter.agentId() != null) {
            select.setString(index++, filter.agentId());
        }
        return index;
    }

    private static List<ServerEvent> readAll(PreparedStatement select) throws SQLException {
        List<ServerEvent> events = new ArrayList<>();
        try (ResultSet row = select.executeQuery()) {
            while (row.next()) {
                events.add(new ServerEvent(row.getLong(1), row.getString(2), row.getString(3), row.getString(4),
                        row.getLong(5)));
            }
        }
        return events;
    }

    private static long single(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet row = statement.executeQuery(sql)) {
            row.next();
            return row.getLong(1);
        }
    }
}
