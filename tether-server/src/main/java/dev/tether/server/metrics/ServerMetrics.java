package dev.tether.server.metrics;

import dev.tether.protocol.CloseCodes;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.distribution.pause.NoPauseDetector;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Every metric the server exports on {@code /metrics}, named as Prometheus sees them:
 * <ul>
 *   <li>{@code tether_agents_connected}: agents with a live connection here;</li>
 *   <li>{@code tether_handshakes_total{result="ok"|"failed"}} and
 *       {@code tether_handshake_failures_total{reason}};</li>
 *   <li>{@code tether_reconnects_total}: connections of agents that had one before in this process;</li>
 *   <li>{@code tether_frames_total{direction="in"|"out"}}, {@code tether_bytes_total{direction}};</li>
 *   <li>{@code tether_connection_closes_total{code}}: every agent connection's end, by close code
 *       (1006 when the link dropped without a close frame; a code this server does not know is {@code other});</li>
 *   <li>{@code tether_reliable_pending{direction="to_agents"}} (outbox rows) and
 *       {@code {direction="from_agents"}} (the outbox depth agents last reported);</li>
 *   <li>{@code tether_reliable_inbound_peak}: the most reliable payloads any one connection has had received and
 *       waiting to be applied since the server started (reading pauses at the window, 512);</li>
 *   <li>{@code tether_unknown_payloads_total}: payloads from a newer peer, ignored;</li>
 *   <li>{@code tether_ignored_payloads_total{payload}}: known payloads this build does not act on yet;</li>
 *   <li>{@code tether_commands_total}: commands created;</li>
 *   <li>{@code tether_jobs_total{state}}: jobs that reached a final state, by that state;</li>
 *   <li>{@code tether_jobs_running}: jobs running (refreshed every second);</li>
 *   <li>{@code tether_job_events_ignored_total{reason}}: job events that changed nothing ({@code final}: the
 *       job was final already; {@code unknown_job}; {@code duplicate}; {@code output_limit}; {@code empty});</li>
 *   <li>{@code tether_reliable_quarantined_total}: reliable agent payloads that failed to apply
 *       {@code PayloadQuarantine.MAX_ATTEMPTS} times because of their content and were set aside;</li>
 *   <li>{@code tether_event_stream_overflows_total}: event stream clients disconnected for reading too slowly;</li>
 *   <li>{@code tether_shell_sessions}: shell sessions relayed by this server (attached or not);
 *       {@code tether_shell_buffered_bytes}: output received from agents and not yet written to clients, all
 *       sessions; {@code tether_shell_buffered_peak_bytes}: the most any one session has had buffered since the
 *       server started (never above the credit window); {@code tether_shell_sessions_ended_total{reason}};</li>
 *   <li>{@code tether_fleet_agents{status}}: the fleet's agents by status ({@link FleetAgents});</li>
 *   <li>histograms ({@code _bucket{le}}, {@code _sum}, {@code _count}, bounds in {@link Histograms}):
 *       {@code tether_http_request_duration_seconds{route, method, status}} ({@link HttpTimers});
 *       {@code tether_reliable_apply_duration_seconds}: each transaction applying a batch of one agent's reliable
 *       payloads (their one-by-one retry after a failed batch included);
 *       {@code tether_fanout_duration_seconds}: each command's creation, from resolving its targets to the
 *       commit of its jobs and first sends.</li>
 * </ul>
 * Thread safe.
 */
public final class ServerMetrics implements AutoCloseable {

    private static final int FRAMES_IN = 0;
    private static final int FRAMES_OUT = 1;
    private static final int BYTES_IN = 2;
    private static final int BYTES_OUT = 3;

    /** Registered at 0 at start, so a scrape shows every series before its first increment. */
    private static final List<String> FINAL_JOB_STATES = List.of("succeeded", "failed", "cancelled", "timed_out",
            "expired", "lost");
    private static final List<String> IGNORED_JOB_EVENT_REASONS = List.of("final", "unknown_job", "duplicate",
            "output_limit", "empty");

