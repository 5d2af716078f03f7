package dev.tether.bench.scenario;

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

/**
 * The fan-out scenario's results: a table per measure with Tether and
 * Mosquitto side by side, latency charts, a JSON document, and the verdict
 * (p99 from the API call to the agents' ack at 10,000 agents, at most {@link FanoutScenario#TARGET_P99}).
 */
final class FanoutReport {

    private static final List<Double> PERCENTILES = List.of(1.0, 2.0, 3.0, 4.0, 5.0);

    private final BenchRun run;
    private final FanoutScenario.Settings settings;
    private final List<TetherFanout.Step> tether;
    private final List<MosquittoFanout.Step> peer;
    private final List<Path> charts = new ArrayList<>();

    FanoutReport(BenchRun run, FanoutScenario.Settings settings, List<TetherFanout.Step> tether,
            List<MosquittoFanout.Step> peer) {
        this.run = run;
        this.settings = settings;
        this.tether = tether;
        this.peer = peer;
    }

    private MosquittoFanout.Step peerStep(int size) {
        return peer.stream().filter(s -> s.subscribers() == size).findFirst().orElse(null);
    }

    Table deliveryTable() {
        Table table = Table.of("agents", "commands", "API call ms (median)", "Tether ack p50 ms", "p99", "max",
                "Tether job end p50 ms", "p99", "max", "Mosquitto delivery p50 ms", "p99", "max", "ack p99 ratio");
        for (TetherFanout.Step step : tether) {
            Latency ack = Latency.ofMicros(step.delivery());
            Latency end = Latency.ofMicros(step.jobEnd());
            MosquittoFanout.Step p = peerStep(step.agents());
            Latency mqtt = p == null ? null : Latency.ofMicros(p.delivery());
            table.row(step.agents(), step.rounds().size(), medianApiMillis(step), ack.p50(), ack.p99(), ack.max(),
                    end.p50(), end.p99(), end.max(), mqtt == null ? null : mqtt.p50(),
                    mqtt == null ? null : mqtt.p99(), mqtt == null ? null : mqtt.max(),
                    mqtt == null || mqtt.p99() <= 0 ? null : ack.p99() / mqtt.p99());
        }
        return table;
    }

    Table costTable() {
        Table table = Table.of("agents", "Tether server CPU %", "generator CPU %", "duplicate commands",
                "start lateness max µs", "Mosquitto CPU %", "PUBACK ms (median)");
        for (TetherFanout.Step step : tether) {
            MosquittoFanout.Step p = peerStep(step.agents());
            long late = step.rounds().stream().mapToLong(TetherFanout.Round::lateMicros).max().orElse(0);
            table.row(step.agents(), step.serverCpuPercent(), step.generatorCpuPercent(), step.duplicates(), late,
                    p == null ? null : p.brokerCpuPercent(), p == null ? null : medianPubAckMillis(p));
        }
        return table;
    }

    private static double medianApiMillis(TetherFanout.Step step) {
        return median(step.rounds().stream().map(TetherFanout.Round::apiMillis).toList());
    }

    private static double medianPubAckMillis(MosquittoFanout.Step step) {
        return median(step.pubAckMicros().stream().map(us -> us / 1000.0).toList());
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        return sorted.isEmpty() ? Double.NaN : sorted.get(sorted.size() / 2);
    }

    /** Met when the largest size is 10,000 or more and its ack p99 is at most the target; unknown sizes miss. */
    boolean targetMet() {
        if (tether.isEmpty()) {
            return false;
        }
        TetherFanout.Step last = tether.getLast();
        return last.agents() >= FanoutScenario.TARGET_AGENTS
                && Latency.ofMicros(last.delivery()).p99() <= FanoutScenario.TARGET_P99.toMillis()
                && last.duplicates() == 0;
    }

    String verdict() {
        TetherFanout.Step last = tether.getLast();
        double p99 = Latency.ofMicros(last.delivery()).p99();
        String measured = String.format("p99 API call to ack %.1f ms at %,d agents", p99, last.agents());
        if (last.agents() < FanoutScenario.TARGET_AGENTS) {
            return measured + " (the target is for " + FanoutScenario.TARGET_AGENTS + " agents: not measured)";
        }
        String target = ": target (<= " + FanoutScenario.TARGET_P99.toMillis() + " ms) ";
        return measured + target + (targetMet() ? "met" : "MISSED");
    }

