package dev.tether.protocol;

import java.security.SecureRandom;

/**
 * Draws the stamps of reliable payloads ({@code Envelope.stamp}): random, never 0 (0 means "unknown").
 *
 * <p>A stamp names one stored payload in one history of a sender's stream. Drawn from the operating system's
 * random source rather than a seeded generator, so two copies of one state dir (or of one running VM) draw
 * different stamps from then on. Thread safe.
 */
public final class Stamps {

    /** Stands for "no stamp known": a payload stored before stamps existed, or an older peer. */
    public static final long UNKNOWN = 0;

    private static final SecureRandom RANDOM = new SecureRandom();

    private Stamps() {
    }

    /** A fresh non-zero stamp. */
    public static long draw() {
        long stamp;
        do {
            stamp = RANDOM.nextLong();
        } while (stamp == UNKNOWN);
        return stamp;
    }
}
