package dev.tether.bench.scenario;

import dev.tether.bench.report.Chart;
import dev.tether.bench.report.Histogram;
import dev.tether.bench.report.ResultFile;
import dev.tether.bench.report.Table;
import dev.tether.bench.scenario.ShellMeasures.EchoResult;
import dev.tether.bench.scenario.ShellMeasures.IdleResult;
import dev.tether.bench.scenario.ShellMeasures.ThroughputRun;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The shell scenario's figures, side by side: a table per measure with
 * Tether, OpenSSH and how they compare against the targets of issue 15
 * (throughput at least 0.7 of OpenSSH's, echo p99 at most 1 ms above it), for
 * each client path: the bench's own clients ({@link #TETHER} against
 * {@link #OPENSSH}) and the real ones inside {@code script} ({@link #TETHER_CLI}
 * against {@link #OPENSSH_SCRIPT}); the JSON document, and the charts. Sides
 * are keyed by name; a side that was skipped is absent. Not thread safe.
 */
final class ShellReport {

    static final String TETHER = "Tether";
    static final String OPENSSH = "OpenSSH";
    static final String TETHER_CLI = "Tether CLI";
    static final String OPENSSH_SCRIPT = "OpenSSH in script";
    /** Each Tether side against the OpenSSH side on the same client path. */
    private static final Map<String, String> PAIRS = Map.of(TETHER, OPENSSH, TETHER_CLI, OPENSSH_SCRIPT);
    /** Tether's throughput should be at least this share of OpenSSH's. */
    static final double THROUGHPUT_TARGET_RATIO = 0.7;
    /** Tether's echo p99 should be at most this many microseconds above OpenSSH's. */
    static final long ECHO_P99_TARGET_ADDED_MICROS = 1_000;
    private static final List<Double> PERCENTILES = List.of(0.5, 0.9, 0.99, 0.999);
    private static final List<String> PERCENTILE_LABELS = List.of("p50", "p90", "p99", "p99.9", "max");

    final Map<String, List<ThroughputRun>> throughput = new LinkedHashMap<>();
    final Map<String, EchoResult> echo = new LinkedHashMap<>();
    final Map<String, IdleResult> idle = new LinkedHashMap<>();

    static double median(List<ThroughputRun> runs) {
        List<Double> rates = runs.stream().map(ThroughputRun::megabytesPerSecond).sorted().toList();
        int n = rates.size();
        return n % 2 == 1 ? rates.get(n / 2) : (rates.get(n / 2 - 1) + rates.get(n / 2)) / 2;
    }

    static double best(List<ThroughputRun> runs) {
        return runs.stream().mapToDouble(ThroughputRun::megabytesPerSecond).max().orElse(Double.NaN);
    }

    private static double medianOf(List<ThroughputRun> runs, ToDoubleFunction<ThroughputRun> f) {
        List<Double> values = runs.stream().map(f::applyAsDouble).sorted().toList();
        return values.get(values.size() / 2);
    }

    Table throughputTable() {
        Table table = Table.of("side", "runs", "MB", "MB/s median", "MB/s best", "seconds median",
                "server CPU %", "client CPU %");
        throughput.forEach((side, runs) -> table.row(side, runs.size(), runs.get(0).bytes() / 1e6, median(runs),
                best(runs), medianOf(runs, ThroughputRun::seconds), medianOf(runs, ThroughputRun::serverCpuPercent),
                medianOf(runs, ThroughputRun::clientCpuPercent)));
        for (String tether : List.of(TETHER, TETHER_CLI)) {
            String openssh = PAIRS.get(tether);
            if (throughput.containsKey(tether) && throughput.containsKey(openssh)) {
                double ratio = median(throughput.get(tether)) / median(throughput.get(openssh));
                table.row(tether + " / " + openssh, "", "", ratio,
                        best(throughput.get(tether)) / best(throughput.get(openssh)), "", "",
                        "target >= " + THROUGHPUT_TARGET_RATIO + (ratio >= THROUGHPUT_TARGET_RATIO ? ": met"
                                : ": missed"));
            }
        }
        return table;
    }

    Table echoTable() {
        Table table = Table.of("side", "keystrokes", "p50 us", "p90 us", "p99 us", "p99.9 us", "max us", "echoed");
        echo.forEach((side, e) -> {
            List<Object> cells = new ArrayList<>(List.of(side, e.micros().count()));
            cells.addAll(micros(e.micros()));
            cells.add(e.echoed() + "/" + e.sent());
            table.row(cells.toArray());
        });
        for (String tether : List.of(TETHER, TETHER_CLI)) {
            String openssh = PAIRS.get(tether);
            if (echo.containsKey(tether) && echo.containsKey(openssh)) {
                List<Long> t = micros(echo.get(tether).micros());
                List<Long> o = micros(echo.get(openssh).micros());
                List<Object> cells = new ArrayList<>(List.of(tether + " - " + openssh, ""));
                for (int i = 0; i < t.size(); i++) {
                    cells.add(t.get(i) - o.get(i));
                }
                String target = "p99 target <= +" + ECHO_P99_TARGET_ADDED_MICROS / 1000 + " ms";
                cells.add(t.get(2) - o.get(2) <= ECHO_P99_TARGET_ADDED_MICROS ? target + ": met" : target + ": missed");
                table.row(cells.toArray());
            }
        }
        return table;
    }

    /** p50, p90, p99, p99.9 and max, in microseconds. */
    static List<Long> micros(Histogram h) {
        List<Long> values = new ArrayList<>();
        for (double q : PERCENTILES) {
            values.add(h.percentile(q));
        }
        values.add(h.max());
        return values;
    }

    Table idleTable() {
        Table table = Table.of("side", "shells", "daemons KiB/shell", "shells KiB/shell", "total KiB/shell",
                "daemons RSS KiB/shell", "total added MiB", "daemons before MiB", "open s", "closed cleanly");
        idle.forEach((side, r) -> table.row(side, r.shells(), kibPerShell(r.daemonsAdded().pssBytes(), r),
                kibPerShell(r.shellsAdded().pssBytes(), r), kibPerShell(addedPss(r), r),
                kibPerShell(r.daemonsAdded().rssBytes(), r), addedPss(r) / 1048576.0,
                r.daemonsBefore().pssBytes() / 1048576.0, r.openSeconds(), r.closedCleanly() + "/" + r.shells()));
        if (idle.containsKey(TETHER) && idle.containsKey(OPENSSH)) {
            IdleResult t = idle.get(TETHER);
            IdleResult o = idle.get(OPENSSH);
            table.row("Tether / OpenSSH", "", ratio(t.daemonsAdded().pssBytes(), o.daemonsAdded().pssBytes()),
                    ratio(t.shellsAdded().pssBytes(), o.shellsAdded().pssBytes()), ratio(addedPss(t), addedPss(o)),
                    ratio(t.daemonsAdded().rssBytes(), o.daemonsAdded().rssBytes()), "", "", "", "");
        }
        return table;
    }

    private static long addedPss(IdleResult r) {
        return r.daemonsAdded().pssBytes() + r.shellsAdded().pssBytes();
    }

    private static double kibPerShell(long bytes, IdleResult r) {
        return bytes / 1024.0 / r.shells();
    }

    private static double ratio(long a, long b) {
        return b == 0 ? Double.NaN : (double) a / b;
    }

    /** Echo percentiles of both sides; and MB/s per throughput run. */
    List<Path> charts(ResultFile results) throws IOException {
        List<Path> charts = new ArrayList<>();
        List<Double> xs = List.of(1.0, 2.0, 3.0, 4.0, 5.0);
        if (!echo.isEmpty()) {
            Chart chart = Chart.create("Keystroke echo round trip through a PTY", "percentile", "microseconds")
                    .xTicks(xs, PERCENTILE_LABELS);
            echo.forEach((side, e) -> chart.series(side, xs,
                    micros(e.micros()).stream().map(Long::doubleValue).toList()));
            charts.add(chart.writePng(results.chart("echo-latency")));
        }
        if (!throughput.isEmpty()) {
            Chart chart = Chart.create("Bulk output to one client", "run", "MB/s");
            throughput.forEach((side, runs) -> {
                List<Double> runNumbers = new ArrayList<>();
                for (int i = 1; i <= runs.size(); i++) {
                    runNumbers.add((double) i);
                }
                chart.series(side, runNumbers, runs.stream().map(ThroughputRun::megabytesPerSecond).toList());
            });
            for (String openssh : List.of(OPENSSH, OPENSSH_SCRIPT)) {
                if (throughput.containsKey(openssh)) {
                    chart.reference("target: " + THROUGHPUT_TARGET_RATIO + " x " + openssh + " median",
                            THROUGHPUT_TARGET_RATIO * median(throughput.get(openssh)));
                }
            }
            charts.add(chart.writePng(results.chart("throughput")));
        }
        return charts;
    }

    Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        Map<String, Object> t = new LinkedHashMap<>();
        throughput.forEach((side, runs) -> {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("runs", runs.stream().map(ShellReport::runJson).toList());
            s.put("mb_per_second_median", median(runs));
            s.put("mb_per_second_best", best(runs));
            t.put(side, s);
        });
        json.put("throughput", t);
        Map<String, Object> e = new LinkedHashMap<>();
        echo.forEach((side, r) -> {
            Map<String, Object> s = new LinkedHashMap<>();
            List<Long> m = micros(r.micros());
            s.put("keystrokes_measured", r.micros().count());
            for (int i = 0; i < m.size(); i++) {
                s.put(PERCENTILE_LABELS.get(i).replace('.', '_') + "_us", m.get(i));
            }
            s.put("mean_us", r.micros().mean());
            s.put("echoed", r.echoed());
            s.put("sent", r.sent());
            s.put("ended_cleanly", r.endedCleanly());
            e.put(side, s);
        });
        json.put("echo", e);
        Map<String, Object> i = new LinkedHashMap<>();
        idle.forEach((side, r) -> i.put(side, idleJson(r)));
        json.put("idle", i);
        return json;
    }

    private static Map<String, Object> runJson(ThroughputRun run) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("bytes", run.bytes());
        json.put("seconds", run.seconds());
        json.put("mb_per_second", run.megabytesPerSecond());
        json.put("server_cpu_percent", run.serverCpuPercent());
        json.put("client_cpu_percent", run.clientCpuPercent());
        return json;
    }

    private static Map<String, Object> idleJson(IdleResult r) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("shells", r.shells());
        json.put("open_seconds", r.openSeconds());
        json.put("closed_cleanly", r.closedCleanly());
        json.put("daemons_before", r.daemonsBefore().toJson());
        json.put("daemons_after", r.daemonsAfter().toJson());
        json.put("shells_before", r.shellsBefore().toJson());
        json.put("shells_after", r.shellsAfter().toJson());
        json.put("daemons_added_pss_kib_per_shell", kibPerShell(r.daemonsAdded().pssBytes(), r));
        json.put("shells_added_pss_kib_per_shell", kibPerShell(r.shellsAdded().pssBytes(), r));
        json.put("total_added_pss_kib_per_shell", kibPerShell(addedPss(r), r));
        json.put("daemons_added_rss_kib_per_shell", kibPerShell(r.daemonsAdded().rssBytes(), r));
        return json;
    }
}
