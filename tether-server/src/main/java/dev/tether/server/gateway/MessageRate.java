package dev.tether.server.gateway;

import dev.tether.protocol.Payloads;
import dev.tether.protocol.v1.Envelope;

/**
 * A per-connection budget of messages from the agent: {@link #SUSTAINED_PER_SECOND}
 * on average, in bursts of up to {@link #BURST}. A well-behaved agent stays far
 * below it (a heartbeat per interval, events and job output in batches); one
 * that floods is closed with 1008 instead of crowding out the agents sharing
 * its event loop. Messages with a flow control of their own are not counted:
 * shell output within the credit the server granted, input credit returned for
 * input the server sent (one per ShellInput at most, so a fast typist or a
 * paste cannot get its agent closed), both charged when beyond that or for a
 * session the server does not relay (see {@code AgentConnection.handleShell}),
 * and reliable payloads (at most
 * {@link dev.tether.protocol.Limits#RELIABLE_WINDOW} unacknowledged, and the
 * connection stops reading while {@link ReliableSession#PAUSE_READING_AT} wait to
 * be applied), so an agent publishing events as fast as the server applies them
 * is paced, not closed.
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

    /** Whether {@code envelope} is charged against the budget (see the class comment). */
    static boolean counts(Envelope envelope) {
        return !envelope.hasShellOutput() && !envelope.hasShellCredit() && !Payloads.isReliable(envelope);
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
