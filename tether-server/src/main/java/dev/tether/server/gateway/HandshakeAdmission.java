package dev.tether.server.gateway;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Admits at most {@code ratePerSecond} new agent connections a second (a token
 * bucket holding one second's worth), and at most {@code maxInFlight} handshakes
 * at a time (admitted and neither established nor failed yet), so a reconnect
 * storm is paced instead of piling work on the database. The rate alone cannot
 * know what a node can finish: a busy node admitting 1,000 a second let its
 * handshakes queue past their 15 s deadline, and every one that timed out was
 * work thrown away and an agent back in the herd. The in-flight bound adapts:
 * a slow node finishes fewer, so it admits fewer, and each admitted handshake
 * finishes in time. A refused agent is told when to come back: {@code Retry-After}
 * spreads the herd over the time the backlog takes at the rate handshakes are
 * finishing (or at the configured rate, when that is lower), so the agents'
 * retries do not arrive together again.
 *
 * <p>Thread safe; never blocks.
 */
final class HandshakeAdmission {

    /** Handshakes in flight at most, by default: a few seconds' work for a busy node. */
    static final int MAX_IN_FLIGHT = 256;
    /** Longest {@code Retry-After}, seconds. */
    static final int MAX_RETRY_SECONDS = 60;

    private final int maxInFlight;
    /** Guarded by this. */
    private int inFlight;
    /** Handshakes finished in the current second and the last full one, guarded by this. */
    private long finishedThisSecond;
    private long finishedLastSecond;
    private long finishedSinceNanos;

    private final double ratePerSecond;
    /** Guarded by this. */
    private double tokens;
    private long lastRefillNanos;
    /** Refusals in the current second, guarded by this: how large the herd is. */
    private long refusedRecently;
    private long refusedSinceNanos;

    HandshakeAdmission(int ratePerSecond, long nowNanos) {
        this(ratePerSecond, MAX_IN_FLIGHT, nowNanos);
    }

    HandshakeAdmission(int ratePerSecond, int maxInFlight, long nowNanos) {
        this.maxInFlight = maxInFlight;
        this.finishedSinceNanos = nowNanos;
        if (ratePerSecond < 1) {
            throw new IllegalArgumentException("--max-handshakes-per-second must be at least 1, was " + ratePerSecond);
        }
        this.ratePerSecond = ratePerSecond;
        this.tokens = ratePerSecond;
        this.lastRefillNanos = nowNanos;
        this.refusedSinceNanos = nowNanos;
    }

    /**
     * @return 0 when admitted (the caller then calls {@link #finished} exactly once, however the handshake ends),
     *     else the seconds the agent should wait before retrying
     */
    synchronized long admit(long nowNanos, double jitter) {
        tokens = Math.min(ratePerSecond, tokens + (nowNanos - lastRefillNanos) / 1e9 * ratePerSecond);
        lastRefillNanos = nowNanos;
        rollFinished(nowNanos);
        if (tokens >= 1 && inFlight < maxInFlight) {
            tokens -= 1;
            inFlight++;
            return 0;
        }
        if (nowNanos - refusedSinceNanos >= 1_000_000_000L) {
            refusedSinceNanos = nowNanos;
            refusedRecently = 0;
        }
        refusedRecently++;
        // The refused herd drains in about refused / rate seconds; each agent picks a point in it.
        double rate = inFlight >= maxInFlight ? Math.max(1, Math.min(ratePerSecond, finishedLastSecond)) : ratePerSecond;
        double spread = Math.min(MAX_RETRY_SECONDS - 1, Math.max(1, refusedRecently / rate));
        return 1 + (long) (jitter * spread);
    }

    /** An admitted handshake ended: established, refused or abandoned. */
    synchronized void finished(long nowNanos) {
        inFlight--;
        rollFinished(nowNanos);
        finishedThisSecond++;
    }

    /** Handshakes admitted and not finished. */
    synchronized int inFlight() {
        return inFlight;
    }

    /** A one-shot {@link #finished} for one admitted handshake: safe to call on every path it may end on. */
    Runnable ticket() {
        AtomicBoolean done = new AtomicBoolean();
        return () -> {
            if (done.compareAndSet(false, true)) {
                finished(System.nanoTime());
            }
        };
    }

    private void rollFinished(long nowNanos) {
        long elapsed = nowNanos - finishedSinceNanos;
        if (elapsed >= 1_000_000_000L) {
            finishedLastSecond = elapsed >= 2_000_000_000L ? 0 : finishedThisSecond;
            finishedThisSecond = 0;
            finishedSinceNanos = nowNanos;
        }
    }
}
