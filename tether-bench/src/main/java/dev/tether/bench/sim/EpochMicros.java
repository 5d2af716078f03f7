package dev.tether.bench.sim;

import java.time.Instant;

/**
 * Wall-clock time in microseconds since the epoch. Unlike {@code System.nanoTime},
 * it compares across processes, so a generator process can time a command
 * from the moment the bench (another process) called the API. On one Linux
 * machine every process reads the same clock.
 */
public final class EpochMicros {

    private EpochMicros() {
    }

    public static long now() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }
}
