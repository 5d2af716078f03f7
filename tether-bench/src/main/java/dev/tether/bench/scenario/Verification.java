package dev.tether.bench.scenario;

import dev.tether.bench.server.AdminClient;
import dev.tether.bench.sim.Credentials;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Reads a sample of agents' events back from the server
 * ({@code GET /api/v1/agents/{id}/events?type=bench.event}) and checks that
 * each of this run's numbers {@code 1..expected} is there exactly once.
 * Immutable result.
 *
 * @param agents agents checked
 * @param duplicated events stored more than once (each extra copy counts)
 * @param missing numbers not stored at all
 * @param unexpected numbers outside {@code 1..expected}
 */
record Verification(int agents, long expectedEvents, long duplicated, long missing, long unexpected) {

    private static final int THREADS = 8;

    static Verification run(AdminClient admin, List<Credentials> fleet, int sample, String runId, int expected,
            PrintStream out) throws InterruptedException {
        List<Credentials> chosen = sampleOf(fleet, sample);
        long start = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<long[]>> checks = new ArrayList<>();
            for (Credentials agent : chosen) {
                checks.add(pool.submit(() -> check(admin, agent, runId, expected)));
            }
            long duplicated = 0;
            long missing = 0;
            long unexpected = 0;
            for (Future<long[]> check : checks) {
                long[] counts = check.get();
                duplicated += counts[0];
                missing += counts[1];
                unexpected += counts[2];
            }
            out.printf("verified %,d agents' events on the server in %.1f s: %,d duplicated, %,d missing%n",
                    chosen.size(), (System.nanoTime() - start) / 1e9, duplicated, missing);
            return new Verification(chosen.size(), (long) chosen.size() * expected, duplicated, missing, unexpected);
        } catch (ExecutionException e) {
            throw new IllegalStateException("reading events back failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    /** Every agent when the sample is as large as the fleet, else an even spread. */
    static List<Credentials> sampleOf(List<Credentials> fleet, int sample) {
        if (sample >= fleet.size()) {
            return fleet;
        }
        List<Credentials> chosen = new ArrayList<>(sample);
        for (int i = 0; i < sample; i++) {
            chosen.add(fleet.get((int) ((long) i * fleet.size() / sample)));
        }
        return chosen;
    }

    /** @return duplicated, missing, unexpected */
    private static long[] check(AdminClient admin, Credentials agent, String runId, int expected)
            throws IOException, InterruptedException {
        Map<Long, Integer> seen = new HashMap<>();
        for (Map<String, Object> event : admin.events(agent.id(), "bench.event")) {
            if (event.get("payload") instanceof Map<?, ?> payload && runId.equals(payload.get("run"))
                    && payload.get("n") instanceof Number n) {
                seen.merge(n.longValue(), 1, Integer::sum);
            }
        }
        return count(seen, expected);
    }

    static long[] count(Map<Long, Integer> seen, int expected) {
        long duplicated = 0;
        long missing = 0;
        long unexpected = 0;
        for (long n = 1; n <= expected; n++) {
            int copies = seen.getOrDefault(n, 0);
            if (copies == 0) {
                missing++;
            } else {
                duplicated += copies - 1;
            }
        }
        for (long n : seen.keySet()) {
            if (n < 1 || n > expected) {
                unexpected += seen.get(n);
            }
        }
        return new long[] {duplicated, missing, unexpected};
    }
}
