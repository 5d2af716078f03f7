package dev.tether.server.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Events agents published, in {@code agent_events}: inserted by the reliable
 * apply path inside its transaction, listed newest first by the API.
 *
 * <p>Blocking; thread safe (state lives in the database).
 */
public final class EventStore {

    private final Database db;

    public EventStore(Database db) {
        this.db = db;
    }

    /** Inserts events in the caller's transaction. */
    public static void insertIn(Connection connection, String agentId, List<NewEvent> events) throws SQLException {
        if (events.isEmpty()) {
            return;
        }
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO agent_events (agent_id, agent_seq, type, payload, occurred_at, received_at)"
                        + " VALUES (?, ?, ?, ?, ?, ?)")) {
            for (NewEvent event : events) {
                insert.setString(1, agentId);
                insert.setLong(2, event.agentSeq());
                insert.setString(3, event.type());
                insert.setString(4, event.payload());
                insert.setLong(5, event.occurredAt());
                insert.setLong(6, event.receivedAt());
                insert.addBatch();
            }
            insert.executeBatch();
        }
    }

    /**
     * One page of an agent's events, newest first.
     *
     * @param type only events of this type, or all when null
     * @param beforeId only events with a smaller id, or from the newest when null
     */
    public Page list(String agentId, String type, int limit, Long beforeId) {
        StringBuilder sql = new StringBuilder(
                "SELECT id, agent_seq, type, payload, occurred_at, received_at FROM agent_events WHERE agent_id = ?");
        if (type != null) {
            sql.append(" AND type = ?");
        }
        if (beforeId != null) {
            sql.append(" AND id < ?");
        }
        sql.append(" ORDER BY id DESC LIMIT ?");
        return db.withConnection("list events", connection -> {
            try (PreparedStatement select = connection.prepareStatement(sql.toString())) {
                int index = 1;
                select.setString(index++, agentId);
                if (type != null) {
                    select.setString(index++, type);
                }
                if (beforeId != null) {
                    select.setLong(index++, beforeId);
                }
                // One extra row tells whether another page follows.
                select.setInt(index, limit + 1);
                return page(select, limit);
            }
        });
    }

    private static Page page(PreparedStatement select, int limit) throws SQLException {
        List<StoredEvent> events = new ArrayList<>();
        try (ResultSet row = select.executeQuery()) {
            while (row.next()) {
                events.add(new StoredEvent(row.getLong(1), row.getLong(2), row.getString(3), row.getString(4),
                        row.getLong(5), row.getLong(6)));
            }
        }
        if (events.size() <= limit) {
            return new Page(events, null);
        }
        List<StoredEvent> shown = events.subList(0, limit);
        return new Page(List.copyOf(shown), shown.get(limit - 1).id());
    }

    /** An event to store; times in epoch millis, payload JSON text as the agent sent it. */
    public record NewEvent(long agentSeq, String type, String payload, long occurredAt, long receivedAt) {
    }

    public record StoredEvent(long id, long agentSeq, String type, String payload, long occurredAt, long receivedAt) {
    }

    /** @param nextBefore the cursor of the next page, null on the last page */
    public record Page(List<StoredEvent> events, Long nextBefore) {
    }
}
