package dev.tether.server.gateway;

import dev.tether.protocol.Limits;
import dev.tether.protocol.v1.AgentEvent;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.StatusReport;
import dev.tether.server.metrics.ServerMetrics;
import dev.tether.server.store.AgentSessionStore;
import dev.tether.server.store.Database;
import dev.tether.server.store.EventStore;
import dev.tether.server.store.EventStore.NewEvent;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies a batch of new reliable agent → server payloads: their effects and
 * the agent's new applied seq commit in one transaction, so each payload
 * takes effect exactly once.
 *
 * <p>Effects: {@code AgentEvent} → a row in {@code agent_events};
 * {@code StatusReport} → status columns of the agent row plus an
 * {@code agent.status} event; {@code ConfigApplied} → the applied config
 * version or its error; {@code JobEvent} and payload types newer than this
 * server → counted no-ops.
 *
 * <p>Blocking; stateless and thread safe.
 */
final class InboundApplier {

    static final String STATUS_EVENT = "agent.status";
    private static final Logger LOG = LoggerFactory.getLogger(InboundApplier.class);

    private final Database db;
    private final ServerMetrics metrics;

    InboundApplier(Database db, ServerMetrics metrics) {
        this.db = db;
        this.metrics = metrics;
    }

    /**
     * @param fresh consecutive new payloads, ascending by seq
     * @param appliedBefore the agent's applied seq before this batch
     */
    void apply(String agentId, List<Envelope> fresh, long appliedBefore) {
        long now = System.currentTimeMillis();
        long last = fresh.get(fresh.size() - 1).getSeq();
        int ignored = db.inTransaction("apply agent payloads", connection -> {
            List<NewEvent> events = new ArrayList<>();
            int noOps = 0;
            for (Envelope envelope : fresh) {
                noOps += applyOne(connection, agentId, envelope, now, events) ? 0 : 1;
            }
            EventStore.insertIn(connection, agentId, events);
            AgentSessionStore.advanceAppliedIn(connection, agentId, appliedBefore, last);
            return noOps;
        });
        if (ignored > 0) {
            LOG.info("agent {}: acknowledged {} job events or newer payloads without acting on them", agentId,
                    ignored);
        }
    }

    /** @return false when the payload had no effect */
    private boolean applyOne(Connection connection, String agentId, Envelope envelope, long now,
            List<NewEvent> events) throws SQLException {
        switch (envelope.getPayloadCase()) {
            case AGENT_EVENT -> events.add(event(envelope, envelope.getAgentEvent(), now));
            case STATUS -> {
                AgentSessionStore.recordStatusIn(connection, agentId, envelope.getStatus(), now);
                events.add(new NewEvent(envelope.getSeq(), STATUS_EVENT, statusJson(envelope.getStatus()),
                        occurredAt(envelope, 0, now), now));
            }
            case CONFIG_APPLIED -> AgentSessionStore.recordConfigAppliedIn(connection, agentId,
                    envelope.getConfigApplied());
            case JOB_EVENT -> {
                // Commands come with their own feature; until then job events are acknowledged and dropped.
                metrics.ignoredPayload("job_event");
                return false;
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    private static NewEvent event(Envelope envelope, AgentEvent event, long now) {
        String type = event.getType().isBlank() ? "agent.unnamed" : event.getType();
        if (type.length() > Limits.MAX_EVENT_TYPE_LENGTH) {
            type = type.substring(0, Limits.MAX_EVENT_TYPE_LENGTH);
        }
        String payload = event.getPayloadJson().isEmpty()
                ? "{}" : event.getPayloadJson().toString(StandardCharsets.UTF_8);
        return new NewEvent(envelope.getSeq(), type, payload, occurredAt(envelope, event.getOccurredMs(), now), now);
    }

    /** When it happened by the agent's clock: the event's own time, else the envelope's, else now. */
    private static long occurredAt(Envelope envelope, long occurredMs, long now) {
        if (occurredMs > 0) {
            return occurredMs;
        }
        return envelope.getTsMs() > 0 ? envelope.getTsMs() : now;
    }

    private static String statusJson(StatusReport status) {
        JsonObject details = new JsonObject();
        status.getDetailsMap().forEach(details::put);
        return new JsonObject()
                .put("state", status.getState())
                .put("message", status.getMessage())
                .put("details", details)
                .encode();
    }
}
