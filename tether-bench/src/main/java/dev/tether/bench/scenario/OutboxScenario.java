package dev.tether.bench.scenario;

import dev.tether.bench.DurationConverter;
import dev.tether.bench.generator.GeneratorSet;
import dev.tether.bench.probe.CpuWindow;
import dev.tether.bench.report.Chart;
import dev.tether.bench.report.Latency;
import dev.tether.bench.report.Table;
import dev.tether.bench.server.ServerProcess;
import dev.tether.bench.sim.Credentials;
import dev.tether.bench.sim.FleetSnapshot;
import dev.tether.protocol.Limits;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tether bench outbox}: reliable events per second, on both sides of the
 * channel. First the server: how many it applies (one transaction per batch,
 * effect and applied seq together) and acknowledges for one simulated agent,
 * or a few, publishing from memory as fast as the window allows. Then the
 * agent: the real agent library stores each event in its SQLite outbox (on
 * disk before it is sent) and gets it acknowledged ({@link AgentOutbox}).
 */
@Command(name = "outbox", mixinStandardHelpOptions = true,
        description = {"Reliable events per second: applied and acknowledged by the server for simulated agents, "
                + "then stored (fsync'd) and acknowledged through the real agent's SQLite outbox."})
public final class OutboxScenario implements Callable<Integer> {

    /** Events per second the real agent's outbox should store and get acknowledged, every one on disk first. */
    static final double TARGET_PER_SECOND = 20_000;

    @Mixin
    RunOptions run;

    @Option(names = "--agents", paramLabel = "N", defaultValue = "1",
            description = "agents publishing at once (default: ${DEFAULT-VALUE})")
    int agents;

    @Option(names = "--events", paramLabel = "M", defaultValue = "100000",
            description = "events each agent publishes (default: ${DEFAULT-VALUE})")
    long events;

    @Option(names = "--pending-limit", paramLabel = "N", defaultValue = "2048",
            description = "unacknowledged events an agent keeps in its outbox at most; the protocol puts at most "
                    + Limits.RELIABLE_WINDOW + " of them on the wire (default: ${DEFAULT-VALUE})")
    int pendingLimit;

    @Option(names = "--run-timeout", paramLabel = "DURATION", defaultValue = "5m", converter = DurationConverter.class,
            description = "give up waiting for the acknowledgements after this long (default: ${DEFAULT-VALUE})")
    Duration runTimeout;

    @Option(names = "--warm-up", paramLabel = "M", defaultValue = "20000",
            description = "events each agent publishes first, unmeasured (default: ${DEFAULT-VALUE})")
    long warmUp;

    @Option(names = "--no-agent-side", description = "skip the real agent's outbox")
    boolean noAgentSide;

    @Option(names = "--agent-warm-up", paramLabel = "M", defaultValue = "2000",
            description = "events the real agent's process publishes and gets acknowledged first, unmeasured, in "
                    + "each setting (default: ${DEFAULT-VALUE})")
    long agentWarmUp;

    @Option(names = "--agent-jvm-opts", paramLabel = "OPTS", defaultValue = "",
            description = "JVM options for the real agent's process, space separated; e.g. the installed agent's "
                    + "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xms8m -Xmx96m (default: none)")
    String agentJvmOpts;

    private static Map<String, Object> agentSideJson(AgentOutbox.Result r) {
        Map<String, Object> one = new LinkedHashMap<>();
        one.put("events", r.setting().events());
        one.put("per_transaction", r.setting().batch());
        one.put("threads", r.setting().threads());
        one.put("store_s", r.storeSeconds());
        one.put("acknowledged_s", r.acknowledgedSeconds());
        one.put("stored_per_second", r.storedPerSecond());
        one.put("acknowledged_per_second", r.acknowledgedPerSecond());
        one.put("agent_cpu_us_per_event", cpuColumn(r.agentCpuMicrosPerEvent()));
        one.put("server_cpu_us_per_event", cpuColumn(r.serverCpuMicrosPerEvent()));
        return one;
    }

    /** CPU microseconds per event to one decimal; null (shown as "-") when the agent's jar did not say. */
    private static Double cpuColumn(double micros) {
        return Double.isNaN(micros) ? null : Math.round(micros * 10) / 10.0;
    }

    private static boolean drained(FleetSnapshot s, long published) {
        return s.published() >= published && s.pending() == 0;
    }

