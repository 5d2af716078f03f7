package dev.tether.agent;

import dev.tether.agent.config.ConfigApplier;
import dev.tether.agent.config.ConfigListeners;
import dev.tether.agent.connection.AgentIdentity;
import dev.tether.agent.connection.ConnectionManager;
import dev.tether.agent.connection.LinkStatus;
import dev.tether.agent.control.ControlSocket;
import dev.tether.agent.control.StatusReport;
import dev.tether.agent.events.AgentEvents;
import dev.tether.agent.events.GroupPublisher;
import dev.tether.agent.jobs.Jobs;
import dev.tether.agent.jobs.UpdateTrial;
import dev.tether.agent.metrics.HostMetrics;
import dev.tether.agent.process.ChildEnvironment;
import dev.tether.agent.shell.ShellRegistry;
import dev.tether.agent.state.ConfigFiles;
import dev.tether.agent.state.HostId;
import dev.tether.agent.state.StateStore;
import dev.tether.agent.state.StoredState;
import dev.tether.protocol.ReliableChannel;
import dev.tether.protocol.v1.Envelope;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import javax.net.ssl.SSLContext;
import org.slf4j.LoggerFactory;

/**
 * A running Tether agent: its state store, its connection to the server, its
 * jobs, and the SDK to publish events, follow configuration and add command types.
 *
 * <pre>{@code
 * try (Agent agent = Agent.start(AgentConfig.builder()
 *         .server("https://tether.example.com").key(key).stateDir(Path.of("/var/lib/tether-agent")).build(),
 *         a -> a.registerCommand("backup.run", ctx -> JobResult.success(backup.run(ctx.params()))))) {
 *     agent.onConfig((version, json) -> reload(json));
 *     agent.publishEvent("backup.completed", "{\"bytes\": 1234}");
 * }
 * }</pre>
 *
 * <p>Events are durable when {@code publishEvent} returns and are delivered
 * exactly once, in order, across reconnects and restarts. A job runs at most
 * once and its outcome is reported exactly once (see {@link CommandHandler}).
 * Thread safe.
 */
public final class Agent implements AutoCloseable {

    /** How long {@link #close()} waits for the server to acknowledge what is queued. */
    static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(3);
    /** How long a restart after a self-update waits for the server to acknowledge the job's report. */
    static final Duration RESTART_DRAIN_TIMEOUT = Duration.ofSeconds(5);

    /**
     * The exit code after a successful self-update: "restart me". The systemd unit
     * restarts on it ({@code RestartForceExitStatus=75}); 75 is EX_TEMPFAIL.
     */
    public static final int RESTART_EXIT_CODE = 75;

    private static final Logger log = LoggerFactory.getLogger(Agent.class);

