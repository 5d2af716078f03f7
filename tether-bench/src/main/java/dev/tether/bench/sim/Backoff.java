package dev.tether.bench.sim;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * The real agent's reconnect policy, copied so the simulated fleet recovers
 * from a restart the way a real one would: the n-th consecutive failure
 * (n from 0) waits a uniformly random time in
 * {@code [0, min(max, initial * multiplier^n, max(initial, failing))]} where
 * {@code failing} is how long the failures have lasted so far (exponential
 * backoff with full jitter, never longer than the outage). The count resets
 * after a healthy session.
 *
 * @param initial the ceiling of the first wait, positive
 * @param multiplier growth of the ceiling per consecutive failure, at least 1
 * @param max the largest ceiling, at least {@code initial}
 */
public record Backoff(Duration initial, double multiplier, Duration max) {

    public Backoff {
        Objects.requireNonNull(initial, "backoff initial");
        Objects.requireNonNull(max, "backoff max");
        if (initial.isNegative() || initial.isZero()) {
            throw new IllegalArgumentException("backoff initial must be positive, was " + initial);
        }
        if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
            throw new IllegalArgumentException("backoff multiplier must be a finite number >= 1, was " + multiplier);
        }
        if (max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("backoff max (" + max + ") must be at least initial (" + initial + ")");
        }
    }

    /** The agent's defaults: 1 s, doubling, capped at 60 s. */
    public static Backoff defaults() {
        return new Backoff(Duration.ofSeconds(1), 2.0, Duration.ofSeconds(60));
    }

    /** The largest wait after {@code failures} consecutive failures (0 for the first retry). */
    public long ceilingMillis(int failures) {
        double millis = initial.toMillis() * Math.pow(multiplier, failures);
        return millis >= max.toMillis() ? max.toMillis() : (long) millis;
    }

    /** Whether one more failure still raises the ceiling. */
    public boolean grows(int failures) {
        return ceilingMillis(failures) < max.toMillis();
    }

    /** A wait drawn uniformly from {@code [0, ceilingMillis(failures)]}. */
    public long delayMillis(int failures, RandomGenerator random) {
        return random.nextLong(ceilingMillis(failures) + 1);
    }

    /**
     * As the real agent: a wait drawn from {@code [0, min(ceilingMillis(failures), max(initial,
     * failingMillis))]}, where {@code failingMillis} is how long this run of failures has lasted.
     */
    public long delayMillis(int failures, long failingMillis, RandomGenerator random) {
        long cap = Math.min(ceilingMillis(failures), Math.max(initial.toMillis(), failingMillis));
        return random.nextLong(cap + 1);
    }
}
