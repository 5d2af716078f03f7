package dev.tether.bench.scenario;

import dev.tether.bench.report.Chart;
import dev.tether.bench.report.Histogram;
import dev.tether.bench.report.Latency;
import dev.tether.bench.report.Table;
import dev.tether.bench.sim.FleetSnapshot;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The cluster scenario's tables (printed, and as markdown in the JSON), its results JSON and its charts: latency
 * percentiles of the fan-out and the recovery fan-out, and of the wake-up; the recovery timeline; memory per agent per
 * node beside the single-node figure. Not thread safe.
 */
final class ClusterReport {

    private static final List<Double> PERCENTILES = List.of(1.0, 2.0, 3.0, 4.0, 5.0);

    /**
     * How the run was set up.
     *
     * @param direct agents given the nodes' URLs
     * @param balanced agents dialling HAProxy
     * @param connectSeconds from dialling the first agent to all online
     * @param connect each agent's dial to Welcome, microseconds
     * @param held agents per node, from {@code /api/v1/cluster/nodes}
     */
    record Setup(int agents, int nodes, int direct, int balanced, Duration heartbeat, Duration killAfter,
            double connectSeconds, Histogram connect, Map<String, Long> held) {
    }

    private final BenchRun run;
    private final Setup setup;
    private final List<ClusterMemory.Node> memory;
    private final ClusterFanout.Fanout fanout;
    private final ClusterFanout.Wakeups wakeups;
    private final ClusterRecovery.Result recovery;
    private final FleetSnapshot fleet;
    private final List<Path> charts = new ArrayList<>();

    ClusterReport(BenchRun run, Setup setup, List<ClusterMemory.Node> memory, ClusterFanout.Fanout fanout,
            ClusterFanout.Wakeups wakeups, ClusterRecovery.Result recovery, FleetSnapshot fleet) {
        this.run = run;
        this.setup = setup;
        this.memory = List.copyOf(memory);
        this.fanout = fanout;
        this.wakeups = wakeups;
        this.recovery = recovery;
        this.fleet = fleet;
    }

    /** Every command reached every agent exactly once and every job succeeded. */
    boolean clean() {
        return fanout.duplicates() == 0 && wakeups.duplicates() == 0 && recovery.clean();
    }

    boolean wakeupTargetMet() {
        return Latency.ofMicros(wakeups.delivery()).p99() <= ClusterScenario.WAKEUP_TARGET_P99.toMillis();
    }

    void print(PrintStream out) {
        out.println();
        out.print(nodeTable().render());
        out.println("one node: " + ClusterMemory.SINGLE_NODE_SOURCE);
        out.println();
        out.print(latencyTable().render());
        out.println();
        out.print(recoveryTable().render());
        out.println();
        out.println("verdict: " + verdict());
    }

    String verdict() {
        String wake = String.format("cross-node wake-up p99 %.1f ms (target <= %d ms: %s)",
                Latency.ofMicros(wakeups.delivery()).p99(), ClusterScenario.WAKEUP_TARGET_P99.toMillis(),
                wakeupTargetMet() ? "met" : "MISSED");
        return (clean() ? "PASS: every command reached every agent once, every job succeeded, 0 lost"
                : "FAIL: commands lost, duplicated or jobs not succeeded (see the recovery table)") + "; " + wake;
    }

    Table nodeTable() {
        Table table = Table.of("node", "agents held", "RSS KiB/agent", "PSS KiB/agent", "live heap KiB/agent",
                "RSS MiB held", "live heap MiB held");
        for (ClusterMemory.Node n : memory) {
            table.row(n.name(), n.agents(), kib(n.rssKibPerAgent()), kib(n.pssKibPerAgent()),
                    kib(n.heapKibPerAgent()), mib(n.loaded().footprint().rssBytes()), mib(n.loaded().heapBytes()));
        }
        return table.row("one node (below)", "19,500",
                kib(ClusterMemory.SINGLE_NODE_RSS_KIB), "-", kib(ClusterMemory.SINGLE_NODE_HEAP_KIB), "-", "-");
    }

    Table latencyTable() {
        Table table = Table.of("measure", "count", "p50 ms", "p99 ms", "max ms");
        latencyRow(table, "connect: dial -> Welcome", Latency.ofMicros(setup.connect()));
        latencyRow(table, "fan-out: API call -> CommandRequest arrival", Latency.ofMicros(fanout.delivery()));
        latencyRow(table, "fan-out: API call -> job end", Latency.ofMicros(fanout.jobEnd()));
        latencyRow(table, "wake-up on " + wakeups.holderNode() + " via " + wakeups.apiNode()
                + ": API call -> arrival", Latency.ofMicros(wakeups.delivery()));
        latencyRow(table, "wake-up: API call -> job end", Latency.ofMicros(wakeups.jobEnd()));
        latencyRow(table, "recovery fan-out: API call -> job end", Latency.ofMicros(recovery.jobEnd()));
        return table;
    }

