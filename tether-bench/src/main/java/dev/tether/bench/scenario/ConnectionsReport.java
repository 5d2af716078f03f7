package dev.tether.bench.scenario;

import dev.tether.bench.DurationConverter;
import dev.tether.bench.probe.HeapProbe;
import dev.tether.bench.report.Chart;
import dev.tether.bench.report.Latency;
import dev.tether.bench.report.Table;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * The connections scenario's results: tables for the terminal, charts and a
 * JSON document in the results directory, and the verdict against the
 * targets (server RSS per agent, heartbeat intake and its CPU).
 */
final class ConnectionsReport {

    /** Server resident memory per connected agent the design aims for. */
    static final double TARGET_KIB_PER_AGENT = 4.0;
    /** Heartbeats per second the server should take in ... */
    static final double TARGET_INTAKE_PER_SECOND = 20_000;
    /** ... using at most this much of one core (the second performance rung; the first asked for 50 %). */
    static final double TARGET_INTAKE_CPU_PERCENT = 35;

    private final BenchRun run;
    private final TetherConnections.Settings settings;
    private final TetherConnections.Result tether;
    private final MosquittoConnections.Result peer;
    private final List<Path> charts = new ArrayList<>();

    ConnectionsReport(BenchRun run, TetherConnections.Settings settings, TetherConnections.Result tether,
            MosquittoConnections.Result peer) {
        this.run = run;
        this.settings = settings;
        this.tether = tether;
        this.peer = peer;
    }

    /** Server RSS growth per agent after the full GC, KiB. */
    double tetherKib(TetherConnections.Step step) {
        return (step.rssAfterGcBytes() - tether.baseline().rssBytes()) / 1024.0 / step.agents();
    }

    /** Server RSS growth per agent from the previous step (or the baseline) to this one, KiB: the slope. */
    double tetherMarginalKib(int index) {
        TetherConnections.Step step = tether.steps().get(index);
        long previousRss = index == 0 ? tether.baseline().rssBytes() : tether.steps().get(index - 1).rssAfterGcBytes();
        int previousAgents = index == 0 ? 0 : tether.steps().get(index - 1).agents();
        return (step.rssAfterGcBytes() - previousRss) / 1024.0 / (step.agents() - previousAgents);
    }

    double peerMarginalKib(int index) {
        MosquittoConnections.Step step = peer.steps().get(index);
        long previousRss = index == 0 ? peer.baselineRssBytes() : peer.steps().get(index - 1).rssBytes();
        int previousClients = index == 0 ? 0 : peer.steps().get(index - 1).clients();
        return (step.rssBytes() - previousRss) / 1024.0 / (step.clients() - previousClients);
    }

    double tetherHeapKib(TetherConnections.Step step) {
        return (step.heapBytes() - tether.baseline().heapBytes()) / 1024.0 / step.agents();
    }

    double peerKib(MosquittoConnections.Step step) {
        return (step.rssBytes() - peer.baselineRssBytes()) / 1024.0 / step.clients();
    }

    MosquittoConnections.Step peerStep(int size) {
        if (peer == null) {
            return null;
        }
        return peer.steps().stream().filter(s -> s.clients() == size).findFirst().orElse(null);
    }

    Table memoryTable() {
        Table table = Table.of("agents", "connect/s", "Tether RSS MiB", "Tether KiB/agent", "slope KiB/agent",
                "heap KiB/agent", "Tether CPU %", "Mosquitto RSS MiB", "Mosquitto KiB/client", "slope KiB/client",
                "Mosquitto CPU %", "ratio");
        int previous = 0;
        for (int i = 0; i < tether.steps().size(); i++) {
            TetherConnections.Step step = tether.steps().get(i);
            MosquittoConnections.Step p = peerStep(step.agents());
            int pi = p == null ? -1 : peer.steps().indexOf(p);
            double kib = tetherKib(step);
            table.row(step.agents(), step.connectPerSecond(previous), TetherConnections.mib(step.rssBytes()), kib,
                    tetherMarginalKib(i), tetherHeapKib(step), step.serverCpuPercent(),
                    p == null ? null : TetherConnections.mib(p.rssBytes()), p == null ? null : peerKib(p),
                    p == null ? null : peerMarginalKib(pi), p == null ? null : p.brokerCpuPercent(),
                    p == null ? null : ratio(kib, peerKib(p)));
            previous = step.agents();
        }
        return table;
    }

