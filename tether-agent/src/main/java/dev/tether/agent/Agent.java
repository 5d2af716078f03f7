package dev.tether.agent;

import dev.tether.agent.config.ConfigApplier;
import dev.tether.agent.config.ConfigListeners;
import dev.tether.agent.connection.AgentIdentity;
import dev.tether.agent.connection.ConnectionManager;
import dev.tether.agent.events.AgentEvents;
import dev.tether.agent.metrics.HostMetrics;
import dev.tether.agent.state.ConfigFiles;
import dev.tether.agent.state.StateStore;
import dev.tether.protocol.ReliableChannel;
import dev.tether.protocol.v1.Envelope;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Tether agent: its state store, its connection to the server, and
 * the SDK to publish events and follow configuration.
 *
 * <pre>{@code
 * try (Agent agent = Agent.start(AgentConfig.builder()
 *         .server("https://tether.example.com").key(key).stateDir(Path.of("/var/lib/tether-agent")).build())) {
 *     agent.onConfig((version, json) -> reload(json));
 *     agent.publishEvent("backup.completed", "{\"bytes\": 1234}");
 * }
 * }</pre>
 *
 * <p>Events are durable when {@code publishEvent} returns and are delivered
 * exactly once, in order, across reconnects and restarts. Thread safe.
 */
public final class Agent implements AutoCloseable {

    /** How long {@link #close()} waits for the server to acknowledge what is queued. */
    static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(3);

    private static final Logger log = LoggerFactory.getLogger(Agent.class);

    private final StateStore store;
    private final ReliableChannel channel;
    private final ConfigListeners listeners;
    private final ConnectionManager connection;
    private final AgentReceiver receiver;
    private final Clock clock;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Agent(StateStore store, ReliableChannel channel, ConfigListeners listeners, ConnectionManager connection,
            AgentReceiver receiver, Clock clock) {
        this.store = store;
        this.channel = channel;
        this.listeners = listeners;
        this.connection = connection;
        this.receiver = receiver;
        this.clock = clock;
    }

    /**
     * Opens the state store in {@code config.stateDir()}, publishes {@code agent.started}
     * and connects in the background; returns at once, connected or not.
     *
     * @throws dev.tether.agent.state.StateStoreException when the state dir cannot be used
     */
    public static Agent start(AgentConfig config) {
        Objects.requireNonNull(config, "config");
        Clock clock = Clock.systemUTC();
        String version = version();
        String bootId = UUID.randomUUID().toString();
        StateStore store = StateStore.open(config.stateDir());
        ConfigListeners listeners = new ConfigListeners();
        try {
            reconcileConfigFiles(store);
            store.recordBoot(bootId, version, clock.millis());
            ReliableChannel channel = ReliableChannel.create(store.outbox(), store.state().appliedServerSeq());
            channel.publish(AgentEvents.started(version, bootId, clock.millis()));
            ConfigApplier configs = new ConfigApplier(store, new ConfigFiles(store.stateDir()), listeners, clock);
            AgentReceiver receiver = new AgentReceiver(store, configs);
            ConnectionManager connection = new ConnectionManager(config,
                    AgentIdentity.detect(version, bootId, config.labels()), channel,
                    () -> store.state().configVersion(), receiver, new HostMetrics(store.stateDir()), clock,
                    new SplittableRandom());
            log.info("tether agent {} starting (boot {}): {}", version, bootId, config);
            connection.start();
            return new Agent(store, channel, listeners, connection, receiver, clock);
        } catch (RuntimeException e) {
            listeners.close();
            store.close();
            throw e;
        }
    }

    private static void reconcileConfigFiles(StateStore store) {
        try {
            if (new ConfigFiles(store.stateDir()).reconcile(store.state())) {
                log.info("rewrote the config files from agent.db (the last run stopped before writing them)");
            }
        } catch (IOException e) {
            log.error("cannot write the config files in {}: {}", store.stateDir(), e.toString());
        }
    }

    /** The agent's version: the jar manifest's Implementation-Version, or "dev" when run from classes. */
    public static String version() {
        String version = Agent.class.getPackage().getImplementationVersion();
        return version == null || version.isBlank() ? "dev" : version;
    }

    /**
     * Publishes an event; it is on disk when this returns and is sent as soon as the agent is connected.
     *
     * @param type 1 to 128 characters of {@code [A-Za-z0-9._-]}, e.g. {@code backup.completed}
     * @param json a well-formed JSON document, at most {@link AgentEvents#MAX_PAYLOAD_BYTES} bytes
     * @throws IllegalArgumentException when the type or the JSON is not valid
     * @throws IllegalStateException when the agent is closed
     */
    public void publishEvent(String type, String json) {
        publish(List.of(AgentEvents.envelope(type, json, clock.millis())));
    }

    /** Publishes several events in one transaction: all of them are stored, or (on an exception) none. */
    public void publishEvents(List<Event> events) {
        long now = clock.millis();
        List<Envelope> envelopes = new ArrayList<>(events.size());
        for (Event event : events) {
            envelopes.add(AgentEvents.envelope(event.type(), event.json(), now));
        }
        publish(envelopes);
    }

    private void publish(List<Envelope> envelopes) {
        checkOpen();
        if (envelopes.isEmpty()) {
            return;
        }
        channel.publish(envelopes);
        connection.wake();
    }

    /**
     * Calls {@code listener} with each configuration applied from now on, and at
     * once with the current one if there is one. See {@link ConfigListener} for threading.
     */
    public void onConfig(ConfigListener listener) {
        Objects.requireNonNull(listener, "listener");
        checkOpen();
        listeners.add(listener, store::state);
    }

    /** Whether the agent is connected to the server now (handshake done). */
    public boolean connected() {
        return connection.connected();
    }

    /** The server's id for this agent, from the last Welcome (kept across restarts); null before the first. */
    public String agentId() {
        return closed.get() ? null : store.state().agentId();
    }

    /** Reliable payloads (events, reports) stored and not yet acknowledged by the server. */
    public long outboxDepth() {
        checkOpen();
        return channel.depth();
    }

    /** Payloads of types newer than this agent, applied or ignored as no-ops. */
    long unknownPayloads() {
        return receiver.unknownPayloads();
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("the agent is closed");
        }
    }

    /**
     * Stops gracefully: publishes {@code agent.stopping}, waits up to 3 s for the
     * server to acknowledge what is queued (when connected), closes the connection
     * with 1000 "agent stopping" and closes the state store. What is not
     * acknowledged stays on disk and is sent after the next start. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            channel.publish(AgentEvents.stopping(clock.millis()));
            connection.wake();
        } catch (RuntimeException e) {
            log.warn("could not publish agent.stopping: {}", e.getMessage());
        }
        if (connection.connected() && !connection.awaitDrained(DRAIN_TIMEOUT)) {
            log.warn("stopping with {} payload(s) not yet acknowledged; they are sent after the next start",
                    channel.depth());
        }
        connection.close();
        listeners.close();
        store.close();
        log.info("tether agent stopped; this run ignored {} payload(s) of unknown types and {} it does not handle yet",
                receiver.unknownPayloads(), receiver.unsupportedPayloads());
    }
}