    private static void latencyRow(Table table, String name, Latency l) {
        table.row(name, l.count(), ms(l.p50()), ms(l.p99()), ms(l.max()));
    }

    Table recoveryTable() {
        ClusterRecovery.Result r = recovery;
        return Table.of("measure", "value")
                .row("agents (direct / through HAProxy)", setup.agents() + " (" + setup.direct() + " / "
                        + setup.balanced() + ")")
                .row("connect: all online in", String.format("%.1f s", setup.connectSeconds()))
                .row("fan-out: all jobs ended in", String.format("%.2f s", fanout.seconds()))
                .row("fan-out: API call(s)", ms(fanout.apiMillis()) + " ms")
                .row("fan-out: held by other nodes than the API node",
                        String.format("%.1f %%", 100 * fanout.crossNodeShare()))
                .row("fan-out / wake-up: received twice", fanout.duplicates() + " / " + wakeups.duplicates())
                .row("recovery: node killed -9", r.victim() + ", holding " + r.heldByVictim() + " agents, "
                        + setup.killAfter().toMillis() + " ms after the API call returned")
                .row("recovery: jobs ended before the kill", r.endedAtKill() + " of " + r.agents())
                .row("recovery: victim's lease age at the kill", r.leaseAgeAtKillMillis() + " ms")
                .row("recovery: every agent online again (agents' count)", at(r.agentsOnlineMillis()))
                .row("recovery: every job's end acked (agents' count)", at(r.jobsEndedMillis()))
                .row("recovery: all re-homed, none on the victim (server)", at(r.reHomedMillis()))
                .row("recovery: victim swept by a survivor (database)", at(r.leaseExpiredMillis()))
                .row("recovery: every job final (server)", at(r.jobsFinalMillis()))
                .row("recovery: jobs by state", r.jobStates().toString())
                .row("recovery: CommandRequests received / expected", r.received() + " / " + r.agents())
                .row("recovery: received twice", r.duplicates())
                .row("recovery: lost (jobs not succeeded)", r.notSucceeded());
    }

    private static String at(long millis) {
        return millis < 0 ? "NOT within the timeout" : String.format("+%.2f s after the kill", millis / 1000.0);
    }

    void write() throws IOException {
        charts.add(latencyChart().writePng(run.results().chart("latency")));
        charts.add(wakeupChart().writePng(run.results().chart("wakeup")));
        charts.add(timelineChart().writePng(run.results().chart("recovery")));
        charts.add(memoryChart().writePng(run.results().chart("memory-per-agent")));
        Path json = run.results().write(toJson());
        run.out().println("results: " + json);
        charts.forEach(c -> run.out().println("chart:   " + c));
    }

    private Chart latencyChart() {
        return Chart.create(String.format("Cluster of %d nodes, %,d agents", setup.nodes(), setup.agents()),
                        "percentile", "milliseconds")
                .xTicks(PERCENTILES, Latency.LABELS)
                .series("fan-out: API call to ack", PERCENTILES, Latency.ofMicros(fanout.delivery()).values())
                .series("fan-out: API call to job end", PERCENTILES, Latency.ofMicros(fanout.jobEnd()).values())
                .series("fan-out with a node killed: to job end", PERCENTILES,
                        Latency.ofMicros(recovery.jobEnd()).values());
    }

    private Chart wakeupChart() {
        return Chart.create(String.format("Cross-node wake-up: %d commands via %s to idle agents on %s",
                        wakeups.commands(), wakeups.apiNode(), wakeups.holderNode()), "percentile", "milliseconds")
                .xTicks(PERCENTILES, Latency.LABELS)
                .series("API call to ack", PERCENTILES, Latency.ofMicros(wakeups.delivery()).values())
                .series("API call to job end", PERCENTILES, Latency.ofMicros(wakeups.jobEnd()).values())
                .reference("target p99", ClusterScenario.WAKEUP_TARGET_P99.toMillis());
    }

    private Chart timelineChart() {
        List<Double> xs = recovery.samples().stream().map(s -> s.millis() / 1000.0).toList();
        return Chart.create("kill -9 of " + recovery.victim() + " mid fan-out", "seconds after the kill", "agents")
                .series("agents online (their own count)", xs,
                        recovery.samples().stream().map(s -> (double) s.online()).toList())
                .series("jobs of the fan-out ended", xs,
                        recovery.samples().stream().map(s -> (double) s.jobsEnded()).toList());
    }

