package dev.tether.server.metrics;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * {@code tether_fleet_agents{status}}: the agents of the whole fleet (every node of a cluster shares one
 * database), by status. Counted by one grouped query over the agents table, run by a scrape (off the event loop)
 * at most once per {@link #MAX_AGE}; a scrape within that reuses the last counts. A gauge cannot count in memory
 * here: in a cluster other nodes connect and revoke agents. Every node exports the same fleet-wide numbers, so a
 * dashboard takes {@code max} over the nodes, not {@code sum}. This node's own connections are
 * {@code tether_agents_connected}.
 *
 * <p>Thread safe: the counts are atomics; two scrapes at once may both count, harmlessly.
 */
public final class FleetAgents {

    /** The statuses, each exported from the start (at 0 until counted). */
    public static final List<String> STATUSES = List.of("online", "offline", "pending", "revoked", "rejected");
    /** How long a count is reused: a 20,000-agent count is a few milliseconds, and scrapes come every 10-60 s. */
    public static final Duration MAX_AGE = Duration.ofSeconds(10);

    private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();
    /** System.nanoTime() of the last count; Long.MIN_VALUE before the first. */
    private final AtomicLong countedAt = new AtomicLong(Long.MIN_VALUE);

    FleetAgents(MeterRegistry registry) {
        for (String status : STATUSES) {
            AtomicLong count = new AtomicLong();
            counts.put(status, count);
            Gauge.builder("tether.fleet.agents", count::get).tag("status", status)
                    .description("Agents of the whole fleet by status, counted at most every "
                            + MAX_AGE.toSeconds() + " s").register(registry);
        }
    }

    /**
     * Counts again with {@code counter} (blocking: call it off the event loop) unless the last count is younger
     * than {@link #MAX_AGE}. A status the counter does not return is 0; one it returns that is not in
     * {@link #STATUSES} is ignored.
     */
    public void refresh(Supplier<Map<String, Long>> counter) {
        long now = System.nanoTime();
        long last = countedAt.get();
        if (last != Long.MIN_VALUE && now - last < MAX_AGE.toNanos()) {
            return;
        }
        Map<String, Long> fresh = counter.get();
        counts.forEach((status, count) -> count.set(fresh.getOrDefault(status, 0L)));
        countedAt.set(now);
    }
}