    private final StateStore store;
    private final ReliableChannel channel;
    /** Events from concurrent threads, stored in shared transactions. */
    private final GroupPublisher events;
    private final ConfigListeners listeners;
    private final ConnectionManager connection;
    private final AgentReceiver receiver;
    private final Jobs jobs;
    private final ShellRegistry shells;
    private final LinkStatus link;
    private final Clock clock;
    /** Null until started, and when it could not be bound. */
    private volatile ControlSocket control;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** What a restart after a self-update does: exit with {@link #RESTART_EXIT_CODE}; tests replace it. */
    private volatile Runnable restartAction = () -> Runtime.getRuntime().exit(RESTART_EXIT_CODE);

    private Agent(AgentConfig config, SSLContext tls, StateStore store, ReliableChannel channel,
            ConfigListeners listeners, AgentIdentity identity, Clock clock) {
        this.store = store;
        this.channel = channel;
        this.events = new GroupPublisher(channel::publish);
        this.listeners = listeners;
        this.clock = clock;
        HostMetrics metrics = new HostMetrics(store.stateDir());
        ConfigApplier configs = new ConfigApplier(store, new ConfigFiles(store.stateDir()), listeners, clock);
        ChildEnvironment children = ChildEnvironment.create(config.key(), config.runAs());
        this.jobs = Jobs.create(new Jobs.Setup(store, channel, this::wake, clock, configs, identity, metrics,
                children, this::restartAfterUpdate));
        this.receiver = new AgentReceiver(store, configs, jobs);
        this.shells = ShellRegistry.create(config.shell(), children, store.stateDir());
        this.link = new LinkStatus(journal(store), clock.millis());
        this.connection = new ConnectionManager(config, tls, identity, channel, () -> store.state().configVersion(),
                this::capabilities, receiver, shells, metrics, link, clock, new SplittableRandom());
    }

    /** The connection's history goes to the state database, for {@code tether agent status} when stopped. */
    private static LinkStatus.Journal journal(StateStore store) {
        return new LinkStatus.Journal() {
            @Override
            public void connected(String server, long atMs) {
                store.link().connected(server, atMs);
            }

            @Override
            public void ended(String why, long atMs) {
                store.link().ended(why, atMs);
            }
        };
    }

    /** Answers {@code tether agent status} and {@code tether agent emit}. */
    private ControlSocket.Handler controlHandler() {
        return new ControlSocket.Handler() {
            @Override
            public Map<String, Object> status() {
                return StatusReport.running(store.stateDir(), store.snapshot(), link.now(), version());
            }

            @Override
            public void emit(String type, String json) {
                publishEvent(type, json);
            }
        };
    }

    /** {@code cmd:<type>} for each command type, and {@code shell} when shells are enabled. */
    private List<String> capabilities() {
        List<String> capabilities = new ArrayList<>(jobs.capabilities());
        capabilities.addAll(shells.capabilities());
        return capabilities;
    }

    /**
     * Opens the state store in {@code config.stateDir()}, publishes {@code agent.started},
     * reports the jobs a previous process left unfinished as lost, and connects in
     * the background; returns at once, connected or not.
     *
     * @throws dev.tether.agent.state.StateStoreException when the state dir cannot be used
     */
    public static Agent start(AgentConfig config) {
        return start(config, agent -> { });
    }

    /**
     * Like {@link #start(AgentConfig)}, calling {@code beforeConnect} once the agent
     * is ready and before it connects. Register command types and health checks
     * there: the first Hello then advertises them, and a job of a custom type that
     * the server replays right after connecting finds its handler.
     *
     * @throws dev.tether.agent.state.StateStoreException when the state dir cannot be used
     */
    public static Agent start(AgentConfig config, Consumer<Agent> beforeConnect) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(beforeConnect, "beforeConnect");
        Clock clock = Clock.systemUTC();
        String version = version();
        String bootId = UUID.randomUUID().toString();
        // Built beside the state store's opening: the TLS context parses the trusted certificates (about a tenth
        // of a second), the store loads SQLite and commits; on two cores the two overlap. None for ws:// servers.
        CompletableFuture<SSLContext> tls = CompletableFuture.supplyAsync(
                () -> ConnectionManager.tls(config),
                work -> Thread.ofPlatform().daemon().name("tether-tls-init").start(work));
        StateStore store = StateStore.open(config.stateDir());
        ConfigListeners listeners = new ConfigListeners();
        Agent agent = null;
        try {
            store.claimHost(HostId.detect(), config.acceptMovedState());
            refuseRunAsAccess(config, store);
            reconcileConfigFiles(store);
            store.recordBoot(bootId, version, clock.millis());
            // A session the last process did not see end (it was killed) ended no later than now.
            store.link().ended(null, clock.millis());
            StoredState state = store.state();
            ReliableChannel channel = ReliableChannel.create(store.outbox(), state.appliedServerSeq(),
                    state.appliedServerStamp());
            channel.publish(AgentEvents.started(version, bootId, clock.millis()));
            agent = new Agent(config, built(tls), store, channel, listeners,
                    AgentIdentity.detect(version, bootId, config.labels()), clock);
            agent.jobs.endLeftOverJobs();
            beforeConnect.accept(agent);
            log.info("tether agent {} starting (boot {}): {}", version, bootId, config);
            agent.connection.start();
            agent.control = ControlSocket.open(store.stateDir(), agent.controlHandler());
            Agent started = agent;
            UpdateTrial.ofRunningJar(version, started::publishEvent)
                    .start(started.connection::connected, () -> started.restartAction.run());
            return agent;
        } catch (RuntimeException | Error e) {
            if (agent != null) {
                closeControl(agent.control);
                agent.jobs.stop();
                agent.shells.close();
                agent.connection.close();
            }
            listeners.close();
            store.close();
            throw e;
        }
    }