    Table intakeTable() {
        Table table = Table.of("side", "connections", "interval", "heartbeats/s", "CPU % of a core",
                "CPU % per 10k/s", "RTT p50 ms", "RTT p99 ms");
        TetherConnections.Intake t = tether.intake();
        if (t != null) {
            Latency rtt = Latency.ofMicros(t.rtt());
            table.row("Tether", t.agents(), DurationConverter.format(t.interval()), t.framesInPerSecond(),
                    t.serverCpuPercent(), perTenThousand(t.serverCpuPercent(), t.framesInPerSecond()), rtt.p50(),
                    rtt.p99());
        }
        if (peer != null && peer.intake() != null) {
            MosquittoConnections.Intake p = peer.intake();
            Latency rtt = Latency.ofMicros(p.rtt());
            table.row("Mosquitto", p.clients(), DurationConverter.format(p.interval()), p.pingsPerSecond(),
                    p.brokerCpuPercent(), perTenThousand(p.brokerCpuPercent(), p.pingsPerSecond()), rtt.p50(),
                    rtt.p99());
        }
        return table;
    }

    Table latencyTable() {
        Table table = Table.of("latency (ms)", "count", "p50", "p90", "p99", "p99.9", "max");
        latencyRow(table, "Tether connect (dial to Welcome)", Latency.ofMicros(tether.connect()));
        if (peer != null) {
            latencyRow(table, "Mosquitto connect (dial to CONNACK)", Latency.ofMicros(peer.connect()));
        }
        if (tether.intake() != null) {
            latencyRow(table, "Tether heartbeat RTT at intake", Latency.ofMicros(tether.intake().rtt()));
        }
        if (peer != null && peer.intake() != null) {
            latencyRow(table, "Mosquitto PINGREQ RTT at intake", Latency.ofMicros(peer.intake().rtt()));
        }
        return table;
    }

    private static void latencyRow(Table table, String name, Latency l) {
        table.row(name, l.count(), l.p50(), l.p90(), l.p99(), l.p999(), l.max());
    }

    /** Where the live heap per agent goes, at the last step: the classes that grew most; null without steps. */
    Table heapGrowthTable() {
        if (tether.steps().isEmpty()) {
            return null;
        }
        int agents = tether.steps().getLast().agents();
        Table table = Table.of("class (live heap growth at " + String.format("%,d", agents) + " agents)",
                "bytes/agent", "instances/agent");
        for (HeapProbe.Growth g : tether.heapGrowth()) {
            table.row(g.className(), (double) g.bytes() / agents, (double) g.instances() / agents);
        }
        return table;
    }

    List<String> verdicts() {
        List<String> lines = new ArrayList<>();
        if (!tether.steps().isEmpty()) {
            TetherConnections.Step last = tether.steps().getLast();
            double kib = tetherKib(last);
            lines.add(String.format("%s server RSS per agent at %,d agents: %.2f KiB (target <= %.0f KiB)",
                    kib <= TARGET_KIB_PER_AGENT ? "MET   " : "MISSED", last.agents(), kib, TARGET_KIB_PER_AGENT));
        }
        TetherConnections.Intake intake = tether.intake();
        if (intake != null) {
            boolean rate = intake.framesInPerSecond() >= TARGET_INTAKE_PER_SECOND;
            boolean cpu = intake.serverCpuPercent() <= TARGET_INTAKE_CPU_PERCENT;
            lines.add(String.format("%s heartbeat intake: %,.0f/s (target >= %,.0f/s) at %.1f %% of a core "
                    + "(target <= %.0f %%)", rate && cpu ? "MET   " : "MISSED", intake.framesInPerSecond(),
                    TARGET_INTAKE_PER_SECOND, intake.serverCpuPercent(), TARGET_INTAKE_CPU_PERCENT));
        }
        return lines;
    }

    boolean targetsMet() {
        return verdicts().stream().allMatch(l -> l.startsWith("MET"));
    }

