package dev.tether.server.api;

import dev.tether.protocol.v1.Heartbeat;
import dev.tether.server.hub.Presence;
import dev.tether.server.store.AgentRecord;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Map;
import java.util.Optional;

/** The JSON form of an agent in the REST API. Stateless. */
final class AgentJson {

    private AgentJson() {
    }

    static JsonObject render(AgentRecord agent, Optional<Presence> presence) {
        JsonObject json = new JsonObject()
                .put("id", agent.id())
                .put("name", agent.name())
                .put("labels", object(agent.labels()))
                .put("reported_labels", object(agent.reportedLabels()))
                .put("status", agent.pending() ? "pending" : presence.isPresent() ? "online" : "offline")
                .put("approval", agent.approval() == null ? "approved" : agent.approval())
                .put("node", presence.isPresent() ? agent.holderNode() : null)
                .put("last_seen", ApiResponses.time(presence.map(Presence::lastSeen).orElse(agent.lastSeen())))
                .put("connected_since", presence.map(p -> ApiResponses.time(p.connectedSince())).orElse(null))
                .put("hostname", agent.hostname())
                .put("os", agent.os())
                .put("arch", agent.arch())
                .put("agent_version", agent.agentVersion())
                .put("capabilities", new JsonArray(new ArrayList<Object>(agent.capabilities())))
                .put("metrics", presence.filter(p -> p.heartbeat() != null).map(AgentJson::metrics).orElse(null))
                .put("revoked", agent.revoked())
                .put("created_at", ApiResponses.time(agent.createdAt()));
        if (agent.statusState() != null) {
            json.put("status_state", agent.statusState()).put("status_message", agent.statusMessage());
        }
        return json;
    }

    private static JsonObject metrics(Presence presence) {
        Heartbeat heartbeat = presence.heartbeat();
        return new JsonObject()
                .put("received_at", ApiResponses.time(presence.heartbeatAt()))
                .put("cpu_percent", heartbeat.getCpuPercent())
                .put("mem_used_bytes", heartbeat.getMemUsedBytes())
                .put("mem_total_bytes", heartbeat.getMemTotalBytes())
                .put("disk_used_bytes", heartbeat.getDiskUsedBytes())
                .put("disk_total_bytes", heartbeat.getDiskTotalBytes())
                .put("outbox_depth", heartbeat.getOutboxDepth())
                .put("uptime_s", heartbeat.getUptimeS())
                .put("shell_sessions", heartbeat.getShellSessions())
                .put("shell_buffered_peak_bytes", heartbeat.getShellBufferedPeakBytes());
    }

    static JsonObject object(Map<String, String> map) {
        JsonObject json = new JsonObject();
        map.forEach(json::put);
        return json;
    }
}
