package dev.tether.server.api;

import dev.tether.protocol.v1.Heartbeat;
import dev.tether.server.hub.HeartbeatHistory;
import dev.tether.server.hub.Hub;
import dev.tether.server.hub.Presence;
import dev.tether.server.store.AgentStore;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;

/**
 * An agent's heartbeat metrics over the last hour, for the web UI's charts:
 * {@code GET /api/v1/agents/{id}/metrics} →
 * {@code {agent_id, status, slot_s, window_s, samples: [{at, cpu_percent, mem_percent, disk_percent,
 * outbox_depth}], latest}}: one sample per minute in which a heartbeat arrived (oldest first; minutes
 * the agent was offline are missing), and {@code latest}, the last heartbeat in full while the agent is
 * connected to this server (else null). History lives in memory: a restarted server starts empty.
 * Thread safe.
 */
final class AgentMetricsRoutes {

    private final AgentStore agents;
    private final Hub hub;
    private final DbCalls db;

    AgentMetricsRoutes(AgentStore agents, Hub hub, DbCalls db) {
        this.agents = agents;
        this.hub = hub;
        this.db = db;
    }

    void mount(Router router) {
        router.get("/api/v1/agents/:agent/metrics").handler(this::metrics);
    }

    private void metrics(RoutingContext ctx) {
        String agent = ctx.pathParam("agent");
        db.respond(ctx, () -> agents.find(agent).orElseThrow(() -> ApiException.notFound(agent)), found -> {
            long now = System.currentTimeMillis();
            JsonArray samples = new JsonArray();
            for (HeartbeatHistory.Sample sample : hub.history().samples(found.id(), now)) {
                samples.add(new JsonObject()
                        .put("at", ApiResponses.time(sample.at()))
                        .put("cpu_percent", sample.cpuPercent())
                        .put("mem_percent", sample.memPercent())
                        .put("disk_percent", sample.diskPercent())
                        .put("outbox_depth", sample.outboxDepth()));
            }
            Optional<Presence> presence = hub.presence(found.id());
            ApiResponses.json(ctx, 200, new JsonObject()
                    .put("agent_id", found.id())
                    .put("status", presence.isPresent() ? "online" : "offline")
                    .put("slot_s", HeartbeatHistory.SLOT.toSeconds())
                    .put("window_s", HeartbeatHistory.SLOT.toSeconds() * HeartbeatHistory.SLOTS)
                    .put("samples", samples)
                    .put("latest", presence.filter(p -> p.heartbeat() != null)
                            .map(p -> latest(p.heartbeat(), p.lastSeen())).orElse(null)));
        });
    }

    private static JsonObject latest(Heartbeat heartbeat, long lastSeen) {
        return new JsonObject()
                .put("at", ApiResponses.time(lastSeen))
                .put("cpu_percent", heartbeat.getCpuPercent())
                .put("mem_used_bytes", heartbeat.getMemUsedBytes())
                .put("mem_total_bytes", heartbeat.getMemTotalBytes())
                .put("disk_used_bytes", heartbeat.getDiskUsedBytes())
                .put("disk_total_bytes", heartbeat.getDiskTotalBytes())
                .put("outbox_depth", heartbeat.getOutboxDepth())
                .put("uptime_s", heartbeat.getUptimeS());
    }
}
