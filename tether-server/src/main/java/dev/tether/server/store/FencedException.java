package dev.tether.server.store;

/**
 * A connection tried to apply, acknowledge or send for an agent that a newer connection took over (on this
 * node or another): nothing of its transaction was kept, and the connection must close (4001, replaced).
 */
public final class FencedException extends RuntimeException {

    private final long currentEpoch;
    private final String holder;

    FencedException(String agentId, long staleEpoch, long currentEpoch, String holder) {
        super("agent " + agentId + ": connection epoch " + staleEpoch + " is stale (now " + currentEpoch
                + (holder == null ? "" : ", held by node " + holder) + ")");
        this.currentEpoch = currentEpoch;
        this.holder = holder;
    }

    /** The agent's epoch now; -1 when the agent is gone. */
    public long currentEpoch() {
        return currentEpoch;
    }

    /** The node holding the agent now, null when none does. */
    public String holder() {
        return holder;
    }
}
