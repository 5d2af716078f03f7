package dev.tether.server.events;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records agents coming online (handshake done, registered in the hub) and
 * going offline (their live connection ended), one event each, never per
 * heartbeat. Blocking: called on the agent's lane. A failure is logged and the
 * connection carries on. Thread safe.
 */
public final class PresenceEvents {

    private static final Logger LOG = LoggerFactory.getLogger(PresenceEvents.class);

    private final EventLog log;
    private final EventBroadcaster broadcaster;

    public PresenceEvents(EventLog log, EventBroadcaster broadcaster) {
        this.log = log;
        this.broadcaster = broadcaster;
    }

    public void online(String agentId, String agentName) {
        record(ServerEvent.AGENT_ONLINE, agentId, new JsonObject().put("agent_id", agentId)
                .put("agent_name", agentName));
    }

    /** @param code the WebSocket close code the connection ended with */
    public void offline(String agentId, String agentName, int code) {
        record(ServerEvent.AGENT_OFFLINE, agentId, new JsonObject().put("agent_id", agentId)
                .put("agent_name", agentName).put("code", code));
    }

    private void record(String type, String agentId, JsonObject payload) {
        long now = System.currentTimeMillis();
        try {
            log.append(List.of(ServerEvent.create(type, agentId, payload.put("at", Instant.ofEpochMilli(now)
                    .toString()), now)));
            broadcaster.wake();
        } catch (RuntimeException e) {
            LOG.warn("could not record {} of agent {}", type, agentId, e);
        }
    }
}
