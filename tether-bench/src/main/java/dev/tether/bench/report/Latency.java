package dev.tether.bench.report;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Percentiles of a latency histogram recorded in microseconds, in milliseconds.
 *
 * @param count values recorded
 */
public record Latency(long count, double p50, double p90, double p99, double p999, double max) {

    /** The labels of {@link #values()}, for tables and charts. */
    public static final List<String> LABELS = List.of("p50", "p90", "p99", "p99.9", "max");

    public static Latency ofMicros(Histogram micros) {
        return new Latency(micros.count(), ms(micros.percentile(0.5)), ms(micros.percentile(0.9)),
                ms(micros.percentile(0.99)), ms(micros.percentile(0.999)), ms(micros.max()));
    }

    private static double ms(long micros) {
        return micros / 1000.0;
    }

    public List<Double> values() {
        return List.of(p50, p90, p99, p999, max);
    }

    public Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("count", count);
        json.put("p50_ms", p50);
        json.put("p90_ms", p90);
        json.put("p99_ms", p99);
        json.put("p99_9_ms", p999);
        json.put("max_ms", max);
        return json;
    }
}