    void print(PrintStream out) {
        out.println();
        if (!tether.steps().isEmpty()) {
            out.println("Memory and connect, heartbeat every " + DurationConverter.format(settings.interval())
                    + " (per-agent = growth over the idle server after a full GC, divided by agents):");
            out.print(memoryTable().render());
            out.println();
        }
        out.println("Heartbeat intake:");
        out.print(intakeTable().render());
        out.println();
        out.print(latencyTable().render());
        out.println();
        if (heapGrowthTable() != null) {
            out.print(heapGrowthTable().render());
            out.println();
        }
        verdicts().forEach(out::println);
    }

    void write() throws IOException {
        if (!tether.steps().isEmpty()) {
            charts.add(memoryChart().writePng(run.results().chart("memory-per-agent")));
        }
        charts.add(connectChart().writePng(run.results().chart("connect-latency")));
        if (tether.intake() != null) {
            charts.add(heartbeatChart().writePng(run.results().chart("heartbeat-rtt")));
        }
        Path json = run.results().write(toJson());
        run.out().println("results: " + json);
        charts.forEach(c -> run.out().println("chart:   " + c));
    }

    Chart memoryChart() {
        Chart chart = Chart.create("Server memory per connection", "connections", "KiB per connection");
        List<Double> xs = tether.steps().stream().map(s -> (double) s.agents()).toList();
        chart.series("Tether RSS per agent", xs, tether.steps().stream().map(this::tetherKib).toList());
        chart.series("Tether RSS slope between steps", xs, IntStream.range(0, tether.steps().size())
                .mapToObj(this::tetherMarginalKib).toList());
        chart.series("Tether live heap per agent", xs, tether.steps().stream().map(this::tetherHeapKib).toList());
        if (peer != null && !peer.steps().isEmpty()) {
            chart.series("Mosquitto RSS per client", peer.steps().stream().map(s -> (double) s.clients()).toList(),
                    peer.steps().stream().map(this::peerKib).toList());
        }
        return chart.reference("target 4 KiB", TARGET_KIB_PER_AGENT);
    }

    Chart connectChart() {
        List<Double> xs = percentileAxis();
        Chart chart = Chart.create("Connect latency during the ramp", "percentile", "milliseconds")
                .xTicks(xs, Latency.LABELS)
                .series("Tether: dial to Welcome", xs, Latency.ofMicros(tether.connect()).values());
        if (peer != null) {
            chart.series("Mosquitto: dial to CONNACK", xs, Latency.ofMicros(peer.connect()).values());
        }
        return chart;
    }

    Chart heartbeatChart() {
        List<Double> xs = percentileAxis();
        Chart chart = Chart.create("Heartbeat round trip at " + DurationConverter.format(tether.intake().interval())
                        + " intervals", "percentile", "milliseconds")
                .xTicks(xs, Latency.LABELS)
                .series("Tether: Heartbeat to HeartbeatAck", xs, Latency.ofMicros(tether.intake().rtt()).values());
        if (peer != null && peer.intake() != null) {
            chart.series("Mosquitto: PINGREQ to PINGRESP", xs, Latency.ofMicros(peer.intake().rtt()).values());
        }
        return chart;
    }