    @Override
    public Integer call() throws Exception {
        if (agents < 1 || events < 1 || pendingLimit < 1 || agentWarmUp < 0) {
            throw new IllegalArgumentException("--agents, --events and --pending-limit must be at least 1, "
                    + "--agent-warm-up at least 0");
        }
        AgentOutbox.AgentJvm agentProcess = new AgentOutbox.AgentJvm(agentWarmUp,
                agentJvmOpts.isBlank() ? List.of() : List.of(agentJvmOpts.trim().split("\\s+")));
        try (BenchRun bench = BenchRun.open("outbox", run, System.out, agents)) {
            ServerProcess server = bench.startServer(Duration.ofSeconds(30));
            List<Credentials> creds = bench.agents(server, agents);
            GeneratorSet fleet = bench.generators(bench.fleetConfig(server, 0, 256, pendingLimit + 1), creds);
            fleet.connect(agents);
            bench.await("agents online", TetherConnections.connectTimeout(agents),
                    () -> fleet.snapshot().online() >= agents);

            if (warmUp > 0) {
                // The same path first, so the measure is not of the JIT compiling it.
                long warmTotal = warmUp * agents;
                fleet.publish(warmUp, pendingLimit);
                bench.await("warm-up events acknowledged", runTimeout, () -> drained(fleet.snapshot(), warmTotal));
            }
            FleetSnapshot warm = fleet.snapshot();
            CpuWindow serverCpu = CpuWindow.open(server.probe());
            CpuWindow generatorCpu = CpuWindow.open(TetherConnections.probes(fleet));
            long start = System.nanoTime();
            fleet.publish(events, pendingLimit);
            long total = events * agents;
            bench.await(total + " events acknowledged", runTimeout,
                    () -> drained(fleet.snapshot(), warm.published() + total));
            FleetSnapshot done = fleet.snapshot();
            double seconds = (done.lastDrainNanos() - start) / 1e9;
            double cpu = serverCpu.percent();
            double genCpu = generatorCpu.percent();
            Latency latency = Latency.ofMicros(done.ackLatency().since(warm.ackLatency()));
            double rate = total / seconds;

            Table table = Table.of("agents", "events", "seconds", "events/s", "per agent/s", "ack p50 ms",
                    "ack p99 ms", "server CPU %", "generator CPU %")
                    .row(agents, total, seconds, rate, rate / agents, latency.p50(), latency.p99(), cpu, genCpu);
            System.out.println();
            System.out.print(table.render());
            System.out.println();
            bench.release(fleet);

            List<AgentOutbox.Result> agentSide = noAgentSide ? List.of()
                    : AgentOutbox.measure(bench, server, AgentOutbox.DEFAULT_SETTINGS, agentProcess, runTimeout);
            Table agentTable = Table.of("real agent", "events", "per transaction", "threads", "stored/s",
                    "acknowledged/s", "agent CPU µs/event", "server CPU µs/event");
            for (AgentOutbox.Result r : agentSide) {
                agentTable.row("SQLite outbox, synchronous=FULL", r.setting().events(), r.setting().batch(),
                        r.setting().threads(), r.storedPerSecond(), r.acknowledgedPerSecond(),
                        cpuColumn(r.agentCpuMicrosPerEvent()), cpuColumn(r.serverCpuMicrosPerEvent()));
            }
            double best = agentSide.stream().mapToDouble(AgentOutbox.Result::acknowledgedPerSecond).max().orElse(0);
            if (!agentSide.isEmpty()) {
                System.out.print(agentTable.render());
                System.out.printf("%nverdict: the real agent stored and got acknowledged up to %,.0f events/s, every one "
                        + "on disk before it was sent: target (>= %,.0f/s) %s%n", best, TARGET_PER_SECOND,
                        best >= TARGET_PER_SECOND ? "met" : "MISSED");
            }

            Path chart = Chart.create("Publish to acknowledgement, " + agents + " agent(s)", "percentile",
                            "milliseconds")
                    .xTicks(List.of(1.0, 2.0, 3.0, 4.0, 5.0), Latency.LABELS)
                    .series("Tether server apply + ack", List.of(1.0, 2.0, 3.0, 4.0, 5.0), latency.values())
                    .writePng(bench.results().chart("ack-latency"));
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("environment", bench.environment());
            json.put("settings", Map.of("agents", agents, "events_per_agent", events, "pending_limit", pendingLimit,
                    "agent_warm_up", agentWarmUp, "agent_jvm_opts", agentProcess.jvmOptions()));
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("events", total);
            result.put("seconds", seconds);
            result.put("events_per_second", rate);
            result.put("events_per_second_per_agent", rate / agents);
            result.put("ack_latency", latency.toJson());
            result.put("server_cpu_percent", cpu);
            result.put("generator_cpu_percent", genCpu);
            json.put("result", result);
            json.put("table", table.rows());
            json.put("agent_side", agentSide.stream().map(OutboxScenario::agentSideJson).toList());
            json.put("agent_side_table", agentTable.rows());
            json.put("chart", chart.getFileName().toString());
            System.out.println("results: " + bench.results().write(json));
            System.out.println("chart:   " + chart);
            return noAgentSide || best >= TARGET_PER_SECOND ? 0 : 1;
        }
    }
}
