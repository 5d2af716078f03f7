package dev.tether.server.hub;

/**
 * The other nodes of a cluster, as the hub reaches them for agents it does not hold: a wake-up for an agent
 * whose outbox grew, a revocation. Implementations never block (they queue and coalesce).
 */
public interface Peers {

    /** A single node: nobody else to tell. */
    Peers NONE = new Peers() {
        @Override
        public void wake(String agentId) {
        }

        @Override
        public void revoke(String agentId) {
        }

        @Override
        public void tookOver(String agentId, String fromNode, long epoch) {
        }
    };

    /** The agent's outbox has something new; the node holding it should send it. */
    void wake(String agentId);

    /** The agent was revoked; the node holding it must close its connection. */
    void revoke(String agentId);

    /** A connection here took the agent over from {@code fromNode}: that node must close its older one. */
    void tookOver(String agentId, String fromNode, long epoch);
}
