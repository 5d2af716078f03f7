package dev.tether.server.gateway;

import dev.tether.protocol.v1.Envelope;
import dev.tether.server.audit.AuditEntry;
import dev.tether.server.audit.AuditLog;
import dev.tether.server.metrics.ServerMetrics;
import dev.tether.server.store.AgentSessionStore;
import dev.tether.server.store.Fence;
import dev.tether.server.store.Database;
import dev.tether.server.text.AgentText;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one payload from stopping an agent's stream: apply failures caused by
 * the payload itself ({@link ApplyFailures}) are counted per (agent, seq) in
 * {@code agent_payload_failures}, durably, so the count survives reconnects and
 * server restarts. Below {@link #MAX_ATTEMPTS} the failure stands (the
 * connection closes with 1011 and the agent replays); at the limit the payload
 * is quarantined: in one transaction its row is marked, an
 * {@code agent.payload.quarantine} audit entry is written and the agent's
 * applied seq moves past it, so it is acknowledged and what follows it applies.
 * Each quarantine counts in {@code tether_reliable_quarantined_total}.
 *
 * <p>Blocking; thread safe (state lives in the database).
 */
public final class PayloadQuarantine {

    /** Failures of the same payload, each on its own apply, after which it is quarantined. */
    public static final int MAX_ATTEMPTS = 3;
    /** The audit action of a quarantine. */
    public static final String AUDIT_ACTION = "agent.payload.quarantine";
    /** The audit actor: the server itself. */
    static final String ACTOR = "server";
    /** Longest error text kept, in characters. */
    private static final int MAX_ERROR_CHARS = 2000;
    private static final Logger LOG = LoggerFactory.getLogger(PayloadQuarantine.class);

    private final Database db;
    private final ServerMetrics metrics;

    public PayloadQuarantine(Database db, ServerMetrics metrics) {
        this.db = db;
        this.metrics = metrics;
    }

    /**
     * A quarantined payload.
     *
     * @param payloadType the envelope's payload case in lower case, e.g. {@code job_event}
     * @param envelope the envelope as the agent sent it (protobuf bytes)
     */
    public record Quarantined(String agentId, long seq, String payloadType, int attempts, String error,
            byte[] envelope, long firstFailedAt, long quarantinedAt) {
    }

    /**
     * Counts a payload-caused failure of {@code envelope}; quarantines it at the limit.
     *
     * @param appliedBefore the agent's applied seq, just below the envelope's
     * @param failure what the apply threw: thrown again unless the payload is quarantined now
     */
    void failed(Fence fence, Envelope envelope, long appliedBefore, RuntimeException failure) {
        String agentId = fence.agentId();
        long now = System.currentTimeMillis();
        String error = error(failure);
        int attempts = db.inTransaction("count a payload's apply failure",
                connection -> countIn(connection, agentId, envelope, error, now));
        if (attempts < MAX_ATTEMPTS) {
            LOG.warn("agent {}: payload seq {} ({}) failed to apply, attempt {} of {} before quarantine: {}",
                    agentId, envelope.getSeq(), type(envelope), attempts, MAX_ATTEMPTS, error);
            throw failure;
        }
        db.inTransaction("quarantine a payload", connection -> {
            quarantineIn(connection, agentId, envelope, attempts, error, now);
            AgentSessionStore.advanceAppliedIn(connection, fence, appliedBefore, envelope.getSeq(),
                    envelope.getStamp());
            return null;
        });
        metrics.payloadQuarantined();
        LOG.error("agent {}: payload seq {} ({}) failed to apply {} times and is quarantined; the stream goes on"
                + " (GET /api/v1/agents/{}/quarantine lists it): {}", agentId, envelope.getSeq(), type(envelope),
                attempts, agentId, error);
    }

    /** Forgets the failures of a payload that applied after all, in the apply transaction. */
    static void appliedIn(Connection connection, String agentId, long seq) throws SQLException {
        try (PreparedStatement delete = connection.prepareStatement("DELETE FROM agent_payload_failures"
                + " WHERE agent_id = ? AND seq = ? AND quarantined_at IS NULL")) {
            delete.setString(1, agentId);
            delete.setLong(2, seq);
            delete.executeUpdate();
        }
    }

    /** The agent's quarantined payloads, by seq. */
    public List<Quarantined> list(String agentId) {
        return db.withConnection("list quarantined payloads", connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT seq, payload_type, attempts, error,"
                    + " payload, first_failed_at, quarantined_at FROM agent_payload_failures"
                    + " WHERE agent_id = ? AND quarantined_at IS NOT NULL ORDER BY seq")) {
                select.setString(1, agentId);
                List<Quarantined> found = new ArrayList<>();
                try (ResultSet row = select.executeQuery()) {
                    while (row.next()) {
                        found.add(new Quarantined(agentId, row.getLong(1), row.getString(2), row.getInt(3),
                                row.getString(4), row.getBytes(5), row.getLong(6), row.getLong(7)));
                    }
                }
                return found;
            }
        });
    }

    private static int countIn(Connection connection, String agentId, Envelope envelope, String error, long now)
            throws SQLException {
        try (PreparedStatement upsert = connection.prepareStatement("INSERT INTO agent_payload_failures (agent_id,"
                + " seq, payload_type, attempts, error, payload, first_failed_at, last_failed_at)"
                + " VALUES (?, ?, ?, 1, ?, ?, ?, ?) ON CONFLICT (agent_id, seq) DO UPDATE SET"
                + " attempts = agent_payload_failures.attempts + 1, error = excluded.error,"
                + " last_failed_at = excluded.last_failed_at")) {
            upsert.setString(1, agentId);
            upsert.setLong(2, envelope.getSeq());
            upsert.setString(3, type(envelope));
            upsert.setString(4, error);
            upsert.setBytes(5, envelope.toByteArray());
            upsert.setLong(6, now);
            upsert.setLong(7, now);
            upsert.executeUpdate();
        }
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT attempts FROM agent_payload_failures WHERE agent_id = ? AND seq = ?")) {
            select.setString(1, agentId);
            select.setLong(2, envelope.getSeq());
            try (ResultSet row = select.executeQuery()) {
                row.next();
                return row.getInt(1);
            }
        }
    }

    private static void quarantineIn(Connection connection, String agentId, Envelope envelope, int attempts,
            String error, long now) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement("UPDATE agent_payload_failures"
                + " SET quarantined_at = ? WHERE agent_id = ? AND seq = ?")) {
            update.setLong(1, now);
            update.setString(2, agentId);
            update.setLong(3, envelope.getSeq());
            update.executeUpdate();
        }
        AuditLog.insert(connection, new AuditEntry.New(now, ACTOR, AUDIT_ACTION, agentId, null, new JsonObject()
                .put("seq", envelope.getSeq())
                .put("payload_type", type(envelope))
                .put("attempts", attempts)
                .put("bytes", envelope.getSerializedSize())
                .put("error", error)));
    }

    static String type(Envelope envelope) {
        return envelope.getPayloadCase().name().toLowerCase(Locale.ROOT);
    }

    /** The failure's innermost message, storable and bounded. */
    private static String error(Throwable failure) {
        Throwable cause = failure;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        String message = cause.getMessage() == null ? cause.getClass().getName() : cause.getMessage();
        String clean = AgentText.sanitise(message);
        return clean.length() > MAX_ERROR_CHARS ? clean.substring(0, MAX_ERROR_CHARS) : clean;
    }
}
