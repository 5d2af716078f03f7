package dev.tether.server.gateway;

/**
 * A per-connection budget of messages from the agent: {@link #SUSTAINED_PER_SECOND}
 * on average, in bursts of up to {@link #BURST}. A well-behaved agent stays far
 * below it (a heartbeat per interval, events and job output in batches); one
 * that floods is closed with 1008 instead of crowding out the agents sharing
 * its event loop. Shell output is not counted: its credit window bounds it.
 *
 * <p>Not thread safe: owned by the connection's event loop.
 */
final class MessageRate {

    static final int SUSTAINED_PER_SECOND = 2_000;
    static final int BURST = 10_000;

    private double tokens = BURST;
    private long refilledNanos;

    MessageRate(long nowNanos) {
        this.refilledNanos = nowNanos;
    }

    /** @return false when this message is over the budget */
    boolean take(long nowNanos) {
        tokens = Math.min(BURST, tokens + (nowNanos - refilledNanos) / 1e9 * SUSTAINED_PER_SECOND);
        refilledNanos = nowNanos;
        if (tokens < 1) {
            return false;
        }
        tokens -= 1;
        return true;
    }
}
