package dev.tether.server.api;

import dev.tether.server.api.AgentRequests.NewAgent;
import dev.tether.server.auth.Secrets;
import dev.tether.server.hub.Hub;
import dev.tether.server.hub.Presences;
import dev.tether.server.store.AgentRecord;
import dev.tether.server.store.AgentStore;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Agents: enrol ({@code POST /api/v1/agents}, the key is in the reply and
 * nowhere else), list, show one (by id or name), revoke (the live connection
 * is closed at once). Thread safe.
 */
final class AgentRoutes {

    private final AgentStore agents;
    private final Hub hub;
    private final DbCalls db;

    AgentRoutes(AgentStore agents, Hub hub, DbCalls db) {
        this.agents = agents;
        this.hub = hub;
        this.db = db;
    }

    void mount(Router router) {
        router.post("/api/v1/agents").handler(this::create);
        router.get("/api/v1/agents").handler(this::list);
        router.get("/api/v1/agents/:agent").handler(this::show);
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
        db.respond(ctx, agents::list, all -> {
            JsonArray rendered = new JsonArray();
            for (AgentRecord agent : all) {
                rendered.add(AgentJson.render(agent, Presences.of(hub, agent)));
            }
            ApiResponses.json(ctx, 200, new JsonObject().put("agents", rendered));
        });
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
