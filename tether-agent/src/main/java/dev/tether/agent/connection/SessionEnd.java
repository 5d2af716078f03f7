package dev.tether.agent.connection;

import java.time.Duration;

/** Why a connection attempt or session ended; decides how long to wait before the next. */
public sealed interface SessionEnd {

    /** The agent is stopping; no reconnect. */
    record Stopped() implements SessionEnd {
    }

    /**
     * The server answered the upgrade with an HTTP error instead of switching protocols.
     *
     * @param retryAfter the server's {@code Retry-After}, or null when it sent none
     */
    record Rejected(int status, Duration retryAfter) implements SessionEnd {
        public boolean unauthorized() {
            return status == 401;
        }

        /** 403 with a Retry-After: enrolled, waiting for an operator's approval. */
        public boolean pendingApproval() {
            return status == 403 && retryAfter != null;
        }
    }

    /** Dialing, the handshake or the session failed on the agent's side or the network's. */
    record Failed(String reason) implements SessionEnd {
    }

    /** The server closed the connection with this code and reason. */
    record Closed(int code, String reason) implements SessionEnd {
    }

    /** The server asked the agent to reconnect (drain), after a delay. */
    record GoAway(Duration after, String reason) implements SessionEnd {
    }
}
