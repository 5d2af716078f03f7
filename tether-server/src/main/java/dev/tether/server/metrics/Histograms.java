package dev.tether.server.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Arrays;

/**
 * The bucket bounds of the server's latency histograms, in one place, and how a histogram is registered.
 * Each is a Prometheus histogram ({@code _bucket{le}}, {@code _sum}, {@code _count}) with these fixed bounds
 * and no client-side percentiles, so a dashboard can aggregate it across nodes with
 * {@code histogram_quantile}. Recording is lock-free: Micrometer's Prometheus timer keeps its count and sum in
 * {@code LongAdder}s and its bucket counts in an {@code AtomicLongArray} (one increment per observation).
 *
 * <p>Stateless; thread safe.
 */
final class Histograms {

    /** API requests: most answer in milliseconds, a big list or a backup takes seconds. */
    static final Duration[] HTTP = seconds(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10);
    /** One transaction applying an agent's reliable payloads: milliseconds, seconds when the database stalls. */
    static final Duration[] APPLY = seconds(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
            5, 10);
    /** A command's creation up to the commit of its jobs: a few ms for one agent, seconds for tens of thousands. */
    static final Duration[] FAN_OUT = seconds(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60);

    private Histograms() {
    }

    /** A timer exported as a histogram with these bucket bounds, and its largest recent value as {@code _max}. */
    static Timer.Builder timer(String name, String description, Duration[] buckets) {
        return Timer.builder(name).description(description).serviceLevelObjectives(buckets)
                .publishPercentileHistogram(false);
    }

    static Timer register(MeterRegistry registry, String name, String description, Duration[] buckets) {
        return timer(name, description, buckets).register(registry);
    }

    private static Duration[] seconds(double... bounds) {
        return Arrays.stream(bounds).mapToObj(s -> Duration.ofNanos(Math.round(s * 1e9))).toArray(Duration[]::new);
    }
}