    private Chart memoryChart() {
        List<Double> xs = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < memory.size(); i++) {
            xs.add((double) i);
            labels.add(memory.get(i).name());
        }
        return Chart.create("Memory per agent per node", "node", "KiB per agent")
                .xTicks(xs, labels)
                .series("RSS", xs, memory.stream().map(ClusterMemory.Node::rssKibPerAgent).toList())
                .series("PSS", xs, memory.stream().map(ClusterMemory.Node::pssKibPerAgent).toList())
                .series("live heap", xs, memory.stream().map(n -> zeroIfNaN(n.heapKibPerAgent())).toList())
                .reference("one node, RSS", ClusterMemory.SINGLE_NODE_RSS_KIB)
                .reference("one node, live heap", ClusterMemory.SINGLE_NODE_HEAP_KIB);
    }

    private Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("scenario", "cluster");
        json.put("environment", run.environment());
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("agents", setup.agents());
        s.put("nodes", setup.nodes());
        s.put("agents_direct", setup.direct());
        s.put("agents_through_haproxy", setup.balanced());
        s.put("heartbeat_ms", setup.heartbeat().toMillis());
        s.put("kill_after_ms", setup.killAfter().toMillis());
        s.put("argv", TetherFanout.ARGV);
        json.put("settings", s);
        json.put("connect_s", setup.connectSeconds());
        json.put("connect", Latency.ofMicros(setup.connect()).toJson());
        json.put("held_per_node", setup.held());
        json.put("memory", memory.stream().map(ClusterMemory.Node::toJson).toList());
        json.put("memory_single_node", Map.of("rss_kib_per_agent", ClusterMemory.SINGLE_NODE_RSS_KIB,
                "heap_kib_per_agent", ClusterMemory.SINGLE_NODE_HEAP_KIB, "source", ClusterMemory.SINGLE_NODE_SOURCE));
        json.put("fanout", fanoutJson());
        json.put("wakeups", wakeupJson());
        json.put("recovery", recoveryJson());
        json.put("fleet", fleet.toJson());
        json.put("tables", Map.of("nodes", nodeTable().markdown(), "latency", latencyTable().markdown(),
                "recovery", recoveryTable().markdown()));
        json.put("verdict", verdict());
        json.put("clean", clean());
        json.put("wakeup_target_met", wakeupTargetMet());
        json.put("charts", charts.stream().map(c -> c.getFileName().toString()).toList());
        return json;
    }

    private Map<String, Object> fanoutJson() {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("agents", fanout.agents());
        f.put("api_ms", fanout.apiMillis());
        f.put("all_ended_s", fanout.seconds());
        f.put("cross_node_share", fanout.crossNodeShare());
        f.put("ack", Latency.ofMicros(fanout.delivery()).toJson());
        f.put("job_end", Latency.ofMicros(fanout.jobEnd()).toJson());
        f.put("duplicates", fanout.duplicates());
        return f;
    }

    private Map<String, Object> wakeupJson() {
        Map<String, Object> w = new LinkedHashMap<>();
        w.put("api_node", wakeups.apiNode());
        w.put("holder_node", wakeups.holderNode());
        w.put("commands", wakeups.commands());
        w.put("ack", Latency.ofMicros(wakeups.delivery()).toJson());
        w.put("job_end", Latency.ofMicros(wakeups.jobEnd()).toJson());
        w.put("duplicates", wakeups.duplicates());
        return w;
    }

    private Map<String, Object> recoveryJson() {
        ClusterRecovery.Result r = recovery;
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("victim", r.victim());
        j.put("agents", r.agents());
        j.put("held_by_victim", r.heldByVictim());
        j.put("ended_at_kill", r.endedAtKill());
        j.put("api_ms", r.apiMillis());
        j.put("lease_age_at_kill_ms", r.leaseAgeAtKillMillis());
        j.put("agents_online_ms_after_kill", r.agentsOnlineMillis());
        j.put("jobs_ended_ms_after_kill", r.jobsEndedMillis());
        j.put("rehomed_ms_after_kill", r.reHomedMillis());
        j.put("lease_expired_ms_after_kill", r.leaseExpiredMillis());
        j.put("jobs_final_ms_after_kill", r.jobsFinalMillis());
        j.put("job_states", r.jobStates());
        j.put("received", r.received());
        j.put("duplicates", r.duplicates());
        j.put("lost", r.notSucceeded());
        j.put("job_end", Latency.ofMicros(r.jobEnd()).toJson());
        j.put("timeline", r.samples().stream().map(s -> List.of(s.millis(), s.online(), s.jobsEnded())).toList());
        j.put("clean", r.clean());
        return j;
    }

    private static String kib(double v) {
        return Double.isNaN(v) ? "-" : String.format("%.1f", v);
    }

    private static String mib(long bytes) {
        return bytes < 0 ? "-" : String.format("%.0f", bytes / 1048576.0);
    }

    private static String ms(double v) {
        return String.format("%.1f", v);
    }

    private static double zeroIfNaN(double v) {
        return Double.isNaN(v) ? 0 : v;
    }
}