    private final PrometheusMeterRegistry registry = newRegistry();
    /** Listens for GC notifications until {@link #close}. */
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final AtomicInteger inboundPeak = new AtomicInteger();
    private final Counter handshakesOk = handshakes("ok");
    private final Counter handshakesFailed = handshakes("failed");
    private final Counter reconnects = Counter.builder("tether.reconnects")
            .description("Connections of agents that had connected before in this process").register(registry);
    /** Frames and bytes of every agent connection: per thread, summed at scrape time. */
    private final ThreadCounters traffic = new ThreadCounters(4);
    private final Counter unknownPayloads = Counter.builder("tether.unknown.payloads")
            .description("Payloads of a type newer than this server, ignored").register(registry);
    private final Counter commands = Counter.builder("tether.commands")
            .description("Commands created").register(registry);
    private final Counter payloadsQuarantined = Counter.builder("tether.reliable.quarantined")
            .description("Reliable agent payloads that failed to apply too often and were set aside")
            .register(registry);
    private final Counter streamOverflows = Counter.builder("tether.event.stream.overflows")
            .description("Event stream clients disconnected because their buffer overflowed").register(registry);
    private final HttpTimers httpTimers = new HttpTimers(registry);
    private final FleetAgents fleetAgents = new FleetAgents(registry);
    private final Timer reliableApply = Histograms.register(registry, "tether.reliable.apply.duration",
            "Transactions applying a batch of an agent's reliable payloads", Histograms.APPLY);
    private final Timer fanOut = Histograms.register(registry, "tether.fanout.duration",
            "Command creation, from resolving its targets to the commit of its jobs", Histograms.FAN_OUT);

    public ServerMetrics() {
        this("dev");
    }

    /** @param version this build's, exported as {@code tether_build_info{version}} */
    public ServerMetrics(String version) {
        // The process as an operator's dashboards expect it: memory and GC, threads, CPU, open files, uptime.
        registerTraffic();
        new ClassLoaderMetrics().bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        Gauge.builder("tether.build.info", () -> 1).tag("version", version)
                .description("Always 1; the version of this server in its label").register(registry);
        FINAL_JOB_STATES.forEach(state -> jobsFinished(state, 0));
        IGNORED_JOB_EVENT_REASONS.forEach(reason -> jobEventsIgnored(reason, 0));
        KNOWN_CLOSE_CODES.forEach(code -> closes(Integer.toString(code)));
        closes("other");
        Gauge.builder("tether.reliable.inbound.peak", inboundPeak::get)
                .description("Most reliable payloads one connection has had waiting to be applied since the start")
                .register(registry);
    }

