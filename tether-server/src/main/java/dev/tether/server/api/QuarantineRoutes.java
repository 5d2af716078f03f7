package dev.tether.server.api;

import dev.tether.server.gateway.PayloadQuarantine;
import dev.tether.server.gateway.PayloadQuarantine.Quarantined;
import dev.tether.server.store.AgentRecord;
import dev.tether.server.store.AgentStore;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * An agent's quarantined payloads ({@link PayloadQuarantine}), oldest seq first:
 * {@code GET /api/v1/agents/{id or name}/quarantine}, admin only (the payloads
 * may hold job results and output). Each entry carries the envelope as the
 * agent sent it, base64 protobuf. Thread safe.
 */
final class QuarantineRoutes {

    private final AgentStore agents;
    private final PayloadQuarantine quarantine;
    private final DbCalls db;

    QuarantineRoutes(AgentStore agents, PayloadQuarantine quarantine, DbCalls db) {
        this.agents = agents;
        this.quarantine = quarantine;
        this.db = db;
    }

    void mount(Router router) {
        router.get("/api/v1/agents/:agent/quarantine").handler(this::list);
    }

    private void list(RoutingContext ctx) {
        String agent = ctx.pathParam("agent");
        db.respond(ctx, () -> {
            AgentRecord found = agents.find(agent).orElseThrow(() -> ApiException.notFound(agent));
            return quarantine.list(found.id());
        }, all -> {
            JsonArray rendered = new JsonArray();
            for (Quarantined payload : all) {
                rendered.add(render(payload));
            }
            ApiResponses.json(ctx, 200, new JsonObject().put("payloads", rendered));
        });
    }

    private static JsonObject render(Quarantined payload) {
        return new JsonObject()
                .put("seq", payload.seq())
                .put("payload_type", payload.payloadType())
                .put("attempts", payload.attempts())
                .put("error", payload.error())
                .put("bytes", payload.envelope().length)
                .put("envelope", payload.envelope())
                .put("first_failed_at", ApiResponses.time(payload.firstFailedAt()))
                .put("quarantined_at", ApiResponses.time(payload.quarantinedAt()));
    }
}
