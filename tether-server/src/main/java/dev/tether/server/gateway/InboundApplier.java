package dev.tether.server.gateway;

import dev.tether.protocol.Limits;
import dev.tether.protocol.v1.AgentEvent;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.StatusReport;
import dev.tether.server.dispatch.AfterCommit;
import dev.tether.server.dispatch.Dispatcher;
import dev.tether.server.events.ServerEvent;
import dev.tether.server.metrics.ServerMetrics;
import dev.tether.server.store.AgentSessionStore;
import dev.tether.server.store.Database;
import dev.tether.server.store.Dialect;
import dev.tether.server.store.EventStore;
import dev.tether.server.store.Fence;
import dev.tether.server.store.OutboxTails;
import dev.tether.server.store.ServerOutbox;
import dev.tether.server.store.EventStore.NewEvent;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
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
 * version or its error; {@code JobEvent} → the job's state and output (see
 * {@link dev.tether.server.dispatch.JobEventApplier}); payload types newer than
 * this server → counted no-ops. Each stored agent event is also an
 * {@code agent.event} on the server's event stream.
 *
 * <p>The same transaction records what the agent acknowledged meanwhile
 * ({@link PeerAcks}): its jobs delivered and its outbox acknowledged.
 *
 * <p>Order of work in the transaction, which keeps PostgreSQL row locks in one
 * order everywhere: job rows first (the payloads' and the delivered ones), then
 * the agent's own row (status, config, applied seq, the outbox's acknowledged
 * point) and its outbox rows, then the server events, last.
 *
 * <p>Each {@link #apply} that succeeds is timed in {@code tether_reliable_apply_duration_seconds}.
 *
 * <p>Blocking; stateless and thread safe.
 */
final class InboundApplier {

    static final String STATUS_EVENT = "agent.status";
    private static final Logger LOG = LoggerFactory.getLogger(InboundApplier.class);

    private final Database db;
    private final Dispatcher dispatcher;
    private final PayloadQuarantine quarantine;
    private final ServerMetrics metrics;

    InboundApplier(Database db, Dispatcher dispatcher, PayloadQuarantine quarantine, ServerMetrics metrics) {
        this.db = db;
        this.dispatcher = dispatcher;
        this.quarantine = quarantine;
        this.metrics = metrics;
    }

    /**
     * Applies the payloads, all in one transaction. When that fails because of a payload
     * ({@link ApplyFailures}), they are applied one by one instead, so the others take effect and the
     * failing one is counted towards its quarantine ({@link PayloadQuarantine}); any other failure is thrown.
     *
     * @param fresh consecutive new payloads, ascending by seq
     * @param appliedBefore the agent's applied seq before this batch
     * @throws RuntimeException when a payload could not be applied and was not quarantined: the agent's
     *     applied seq in the database may then have moved past some of {@code fresh}
     */
    void apply(Fence fence, List<Envelope> fresh, long appliedBefore, PeerAcks acks) {
        long start = System.nanoTime();
        try {
            applyTogether(fence, fresh, appliedBefore, false, acks);
        } catch (RuntimeException e) {
            if (!ApplyFailures.causedByPayload(e)) {
                throw e;
            }
            applyOneByOne(fence, fresh, appliedBefore);
            acknowledge(fence, acks);
        }
        metrics.reliableApplied(System.nanoTime() - start);
    }

    /**
     * Records what the agent acknowledged, in one transaction: its jobs delivered, then its outbox.
     *
     * @throws dev.tether.server.store.FencedException when another connection took the agent over
     */
    void acknowledge(Fence fence, PeerAcks acks) {
        if (!acks.any()) {
            return;
        }
        Dialect dialect = db.dialect();
        AfterCommit after = db.inTransaction("record agent acknowledgements", connection -> {
            AfterCommit changed = new AfterCommit(db.outboxTails());
            deliveredIn(connection, fence, acks, changed);
            acknowledgedIn(connection, fence, acks);
            changed.writeEventsIn(connection, dialect);
            return changed;
        });
        dispatcher.committed(after);
    }

    /** Jobs the agent acknowledged become delivered: job rows, so before the agent's row (see the lock order). */
    private void deliveredIn(Connection connection, Fence fence, PeerAcks acks, AfterCommit after)
            throws SQLException {
        if (acks.deliveredUpTo() > 0) {
            dispatcher.acknowledgedIn(connection, fence.agentId(), acks.deliveredUpTo(), after);
        }
    }

    /** The agent's outbox up to what it acknowledged: fenced, on the agent's row. */
    private static void acknowledgedIn(Connection connection, Fence fence, PeerAcks acks) throws SQLException {
        if (acks.outboxUpTo() > 0) {
            ServerOutbox.acknowledgeIn(connection, fence, acks.outboxUpTo());
        }
    }

    private void applyOneByOne(Fence fence, List<Envelope> fresh, long appliedBefore) {
        long applied = appliedBefore;
        for (Envelope envelope : fresh) {
            try {
                applyTogether(fence, List.of(envelope), applied, true, PeerAcks.NONE);
            } catch (RuntimeException e) {
                if (!ApplyFailures.causedByPayload(e)) {
                    throw e;
                }
                quarantine.failed(fence, envelope, applied, e);
            }
            applied = envelope.getSeq();
        }
    }

    /**
     * @param forgetFailures whether the payloads may have failed before (one by one after a failed batch)
     * @param acks recorded in the same transaction
     */
    private void applyTogether(Fence fence, List<Envelope> fresh, long appliedBefore, boolean forgetFailures,
            PeerAcks acks) {
        String agentId = fence.agentId();
        long now = System.currentTimeMillis();
        long last = fresh.get(fresh.size() - 1).getSeq();
        Dialect dialect = db.dialect();
        Batch batch = db.inTransaction("apply agent payloads", connection -> {
            Batch applied = new Batch(db.outboxTails());
            for (Envelope envelope : fresh) {
                applyOne(connection, agentId, envelope, now, applied);
                if (forgetFailures) {
                    PayloadQuarantine.appliedIn(connection, agentId, envelope.getSeq());
                }
            }
            deliveredIn(connection, fence, acks, applied.after);
            applied.updateAgentRow(connection, agentId, now);
            EventStore.insertIn(connection, agentId, applied.events);
            AgentSessionStore.advanceAppliedIn(connection, fence, appliedBefore, last, fresh.getLast().getStamp());
            acknowledgedIn(connection, fence, acks);
            applied.after.writeEventsIn(connection, dialect);
            return applied;
        });
        dispatcher.committed(batch.after);
        if (batch.noOps > 0) {
            LOG.info("agent {}: acknowledged {} payloads of types newer than this server without acting on them",
                    agentId, batch.noOps);
        }
    }

    private void applyOne(Connection connection, String agentId, Envelope envelope, long now, Batch batch)
            throws SQLException {
        switch (envelope.getPayloadCase()) {
            case AGENT_EVENT -> batch.event(agentId, event(envelope, envelope.getAgentEvent(), now));
            case STATUS -> {
                batch.statuses.add(envelope.getStatus());
                batch.event(agentId, new NewEvent(envelope.getSeq(), STATUS_EVENT, statusJson(envelope.getStatus()),
                        occurredAt(envelope, 0, now), now));
            }
            case CONFIG_APPLIED -> batch.configApplied.add(envelope);
            case JOB_EVENT -> dispatcher.jobEvents().applyIn(connection, agentId, envelope.getJobEvent(), now,
                    batch.after);
            default -> batch.noOps++;
        }
    }

    /** What one transaction collects; created inside it, so a retried transaction starts afresh. */
    private static final class Batch {
        final AfterCommit after;
        final List<NewEvent> events = new ArrayList<>();
        final List<StatusReport> statuses = new ArrayList<>();
        final List<Envelope> configApplied = new ArrayList<>();
        int noOps;

        Batch(OutboxTails tails) {
            after = new AfterCommit(tails);
        }

        void event(String agentId, NewEvent event) {
            events.add(event);
            after.event(ServerEvent.create(ServerEvent.AGENT_EVENT, agentId, new JsonObject()
                    .put("agent_id", agentId)
                    .put("type", event.type())
                    .put("payload", payload(event.payload()))
                    .put("seq", event.agentSeq())
                    .put("occurred_at", Instant.ofEpochMilli(event.occurredAt()).toString()), event.receivedAt()));
        }

        /** The agent row's updates, after every job row was touched (see the lock order above). */
        void updateAgentRow(Connection connection, String agentId, long now) throws SQLException {
            for (StatusReport status : statuses) {
                AgentSessionStore.recordStatusIn(connection, agentId, status, now);
            }
            for (Envelope envelope : configApplied) {
                AgentSessionStore.recordConfigAppliedIn(connection, agentId, envelope.getConfigApplied());
            }
        }
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

    /** The agent's payload as JSON; text that is not valid JSON is kept as a JSON string. */
    private static Object payload(String text) {
        try {
            return Json.decodeValue(text);
        } catch (DecodeException e) {
            return text;
        }
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
