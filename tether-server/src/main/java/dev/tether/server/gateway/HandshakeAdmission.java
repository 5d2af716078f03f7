package dev.tether.server.gateway;

/**
 * Admits at most {@code ratePerSecond} new agent connections a second (a token
 * bucket holding one second's worth), so a reconnect storm after a restart is
 * paced instead of piling work on the database. A refused agent is told when to
 * come back: {@code Retry-After} spreads the herd over the time the backlog
 * takes at this rate, so the agents' retries do not arrive together again.
 *
 * <p>Thread safe; never blocks.
 */
final class HandshakeAdmission {

    private final double ratePerSecond;
    /** Guarded by this. */
    private double tokens;
    private long lastRefillNanos;
    /** Refusals in the current second, guarded by this: how large the herd is. */
    private long refusedRecently;
    private long refusedSinceNanos;

    HandshakeAdmission(int ratePerSecond, long nowNanos) {
        if (ratePerSecond < 1) {
            throw new IllegalArgumentException("--max-handshakes-per-second must be at least 1, was " + ratePerSecond);
        }
        this.ratePerSecond = ratePerSecond;
        this.tokens = ratePerSecond;
        this.lastRefillNanos = nowNanos;
        this.refusedSinceNanos = nowNanos;
    }

    /** @return 0 when admitted, else the seconds the agent should wait before retrying */
    synchronized long admit(long nowNanos, double jitter) {
        tokens = Math.min(ratePerSecond, tokens + (nowNanos - lastRefillNanos) / 1e9 * ratePerSecond);
        lastRefillNanos = nowNanos;
        if (tokens >= 1) {
            tokens -= 1;
            return 0;
        }
        if (nowNanos - refusedSinceNanos >= 1_000_000_000L) {
            refusedSinceNanos = nowNanos;
            refusedRecently = 0;
        }
        refusedRecently++;
        // The refused herd drains in about refused / rate seconds; each agent picks a point in it.
        double spread = Math.max(1, refusedRecently / ratePerSecond);
        return 1 + (long) (jitter * spread);
    }
}
