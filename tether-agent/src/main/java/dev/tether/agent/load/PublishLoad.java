package dev.tether.agent.load;

import dev.tether.agent.Agent;
import dev.tether.agent.AgentConfig;
import dev.tether.agent.Event;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * A load tool for {@code tether bench outbox}: a real agent (this library, its
 * SQLite outbox with {@code synchronous=FULL}) publishes events as fast as its
 * outbox stores them, from some threads, one event or a batch per transaction,
 * and prints one JSON line: how long storing took (every event on disk when its
 * publish call returned, before it can be sent) and how long until the server
 * had acknowledged them all. Before the measured events (after the warm-up) it
 * prints {@link #MEASURING} on a line of its own. Run from the CLI jar:
 *
 * <pre>java -cp tether.jar dev.tether.agent.load.PublishLoad --server URL --key-file F --state-dir D
 *     [--events N] [--batch B] [--threads T] [--warm-up N] [--timeout-s S]</pre>
 *
 * Exits 0 after printing, 2 on bad arguments, 1 when the agent does not connect or
 * the acks do not come within the timeout.
 */
public final class PublishLoad {

    /** Printed on its own line when the measured events start, after the warm-up. */
    public static final String MEASURING = "{\"phase\":\"measuring\"}";

    private static final long POLL_NANOS = 200_000;

    private PublishLoad() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options;
        try {
            options = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("publish-load: " + e.getMessage());
            System.exit(2);
            return;
        }
        long events = Long.parseLong(options.getOrDefault("events", "100000"));
        int batch = Integer.parseInt(options.getOrDefault("batch", "1"));
        int threads = Integer.parseInt(options.getOrDefault("threads", "1"));
        long warmUp = Long.parseLong(options.getOrDefault("warm-up", "2000"));
        Duration timeout = Duration.ofSeconds(Long.parseLong(options.getOrDefault("timeout-s", "300")));
        AgentConfig config = AgentConfig.builder()
                .server(options.get("server"))
                .key(Files.readString(Path.of(options.get("key-file"))).trim())
                .stateDir(Path.of(options.get("state-dir")))
                .insecure(true)
                .build();
        try (Agent agent = Agent.start(config)) {
            long deadline = System.nanoTime() + timeout.toNanos();
            if (!waitFor(agent::connected, deadline)) {
                fail("the agent did not connect within " + timeout);
            }
            publish(agent, warmUp, batch, threads);
            if (!waitFor(() -> agent.outboxDepth() == 0, deadline)) {
                fail("the warm-up events were not acknowledged within " + timeout);
            }
            // For whoever runs this: the measured window starts now (it may sample both processes' CPU).
            System.out.println(MEASURING);
            System.out.flush();
            long start = System.nanoTime();
            publish(agent, events, batch, threads);
            long stored = System.nanoTime();
            if (!waitFor(() -> agent.outboxDepth() == 0, deadline)) {
                fail("the events were not acknowledged within " + timeout + " (" + agent.outboxDepth() + " left)");
            }
            long acknowledged = System.nanoTime();
            System.out.printf(Locale.ROOT, "{\"events\":%d,\"batch\":%d,\"threads\":%d,\"store_s\":%.6f,"
                    + "\"acknowledged_s\":%.6f}%n", events, batch, threads, (stored - start) / 1e9,
                    (acknowledged - start) / 1e9);
            System.out.flush();
        }
    }

    /** {@code events} events over {@code threads} threads, {@code batch} per publish call (one transaction). */
    private static void publish(Agent agent, long events, int batch, int threads) throws Exception {
        AtomicLong next = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    long first;
                    while ((first = next.getAndAdd(batch)) < events) {
                        long count = Math.min(batch, events - first);
                        if (count == 1) {
                            agent.publishEvent("bench.load", "{\"n\":" + first + "}");
                        } else {
                            List<Event> some = new ArrayList<>((int) count);
                            for (long n = first; n < first + count; n++) {
                                some.add(new Event("bench.load", "{\"n\":" + n + "}"));
                            }
                            agent.publishEvents(some);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static boolean waitFor(BooleanSupplier condition, long deadlineNanos) {
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadlineNanos) {
                return false;
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
        return true;
    }

    private static void fail(String message) {
        System.err.println("publish-load: " + message);
        System.exit(1);
    }

    static Map<String, String> parse(String[] args) {
        return parse(args, List.of("server", "key-file", "state-dir"));
    }

    /** {@code --name value} pairs; each of {@code required} must be there. */
    static Map<String, String> parse(String[] args, List<String> required) {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i < args.length; i += 2) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --name value pairs, got '" + args[i] + "'");
            }
            options.put(args[i].substring(2), args[i + 1]);
        }
        for (String name : required) {
            if (!options.containsKey(name)) {
                throw new IllegalArgumentException("--" + name + " is required");
            }
        }
        return options;
    }
}
