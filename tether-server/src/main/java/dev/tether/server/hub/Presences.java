package dev.tether.server.hub;

import dev.tether.server.store.AgentRecord;
import java.util.Optional;

/**
 * An agent's presence anywhere in the cluster: its live connection's on this node, or, when another node
 * holds it ({@code agents.holder_node}), what that node recorded in the database (connected since, last seen
 * as of its last flush; no heartbeat figures). A node whose lease expired has its agents' holder cleared by
 * the cluster's sweep, so a dead node's agents show offline.
 */
public final class Presences {

    private Presences() {
    }

    public static Optional<Presence> of(Hub hub, AgentRecord agent) {
        Optional<Presence> local = hub.presence(agent.id());
        if (local.isPresent() || agent.holderNode() == null || agent.holderNode().equals(hub.nodeName())) {
            return local;
        }
        long connectedAt = agent.connectedAt() == null ? 0 : agent.connectedAt();
        long lastSeen = agent.lastSeen() == null ? connectedAt : agent.lastSeen();
        return Optional.of(new Presence(connectedAt, lastSeen, null, 0));
    }
}