    private static PrometheusMeterRegistry newRegistry() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        // The default detector needs LatencyUtils (not in this build) and would add work to every timing.
        registry.config().pauseDetector(new NoPauseDetector());
        return registry;
    }

    /** The HTTP request histogram. */
    public HttpTimers http() {
        return httpTimers;
    }

    /** The fleet's agents by status, refreshed by each scrape. */
    public FleetAgents fleetAgents() {
        return fleetAgents;
    }

    /** A transaction applying reliable agent payloads took {@code nanos}. */
    public void reliableApplied(long nanos) {
        reliableApply.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** A command was created and its jobs committed, {@code nanos} after its creation started. */
    public void fannedOut(long nanos) {
        fanOut.record(nanos, TimeUnit.NANOSECONDS);
    }

    public void handshakeSucceeded() {
        handshakesOk.increment();
    }

    /** A connection attempt failed before Welcome; {@code reason} is a short snake_case word. */
    public void handshakeFailed(String reason) {
        handshakesFailed.increment();
        Counter.builder("tether.handshake.failures").tag("reason", reason)
                .description("Failed connection attempts, by reason").register(registry).increment();
    }

    public void reconnected() {
        reconnects.increment();
    }

    public void frameIn(int byteCount) {
        traffic.add(FRAMES_IN, 1, BYTES_IN, byteCount);
    }

    public void frameOut(int byteCount) {
        traffic.add(FRAMES_OUT, 1, BYTES_OUT, byteCount);
    }

    /**
     * Close codes kept as their own label value; any other (an agent may close with any code) is {@code other},
     * so a hostile agent cannot grow the series without bound.
     */
    private static final Set<Integer> KNOWN_CLOSE_CODES = Set.of(CloseCodes.NORMAL, CloseCodes.GOING_AWAY,
            CloseCodes.PROTOCOL_ERROR, CloseCodes.UNSUPPORTED_DATA, 1005, 1006, CloseCodes.INVALID_PAYLOAD,
            CloseCodes.POLICY_VIOLATION, CloseCodes.MESSAGE_TOO_BIG, CloseCodes.INTERNAL_ERROR,
            CloseCodes.TRY_AGAIN_LATER, CloseCodes.REPLACED, CloseCodes.REVOKED, CloseCodes.UNSUPPORTED_VERSION,
            CloseCodes.HANDSHAKE_TIMEOUT, CloseCodes.DEAD_PEER);

    /** The {@code code} label of a close code: itself when known, else {@code other}. */
    static String closeCodeLabel(int code) {
        return KNOWN_CLOSE_CODES.contains(code) ? Integer.toString(code) : "other";
    }

    public void connectionClosed(int code) {
        closes(closeCodeLabel(code)).increment();
    }

    private Counter closes(String label) {
        return Counter.builder("tether.connection.closes").tag("code", label)
                .description("Agent connections ended, by WebSocket close code").register(registry);
    }

    public void unknownPayload() {
        unknownPayloads.increment();
    }

    public void ignoredPayload(String payload) {
        Counter.builder("tether.ignored.payloads").tag("payload", payload)
                .description("Reliable payloads applied as no-ops until their feature lands")
                .register(registry).increment();
    }

    public void commandCreated() {
        commands.increment();
    }

    /** {@code count} jobs reached the final {@code state}. */
    public void jobsFinished(String state, int count) {
        Counter.builder("tether.jobs").tag("state", state)
                .description("Jobs that reached a final state, by state").register(registry).increment(count);
    }

    public void jobEventsIgnored(String reason, int count) {
        Counter.builder("tether.job.events.ignored").tag("reason", reason)
                .description("Job events that changed nothing, by reason").register(registry).increment(count);
    }

    public void payloadQuarantined() {
        payloadsQuarantined.increment();
    }

    public void eventStreamOverflowed() {
        streamOverflows.increment();
    }

    public void gaugeJobsRunning(Supplier<Number> running) {
        Gauge.builder("tether.jobs.running", running)
                .description("Jobs running on agents").register(registry);
    }

    public void gaugeConnectedAgents(Supplier<Number> connected) {
        Gauge.builder("tether.agents.connected", connected)
                .description("Agents with a live connection to this server").register(registry);
    }

    /** Agent handshakes admitted and not yet established or failed (bounded: see the gateway's admission). */
    public void gaugeHandshakesInFlight(Supplier<Number> inFlight) {
        Gauge.builder("tether.handshakes.in.flight", inFlight)
                .description("Agent handshakes admitted and not finished").register(registry);
    }

    /** Seconds since this node last renewed its cluster lease: near the renew period when healthy. */
    public void gaugeLeaseAge(Supplier<Number> seconds) {
        Gauge.builder("tether.cluster.lease.age", seconds).baseUnit("seconds")
                .description("Time since this node last renewed its cluster lease").register(registry);
    }

    /** @param direction {@code to_agents} or {@code from_agents} */
    public void gaugeReliablePending(String direction, Supplier<Number> pending) {
        Gauge.builder("tether.reliable.pending", pending).tag("direction", direction)
                .description("Reliable payloads stored and not yet acknowledged").register(registry);
    }

    /** One connection now has {@code waiting} reliable payloads received and not yet applied. */
    public void inboundWaiting(int waiting) {
        inboundPeak.accumulateAndGet(waiting, Math::max);
    }

    /** @param sessions relayed sessions; @param buffered bytes buffered, all sessions; @param peak high-water mark */
    public void gaugeShells(Supplier<Number> sessions, Supplier<Number> buffered, Supplier<Number> peak) {
        Gauge.builder("tether.shell.sessions", sessions)
                .description("Shell sessions relayed by this server").register(registry);
        Gauge.builder("tether.shell.buffered.bytes", buffered)
                .description("Shell output received from agents and not yet written to clients").register(registry);
        Gauge.builder("tether.shell.buffered.peak.bytes", peak)
                .description("Most shell output any one session had buffered since the server started")
                .register(registry);
    }

    /** A shell session ended; {@code reason} is a short snake_case word. */
    public void shellEnded(String reason) {
        Counter.builder("tether.shell.sessions.ended").tag("reason", reason)
                .description("Shell sessions ended, by reason").register(registry).increment();
    }

    /** Where other parts of the server (the database pool) register their meters. */
    public MeterRegistry registry() {
        return registry;
    }

    /** Stops listening for GC notifications. */
    @Override
    public void close() {
        gc.close();
    }

    /** The Prometheus text exposition of every metric. */
    public String scrape() {
        return registry.scrape();
    }

    private Counter handshakes(String result) {
        return Counter.builder("tether.handshakes").tag("result", result)
                .description("Agent handshakes, by result").register(registry);
    }

    private void registerTraffic() {
        trafficCounter("tether.frames", "in", FRAMES_IN, null, "WebSocket messages on agent connections");
        trafficCounter("tether.frames", "out", FRAMES_OUT, null, "WebSocket messages on agent connections");
        trafficCounter("tether.bytes", "in", BYTES_IN, "bytes", "Payload bytes on agent connections");
        trafficCounter("tether.bytes", "out", BYTES_OUT, "bytes", "Payload bytes on agent connections");
    }

    private void trafficCounter(String name, String direction, int index, String unit, String description) {
        FunctionCounter.builder(name, traffic, counters -> counters.sum(index)).tag("direction", direction)
                .baseUnit(unit).description(description).register(registry);
    }
}
