package dev.tether.agent;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * How long the agent waits before reconnecting: exponential backoff with full
 * jitter. The n-th consecutive failure (n from 0) waits a uniformly random time
 * in {@code [0, min(max, initial * multiplier^n)]}, so a fleet that lost its
 * server does not reconnect in lock step.
 *
 * @param initial the ceiling of the first wait, positive
 * @param multiplier how much the ceiling grows per consecutive failure, at least 1
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

    /** 1 s, doubling, capped at 60 s. */
    public static Backoff defaults() {
        return new Backoff(Duration.ofSeconds(1), 2.0, Duration.ofSeconds(60));
    }

    /** The largest wait after {@code failures} consecutive failures (0 for the first retry). */
    public Duration ceiling(int failures) {
        if (failures < 0) {
            throw new IllegalArgumentException("failures must be >= 0, was " + failures);
        }
        double millis = initial.toMillis() * Math.pow(multiplier, failures);
        return millis >= max.toMillis() ? max : Duration.ofMillis((long) millis);
    }

    /** A wait drawn uniformly from {@code [0, ceiling(failures)]}. */
    public Duration delay(int failures, RandomGenerator random) {
        return Duration.ofMillis(random.nextLong(ceiling(failures).toMillis() + 1));
    }
}