    private static List<Double> percentileAxis() {
        return List.of(1.0, 2.0, 3.0, 4.0, 5.0);
    }

    Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("environment", run.environment());
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("agents", settings.agents());
        s.put("steps", settings.steps());
        s.put("heartbeat_interval", DurationConverter.format(settings.interval()));
        s.put("hold", DurationConverter.format(settings.hold()));
        s.put("intake_interval", DurationConverter.format(settings.intakeInterval()));
        s.put("intake_hold", DurationConverter.format(settings.intakeHold()));
        s.put("ramp_per_second", settings.rampPerSecond());
        s.put("max_in_flight", settings.maxInFlight());
        s.put("warm_up", settings.warmUp());
        json.put("settings", s);
        json.put("tether", tetherJson());
        json.put("mosquitto", peer == null ? null : peerJson());
        json.put("tables", Map.of("memory", memoryTable().rows(), "intake", intakeTable().rows(),
                "heap_growth", heapGrowthTable() == null ? List.of() : heapGrowthTable().rows()));
        json.put("verdicts", verdicts());
        json.put("charts", charts.stream().map(p -> p.getFileName().toString()).toList());
        return json;
    }

    private Map<String, Object> tetherJson() {
        Map<String, Object> t = new LinkedHashMap<>();
        if (tether.baseline() != null) {
            t.put("baseline_rss_bytes", tether.baseline().rssBytes());
            t.put("baseline_heap_bytes", tether.baseline().heapBytes());
        }
        List<Object> steps = new ArrayList<>();
        int previous = 0;
        for (TetherConnections.Step step : tether.steps()) {
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("agents", step.agents());
            one.put("connect_seconds", step.connectSeconds());
            one.put("connect_per_second", step.connectPerSecond(previous));
            one.put("connect_server_cpu_percent", step.connectCpuPercent());
            one.put("rss_bytes", step.rssBytes());
            one.put("rss_after_gc_bytes", step.rssAfterGcBytes());
            one.put("live_heap_bytes", step.heapBytes());
            one.put("rss_kib_per_agent", tetherKib(step));
            one.put("rss_slope_kib_per_agent", tetherMarginalKib(tether.steps().indexOf(step)));
            one.put("heap_kib_per_agent", tetherHeapKib(step));
            one.put("server_cpu_percent", step.serverCpuPercent());
            one.put("generator_cpu_percent", step.generatorCpuPercent());
            one.put("frames_in_per_second", step.heartbeatsPerSecond());
            one.put("server_threads", step.threads());
            one.put("server_open_files", step.openFiles());
            steps.add(one);
            previous = step.agents();
        }
        t.put("steps", steps);
        t.put("connect_latency", Latency.ofMicros(tether.connect()).toJson());
        t.put("heartbeat_rtt_while_holding", Latency.ofMicros(tether.heartbeatRtt()).toJson());
        t.put("fleet", tether.fleet() == null ? null : tether.fleet().toJson());
        TetherConnections.Intake intake = tether.intake();
        if (intake != null) {
            Map<String, Object> i = new LinkedHashMap<>();
            i.put("agents", intake.agents());
            i.put("interval", DurationConverter.format(intake.interval()));
            i.put("frames_in_per_second", intake.framesInPerSecond());
            i.put("heartbeat_acks_per_second", intake.acksPerSecond());
            i.put("server_cpu_percent", intake.serverCpuPercent());
            i.put("generator_cpu_percent", intake.generatorCpuPercent());
            i.put("disconnects", intake.disconnects());
            i.put("rtt", Latency.ofMicros(intake.rtt()).toJson());
            t.put("intake", i);
        }
        return t;
    }

    private Map<String, Object> peerJson() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("baseline_rss_bytes", peer.baselineRssBytes());
        List<Object> steps = new ArrayList<>();
        for (MosquittoConnections.Step step : peer.steps()) {
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("clients", step.clients());
            one.put("connect_seconds", step.connectSeconds());
            one.put("rss_bytes", step.rssBytes());
            one.put("rss_kib_per_client", peerKib(step));
            one.put("rss_slope_kib_per_client", peerMarginalKib(peer.steps().indexOf(step)));
            one.put("broker_cpu_percent", step.brokerCpuPercent());
            steps.add(one);
        }
        p.put("steps", steps);
        p.put("connect_latency", Latency.ofMicros(peer.connect()).toJson());
        if (peer.intake() != null) {
            Map<String, Object> i = new LinkedHashMap<>();
            i.put("clients", peer.intake().clients());
            i.put("interval", DurationConverter.format(peer.intake().interval()));
            i.put("pings_per_second", peer.intake().pingsPerSecond());
            i.put("broker_cpu_percent", peer.intake().brokerCpuPercent());
            i.put("rtt", Latency.ofMicros(peer.intake().rtt()).toJson());
            p.put("intake", i);
        }
        return p;
    }

    private static Double ratio(double a, double b) {
        return b <= 0 ? null : a / b;
    }

    private static Double perTenThousand(double cpuPercent, double perSecond) {
        return perSecond <= 0 ? null : cpuPercent / (perSecond / 10_000);
    }
}
