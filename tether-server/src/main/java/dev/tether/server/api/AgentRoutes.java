package dev.tether.server.api;

import dev.tether.server.api.AgentRequests.LabelPatch;
import dev.tether.server.api.AgentRequests.NewAgent;
import dev.tether.server.auth.Secrets;
import dev.tether.server.hub.Hub;
import dev.tether.server.hub.Presences;
import dev.tether.server.shell.Recordings;
import dev.tether.server.store.AgentRecord;
import dev.tether.server.store.AgentRemoval;
import dev.tether.server.store.AgentStore;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Agents: enrol ({@code POST /api/v1/agents}, the key is in the reply and
 * nowhere else), list a page ({@link AgentListing}), show one (by id or name),
 * change its labels ({@code PATCH}, a JSON merge), revoke (the live connection
 * is closed at once) and delete a revoked one with its history ({@link AgentRemoval};
 * its recordings on this node's disk too). Thread safe.
 */
final class AgentRoutes {

    private final AgentStore agents;
    private final AgentRemoval removal;
    private final Recordings recordings;
    private final Hub hub;
    private final DbCalls db;

    AgentRoutes(AgentStore agents, AgentRemoval removal, Recordings recordings, Hub hub, DbCalls db) {
        this.agents = agents;
        this.removal = removal;
        this.recordings = recordings;
        this.hub = hub;
        this.db = db;
    }

    void mount(Router router) {
        router.post("/api/v1/agents").handler(this::create);
        router.get("/api/v1/agents").handler(this::list);
        router.get("/api/v1/agents/:agent").handler(this::show);
        router.patch("/api/v1/agents/:agent").handler(this::patch);
        router.delete("/api/v1/agents/:agent").handler(this::delete);
        router.post("/api/v1/agents/:agent/revoke").handler(this::revoke);
    }

    private void create(RoutingContext ctx) {
        NewAgent request = AgentRequests.newAgent(ctx);
        String key = Secrets.newAgentKey();
        db.respond(ctx, () -> agents.create(request.name(), request.labels(), Secrets.hash(key),
                System.currentTimeMillis()), agent -> ApiResponses.json(ctx, 201, new JsonObject()
                        .put("id", agent.id())
                        .put("name", agent.name())
                        .put("labels", AgentJson.object(agent.labels()))
                        .put("created_at", ApiResponses.time(agent.createdAt()))
                        .put("key", key)));
    }

    private void list(RoutingContext ctx) {
        AgentListing.Query query = AgentListing.query(ctx, hub.nodeName());
        db.respond(ctx, () -> AgentListing.page(agents, hub, query), page -> {
            JsonArray rendered = new JsonArray();
            for (AgentRecord agent : page.agents()) {
                rendered.add(AgentJson.render(agent, Presences.of(hub, agent)));
            }
            ApiResponses.json(ctx, 200, new JsonObject().put("agents", rendered)
                    .put("next_before", page.nextBefore()));
        });
    }

    private void patch(RoutingContext ctx) {
        String agent = ctx.pathParam("agent");
        LabelPatch change = AgentRequests.labelPatch(ctx);
        db.respond(ctx, () -> {
            AgentRecord found = find(agent);
            try {
                return agents.updateLabels(found.id(), change.set(), change.remove(), AgentRequests.MAX_LABELS)
                        .orElseThrow(() -> ApiException.notFound(agent));
            } catch (IllegalArgumentException tooMany) {
                throw ApiException.badRequest("invalid_labels", tooMany.getMessage());
            }
        }, changed -> ApiResponses.json(ctx, 200, AgentJson.render(changed, Presences.of(hub, changed))));
    }

    private void delete(RoutingContext ctx) {
        String agent = ctx.pathParam("agent");
        db.respond(ctx, () -> {
            AgentRecord found = find(agent);
            AgentRemoval.Result result = removal.remove(found.id());
            switch (result.outcome()) {
                case NOT_FOUND -> throw ApiException.notFound(agent);
                case NOT_REVOKED -> throw new ApiException(409, "not_revoked", "agent '" + found.name()
                        + "' is not revoked: revoke it first (POST /api/v1/agents/" + found.name() + "/revoke)");
                case UNFINISHED_JOBS -> throw new ApiException(409, "unfinished_jobs", "agent '" + found.name()
                        + "' still has jobs that are not final: cancel them first (its jobs: GET /api/v1/agents/"
                        + found.name() + "/jobs)");
                case REMOVED -> recordings.delete(result.recordings());
            }
            return found;
        }, deleted -> ApiResponses.json(ctx, 200, new JsonObject().put("id", deleted.id())
                .put("name", deleted.name()).put("deleted", true)));
    }

    private void show(RoutingContext ctx) {
        String agent = ctx.pathParam("agent");
        db.respond(ctx, () -> find(agent),
                found -> ApiResponses.json(ctx, 200, AgentJson.render(found, Presences.of(hub, found))));
    }

    private void revoke(RoutingContext ctx) {
        String agent = ctx.pathParam("agent");
        db.respond(ctx, () -> {
            AgentRecord found = find(agent);
            agents.revoke(found.id(), System.currentTimeMillis());
            hub.revoke(found.id());
            return find(found.id());
        }, revoked -> ApiResponses.json(ctx, 200, AgentJson.render(revoked, Presences.of(hub, revoked))));
    }

    private AgentRecord find(String idOrName) {
        return agents.find(idOrName).orElseThrow(() -> ApiException.notFound(idOrName));
    }
}