    /** The TLS context built in the background, or what building it threw (a CA file that cannot be used). */
    private static SSLContext built(CompletableFuture<SSLContext> tls) {
        try {
            return tls.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw e;
        }
    }

    private static void closeControl(ControlSocket control) {
        if (control != null) {
            control.close();
        }
    }

    /** With --run-as, the user must not be able to read the state dir (the key and the database are there). */
    private static void refuseRunAsAccess(AgentConfig config, StateStore store) {
        if (config.runAs() == null) {
            return;
        }
        try {
            config.runAs().refuseAccessTo(store.stateDir());
        } catch (IOException e) {
            throw new IllegalStateException("cannot check the state dir for --run-as: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking the state dir for --run-as", e);
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
     * Threads publishing at the same moment share a transaction (one fsync for all of them).
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
        events.publish(envelopes);
        connection.wake();
    }

    /**
     * Runs jobs of a custom command type with {@code handler}; see {@link CommandHandler}.
     * The type is advertised to the server as capability {@code cmd:<type>} in every
     * Hello: register in {@link #start(AgentConfig, Consumer)}'s {@code beforeConnect}
     * to have it in the first one.
     *
     * @param type 1 to 128 characters of {@code [A-Za-z0-9._-]}, e.g. {@code backup.run}; not one of
     *     the built-in types {@code exec}, {@code health_check}, {@code config}, {@code self_update}
     * @throws IllegalArgumentException when the type is not valid, built in or already registered
     */
    public void registerCommand(String type, CommandHandler handler) {
        checkOpen();
        jobs.register(type, handler);
    }

    /**
     * Adds a check to the built-in {@code health_check} command's result.
     *
     * @throws IllegalArgumentException when a check of that name exists (built in: {@code state_dir}, {@code outbox})
     */
    public void registerHealthCheck(String name, HealthCheck check) {
        Objects.requireNonNull(check, "check");
        checkOpen();
        jobs.registerHealthCheck(name, check);
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

    private void wake() {
        connection.wake();
    }

    /** After a self-update: waits for the job's report to be acknowledged, then exits for a restart. */
    private void restartAfterUpdate() {
        if (connection.connected() && !connection.awaitDrained(RESTART_DRAIN_TIMEOUT)) {
            log.warn("restarting with {} report(s) not yet acknowledged; they are sent after the restart",
                    channel.depth());
        }
        log.info("restarting to run the updated agent (exit code {})", RESTART_EXIT_CODE);
        restartAction.run();
    }

    /** Replaces what a restart after a self-update does (tests: anything but exiting the JVM). */
    void restartAction(Runnable action) {
        restartAction = Objects.requireNonNull(action, "action");
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("the agent is closed");
        }
    }

    /**
     * Stops gracefully: stops the running jobs (SIGTERM to their process groups,
     * SIGKILL after 5 s; SDK handlers are interrupted) and reports them, and those
     * still waiting, CANCELLED "agent stopping", so none is left to be reported
     * lost; meanwhile ends every shell session (SIGHUP and SIGTERM to its process
     * group, SIGKILL after 2 s); then publishes {@code agent.stopping}, waits up to 3 s for the server
     * to acknowledge what is queued (when connected), closes the connection with
     * 1000 "agent stopping" and closes the state store. What is not acknowledged
     * stays on disk and is sent after the next start. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        closeControl(control);
        shells.terminateAll();
        try {
            jobs.stop();
        } catch (RuntimeException e) {
            log.error("stopping the jobs failed; unreported ones are reported lost at the next start", e);
        }
        shells.close();
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
