package dev.tether.server.api;

import dev.tether.server.audit.AuditEntry;
import dev.tether.server.audit.AuditLog;
import dev.tether.server.enroll.Enrollment;
import dev.tether.server.enroll.EnrollmentToken;
import dev.tether.server.enroll.EnrollmentTokenStore;
import dev.tether.server.hub.Hub;
import dev.tether.server.hub.Presences;
import dev.tether.server.store.AgentRecord;
import dev.tether.server.store.AgentStore;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.Map;

/**
 * Enrollment tokens and approvals:
 * {@code POST /api/v1/enrollment-tokens {description, labels, ttl_s, max_uses, require_approval}} (the token
 * is in the reply only), {@code GET /api/v1/enrollment-tokens}, {@code POST /api/v1/enrollment-tokens/{id}/revoke},
 * {@code POST /api/v1/agents/{agent}/approve} and {@code POST /api/v1/agents/{agent}/reject}. Thread safe.
 */
final class EnrollmentRoutes {

    static final long DEFAULT_TTL_S = Duration.ofDays(1).toSeconds();

    private final Enrollment enrollment;
    private final EnrollmentTokenStore tokens;
    private final AgentStore agents;
    private final AuditLog audit;
    private final Hub hub;
    private final DbCalls db;

    EnrollmentRoutes(Enrollment enrollment, EnrollmentTokenStore tokens, AgentStore agents, AuditLog audit, Hub hub,
            DbCalls db) {
        this.enrollment = enrollment;
        this.tokens = tokens;
        this.agents = agents;
        this.audit = audit;
        this.hub = hub;
        this.db = db;
    }

    void mount(Router router) {
        router.post("/api/v1/enrollment-tokens").handler(this::create);
        router.get("/api/v1/enrollment-tokens").handler(this::list);
        router.post("/api/v1/enrollment-tokens/:id/revoke").handler(this::revoke);
        router.post("/api/v1/agents/:agent/approve").handler(ctx -> decide(ctx, null));
        router.post("/api/v1/agents/:agent/reject").handler(ctx -> decide(ctx, AgentRecord.REJECTED));
    }

    private void create(RoutingContext ctx) {
        JsonObject body = AgentRequests.jsonBody(ctx);
        Map<String, String> labels = AgentRequests.labelsOf(body.getValue("labels"));
        long ttl = AgentRequests.boundedLong(body, "ttl_s", DEFAULT_TTL_S, 1, Enrollment.MAX_TTL.toSeconds());
        long maxUses = AgentRequests.boundedLong(body, "max_uses", 1, 0, 1_000_000);
        Object approval = body.getValue("require_approval", false);
        if (!(approval instanceof Boolean requireApproval)) {
            throw ApiException.badRequest("invalid_require_approval", "require_approval must be true or false");
        }
        Object description = body.getValue("description");
        if (description != null && !(description instanceof String)) {
            throw ApiException.badRequest("invalid_description", "description must be a string");
        }
        db.respond(ctx, () -> enrollment.issue((String) description, labels, Duration.ofSeconds(ttl), maxUses,
                requireApproval, Actors.of(ctx), Actors.source(ctx)), issued -> ApiResponses.json(ctx, 201,
                        render(issued.token()).put("token", issued.secret())));
    }

    private void list(RoutingContext ctx) {
        db.respond(ctx, tokens::list, all -> {
            JsonArray list = new JsonArray();
            all.forEach(token -> list.add(render(token)));
            ApiResponses.json(ctx, 200, new JsonObject().put("tokens", list));
        });
    }

    private void revoke(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        db.respond(ctx, () -> {
            EnrollmentToken token = tokens.find(id).orElseThrow(() -> new ApiException(404, "not_found",
                    "no enrollment token '" + id + "': list them with GET /api/v1/enrollment-tokens"));
            if (token.revokedAt() == null) {
                tokens.revoke(id, System.currentTimeMillis());
                audit.record(new AuditEntry.New(System.currentTimeMillis(), Actors.of(ctx), "enrollment_token.revoke",
                        id, Actors.source(ctx), new JsonObject()));
            }
            return tokens.find(id).orElseThrow();
        }, token -> ApiResponses.json(ctx, 200, render(token)));
    }

    private void decide(RoutingContext ctx, String approval) {
        String name = ctx.pathParam("agent");
        db.respond(ctx, () -> {
            AgentRecord agent = agents.find(name).orElseThrow(() -> ApiException.notFound(name));
            if (!agents.decide(agent.id(), approval, System.currentTimeMillis())) {
                throw new ApiException(409, "not_pending", "agent " + agent.name() + " is not waiting for approval");
            }
            if (approval != null) {
                hub.revoke(agent.id());
            }
            audit.record(new AuditEntry.New(System.currentTimeMillis(), Actors.of(ctx),
                    approval == null ? "agent.approve" : "agent.reject", agent.id(), Actors.source(ctx),
                    new JsonObject().put("name", agent.name())));
            return agents.find(agent.id()).orElseThrow();
        }, agent -> ApiResponses.json(ctx, 200, AgentJson.render(agent, Presences.of(hub, agent))));
    }

    private static JsonObject render(EnrollmentToken token) {
        long now = System.currentTimeMillis();
        return new JsonObject()
                .put("id", token.id())
                .put("description", token.description())
                .put("labels", AgentJson.object(token.labels()))
                .put("max_uses", token.maxUses())
                .put("uses", token.uses())
                .put("require_approval", token.requireApproval())
                .put("state", token.state(now))
                .put("created_by", token.createdBy())
                .put("created_at", ApiResponses.time(token.createdAt()))
                .put("expires_at", ApiResponses.time(token.expiresAt()))
                .put("revoked_at", ApiResponses.time(token.revokedAt()));
    }
}
