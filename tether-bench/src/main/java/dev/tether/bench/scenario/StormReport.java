package dev.tether.bench.scenario;

import dev.tether.bench.DurationConverter;
import dev.tether.bench.report.Chart;
import dev.tether.bench.report.Table;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The storm's table, timeline chart, JSON and verdict. */
final class StormReport {

    private final BenchRun run;
    private final StormResult r;
    private Path chart;

    StormReport(BenchRun run, StormResult result) {
        this.run = run;
        this.r = result;
    }

    Table table() {
        return Table.of("agents", "events/agent", "pending at restart", "ready s", "all online s", "all applied s",
                "lost", "duplicated (sample)", "sample", "peak RSS MiB")
                .row(r.agents(), r.inFlight() + r.pending(), r.down().pending(), r.serverStartupSeconds(),
                        r.onlineSeconds(), r.complete() ? r.appliedSeconds() : "> timeout", r.lost(),
                        r.verification().duplicated(), r.verification().agents(),
                        TetherConnections.mib(Math.max(r.recovery().peakHwmBytes(), r.recovery().peakSampledBytes())));
    }

    List<String> verdicts() {
        List<String> lines = new ArrayList<>();
        double applied = r.appliedSeconds();
        boolean fast = r.complete() && applied <= StormScenario.TARGET_RECOVERY.toSeconds();
        lines.add(String.format("%s all %,d agents back and every event applied %s after the restart (target <= %d s)",
                fast ? "MET   " : "MISSED", r.agents(), r.complete() ? String.format("%.1f s", applied)
                        : "not within the timeout", StormScenario.TARGET_RECOVERY.toSeconds()));
        lines.add(String.format("%s lost: %,d (acknowledged then forgotten %,d, unapplied at the end %,d, "
                + "missing in the sample %,d)", r.lost() == 0 ? "MET   " : "MISSED", r.lost(), r.lostAfterAck(),
                r.unapplied(), r.verification().missing()));
        lines.add(String.format("%s duplicated: %,d in %,d agents checked one by one",
                r.verification().duplicated() == 0 ? "MET   " : "MISSED", r.verification().duplicated(),
                r.verification().agents()));
        return lines;
    }

    boolean targetsMet() {
        return verdicts().stream().allMatch(l -> l.startsWith("MET"));
    }

    void print(PrintStream out) {
        out.println();
        out.print(table().render());
        out.println("failed connection attempts during the recovery: " + r.recoveryFailures()
                + "; agents' backoff " + DurationConverter.format(r.backoffInitial()) + " doubling to "
                + DurationConverter.format(r.backoffMax()) + " with full jitter");
        out.println();
        verdicts().forEach(out::println);
    }

    void write() throws IOException {
        chart = timeline().writePng(run.results().chart("recovery"));
        Path json = run.results().write(toJson());
        run.out().println("results: " + json);
        run.out().println("chart:   " + chart);
    }

    Chart timeline() {
        List<Recovery.Point> points = r.recovery().timeline();
        List<Double> xs = points.stream().map(Recovery.Point::seconds).toList();
        return Chart.create("Recovery after kill -9 (" + String.format("%,d", r.agents()) + " agents)",
                        "seconds since the restart command", "agents")
                .series("online", xs, points.stream().map(p -> (double) p.online()).toList())
                .series("all events applied", xs, points.stream().map(p -> (double) p.drained()).toList());
    }

    Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("environment", run.environment());
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("agents", r.agents());
        settings.put("pending_per_agent", r.pending());
        settings.put("in_flight_per_agent", r.inFlight());
        settings.put("heartbeat_interval", DurationConverter.format(r.interval()));
        settings.put("backoff", DurationConverter.format(r.backoffInitial()) + " doubling to "
                + DurationConverter.format(r.backoffMax()) + ", full jitter");
        json.put("settings", settings);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("pending_at_restart", r.down().pending());
        result.put("server_startup_seconds", r.serverStartupSeconds());
        result.put("complete", r.complete());
        result.put("all_online_seconds", r.onlineSeconds());
        result.put("all_applied_seconds", r.appliedSeconds());
        result.put("lost", r.lost());
        result.put("lost_after_ack", r.lostAfterAck());
        result.put("unapplied_at_end", r.unapplied());
        result.put("sample_agents", r.verification().agents());
        result.put("sample_events_expected", r.verification().expectedEvents());
        result.put("sample_duplicated", r.verification().duplicated());
        result.put("sample_missing", r.verification().missing());
        result.put("sample_unexpected", r.verification().unexpected());
        result.put("peak_rss_bytes_hwm", r.recovery().peakHwmBytes());
        result.put("peak_rss_bytes_sampled", r.recovery().peakSampledBytes());
        result.put("recovery_failures", r.recoveryFailures());
        json.put("result", result);
        json.put("fleet_after", r.after().toJson());
        List<Object> timeline = new ArrayList<>();
        for (Recovery.Point p : r.recovery().timeline()) {
            timeline.add(List.of(p.seconds(), p.online(), p.drained()));
        }
        json.put("timeline_seconds_online_drained", timeline);
        Map<String, Object> metrics = new LinkedHashMap<>();
        r.serverMetrics().forEach((k, v) -> {
            if (k.startsWith("tether_")) {
                metrics.put(k, v);
            }
        });
        json.put("server_metrics", metrics);
        json.put("verdicts", verdicts());
        json.put("chart", chart == null ? null : chart.getFileName().toString());
        return json;
    }
}
