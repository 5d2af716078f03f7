package dev.tether.agent.connection;

import dev.tether.agent.Backoff;
import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Counts consecutive failed connections and draws the wait before the next
 * attempt from the {@link Backoff}. Not thread safe: owned by the connection loop.
 */
final class Retries {

    private final Backoff backoff;
    private final RandomGenerator random;
    private int failures;

    Retries(Backoff backoff, RandomGenerator random) {
        this.backoff = backoff;
        this.random = random;
    }

    /** Counts a failure and returns how long to wait before the next attempt. */
    Duration afterFailure() {
        Duration delay = backoff.delay(failures, random);
        if (backoff.ceiling(failures).compareTo(backoff.max()) < 0) {
            failures++;
        }
        return delay;
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
