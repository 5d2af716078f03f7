package dev.tether.agent;

import dev.tether.agent.config.ConfigApplier;
import dev.tether.agent.connection.Receiver;
import dev.tether.agent.jobs.Jobs;
import dev.tether.agent.state.StateStore;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.Envelope.PayloadCase;
import dev.tether.protocol.v1.Welcome;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the agent does with each server payload. Configuration is applied;
 * commands and job cancellations go to {@link Jobs}, which records each with its
 * seq before any work starts; a known payload this agent does not handle is
 * recorded as an applied no-op (logged once per type), so the server's outbox
 * still drains; payload types newer than this agent are applied as no-ops and
 * counted. Shell payloads never come here: the connection hands them to the
 * shell registry.
 *
 * <p>Called on the connection's reader thread; the counters may be read from any.
 */
final class AgentReceiver implements Receiver {

    private static final Logger log = LoggerFactory.getLogger(AgentReceiver.class);

    private final StateStore store;
    private final ConfigApplier configs;
    private final Jobs jobs;
    private final Set<PayloadCase> warned = ConcurrentHashMap.newKeySet();
    private final AtomicLong unknownPayloads = new AtomicLong();
    private final AtomicLong unsupportedPayloads = new AtomicLong();

    AgentReceiver(StateStore store, ConfigApplier configs, Jobs jobs) {
        this.store = store;
        this.configs = configs;
        this.jobs = jobs;
    }

    @Override
    public void welcomed(Welcome welcome) {
        store.recordSession(welcome.getAgentId(), welcome.getAgentName(), welcome.getSessionId());
        if (welcome.hasConfig()) {
            configs.apply(0, welcome.getConfig());
        }
    }

    @Override
    public void apply(Envelope envelope, boolean unknownPayload) {
        long seq = envelope.getSeq();
        store.receiving(seq, envelope.getStamp());
        if (unknownPayload) {
            store.applyNoOp(seq, List.of());
            unknownPayloads.incrementAndGet();
            log.debug("applied seq {} of a payload type newer than this agent (fields {}) as a no-op", seq,
                    envelope.getUnknownFields().asMap().keySet());
            return;
        }
        switch (envelope.getPayloadCase()) {
            case CONFIG_UPDATE -> configs.apply(seq, envelope.getConfigUpdate());
            case COMMAND -> jobs.accept(seq, envelope.getCommand());
            case CANCEL_JOB -> jobs.cancel(seq, envelope.getCancelJob());
            default -> {
                store.applyNoOp(seq, List.of());
                unsupported(envelope.getPayloadCase());
            }
        }
    }

    @Override
    public void ignore(Envelope envelope, boolean unknownPayload) {
        if (unknownPayload) {
            unknownPayloads.incrementAndGet();
            return;
        }
        unsupported(envelope.getPayloadCase());
    }

    private void unsupported(PayloadCase payload) {
        unsupportedPayloads.incrementAndGet();
        if (warned.add(payload)) {
            log.warn("the server sent {}, which this agent does not handle yet; ignored (logged once)",
                    payload.name().toLowerCase());
        }
    }

    /** Payloads of types newer than this agent, reliable or live. */
    long unknownPayloads() {
        return unknownPayloads.get();
    }

    /** Known payloads this agent does not handle. */
    long unsupportedPayloads() {
        return unsupportedPayloads.get();
    }
}
