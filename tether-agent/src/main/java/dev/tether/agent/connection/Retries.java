package dev.tether.agent.connection;

import dev.tether.agent.Backoff;
import java.time.Duration;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * Counts consecutive failed connections and draws the wait before the next
 * attempt from the {@link Backoff}, never longer than the failures have lasted
 * so far (at least the initial ceiling). Quick failures in a short outage would
 * otherwise raise the ceiling to a minute within seconds (1 s, 2 s, 4 s ... with
 * full jitter, an unlucky agent fails six times in five seconds) and keep some
 * agents away long after the server is back; bounded by the outage's length,
 * every agent is back within about twice that, a long outage still backs off to
 * the maximum, and the jitter keeps the herd spread. Not thread safe: owned by
 * the connection loop.
 */
final class Retries {

    private final Backoff backoff;
    private final RandomGenerator random;
    private final LongSupplier nanoTime;
    private int failures;
    /** When this run of failures began (System.nanoTime); meaningful while failures > 0. */
    private long failingSinceNanos;

    Retries(Backoff backoff, RandomGenerator random) {
        this(backoff, random, System::nanoTime);
    }

    Retries(Backoff backoff, RandomGenerator random, LongSupplier nanoTime) {
        this.backoff = backoff;
        this.random = random;
        this.nanoTime = nanoTime;
    }

    /** Counts a failure and returns how long to wait before the next attempt. */
    Duration afterFailure() {
        long now = nanoTime.getAsLong();
        if (failures == 0) {
            failingSinceNanos = now;
        }
        Duration ceiling = backoff.ceiling(failures);
        Duration failing = Duration.ofNanos(now - failingSinceNanos);
        Duration bound = failing.compareTo(backoff.initial()) > 0 ? failing : backoff.initial();
        Duration cap = ceiling.compareTo(bound) < 0 ? ceiling : bound;
        if (ceiling.compareTo(backoff.max()) < 0) {
            failures++;
        }
        return Duration.ofMillis(random.nextLong(cap.toMillis() + 1));
    }

    /**
     * The server is pacing a crowd and said when to come back: that long, plus a jitter of up to the first
     * backoff ceiling, without counting a failure. Growing the backoff on top would keep agents the server
     * deliberately deferred away long after their turn.
     */
    Duration paced(Duration told) {
        return told.plus(backoff.delay(0, random));
    }

    /** A healthy session: the next failure waits at most the initial ceiling again. */
    void reset() {
        failures = 0;
    }

    /** The wait for failures that will not fix themselves soon (a rejected key). */
    Duration cap() {
        return backoff.max();
    }

    int failures() {
        return failures;
    }
}