    void print(PrintStream out) {
        out.println();
        out.println("API call to each agent's ack, and to each job's end; Mosquitto: publish to each delivery");
        out.print(deliveryTable().render());
        out.println();
        out.print(costTable().render());
        out.println();
        out.println("verdict: " + verdict());
    }

    void write() throws IOException {
        TetherFanout.Step last = tether.getLast();
        Chart latency = Chart.create("Fan-out to " + String.format("%,d", last.agents()) + " agents", "percentile",
                        "milliseconds")
                .xTicks(PERCENTILES, Latency.LABELS)
                .series("Tether: API call to agent ack", PERCENTILES, Latency.ofMicros(last.delivery()).values())
                .series("Tether: API call to job end", PERCENTILES, Latency.ofMicros(last.jobEnd()).values());
        MosquittoFanout.Step p = peerStep(last.agents());
        if (p != null) {
            latency.series("Mosquitto: QoS 1 publish to delivery", PERCENTILES,
                    Latency.ofMicros(p.delivery()).values());
        }
        charts.add(latency.reference("target p99", FanoutScenario.TARGET_P99.toMillis())
                .writePng(run.results().chart("latency")));
        if (tether.size() > 1) {
            List<Double> sizes = tether.stream().map(s -> (double) s.agents()).toList();
            Chart bySize = Chart.create("p99 against fleet size", "agents", "milliseconds")
                    .series("Tether ack p99", sizes,
                            tether.stream().map(s -> Latency.ofMicros(s.delivery()).p99()).toList())
                    .series("Tether job end p99", sizes,
                            tether.stream().map(s -> Latency.ofMicros(s.jobEnd()).p99()).toList());
            if (!peer.isEmpty()) {
                bySize.series("Mosquitto delivery p99", peer.stream().map(s -> (double) s.subscribers()).toList(),
                        peer.stream().map(s -> Latency.ofMicros(s.delivery()).p99()).toList());
            }
            charts.add(bySize.writePng(run.results().chart("p99-by-size")));
        }
        Path json = run.results().write(toJson());
        run.out().println("results: " + json);
        charts.forEach(c -> run.out().println("chart:   " + c));
    }

    private Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("environment", run.environment());
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("agents", settings.agents());
        s.put("steps", settings.steps());
        s.put("rounds", settings.rounds());
        s.put("warm_up", settings.warmUp());
        s.put("store", settings.store());
        s.put("argv", TetherFanout.ARGV);
        json.put("settings", s);
        List<Object> t = new ArrayList<>();
        for (TetherFanout.Step step : tether) {
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("agents", step.agents());
            one.put("rounds", step.rounds().stream().map(r -> Map.of("command_id", r.commandId(),
                    "api_ms", r.apiMillis(), "late_us", r.lateMicros(), "all_ended_s", r.seconds())).toList());
            one.put("ack", Latency.ofMicros(step.delivery()).toJson());
            one.put("job_end", Latency.ofMicros(step.jobEnd()).toJson());
            one.put("server_cpu_percent", step.serverCpuPercent());
            one.put("generator_cpu_percent", step.generatorCpuPercent());
            one.put("duplicates", step.duplicates());
            t.add(one);
        }
        json.put("tether", t);
        List<Object> m = new ArrayList<>();
        for (MosquittoFanout.Step step : peer) {
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("subscribers", step.subscribers());
            one.put("delivery", Latency.ofMicros(step.delivery()).toJson());
            one.put("puback_us", step.pubAckMicros());
            one.put("all_delivered_s", step.roundSeconds());
            one.put("broker_cpu_percent", step.brokerCpuPercent());
            m.add(one);
        }
        json.put("mosquitto", m);
        json.put("tables", Map.of("delivery", deliveryTable().rows(), "cost", costTable().rows()));
        json.put("verdict", verdict());
        json.put("target_met", targetMet());
        json.put("charts", charts.stream().map(c -> c.getFileName().toString()).toList());
        return json;
    }
}
