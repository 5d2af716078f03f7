package dev.tether.server.api;

import dev.tether.server.hub.Hub;
import dev.tether.server.store.AgentStore;
import dev.tether.server.store.ConfigStore;
import dev.tether.server.store.ConfigStore.ConfigState;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * An agent's configuration: {@code PUT /api/v1/agents/{agent}/config} stores
 * any JSON document as the next version and queues it for the agent (the
 * agent's connection, if it is here, is woken to send it); {@code GET} shows
 * the current version and whether the agent applied it. Thread safe.
 */
final class ConfigRoutes {

    private final AgentStore agents;
    private final ConfigStore configs;
    private final Hub hub;
    private final DbCalls db;

    ConfigRoutes(AgentStore agents, ConfigStore configs, Hub hub, DbCalls db) {
        this.agents = agents;
        this.configs = configs;
        this.hub = hub;
        this.db = db;
    }

    void mount(Router router) {
        router.put("/api/v1/agents/:agent/config").handler(this::put);
        router.get("/api/v1/agents/:agent/config").handler(this::get);
    }

    private void put(RoutingContext ctx) {
        String agent = ctx.pathParam("agent");
        String json = AgentRequests.jsonDocument(ctx);
        db.respond(ctx, () -> {
            String id = agentId(agent);
            ConfigState state = configs.put(id, json, System.currentTimeMillis());
            hub.wake(id);
            return state;
        }, state -> ApiResponses.json(ctx, 200, render(state)));
    }

    private void get(RoutingContext ctx) {
        String agent = ctx.pathParam("agent");
        db.respond(ctx, () -> configs.get(agentId(agent)).orElseThrow(() -> ApiException.notFound(agent)),
                state -> ApiResponses.json(ctx, 200, render(state)));
    }

    private String agentId(String idOrName) {
        return agents.find(idOrName).orElseThrow(() -> ApiException.notFound(idOrName)).id();
    }

    private static JsonObject render(ConfigState state) {
        JsonObject json = new JsonObject()
                .put("version", state.version())
                .put("config", state.json() == null ? null : Json.decodeValue(state.json()))
                .put("applied_version", state.appliedVersion())
                .put("applied", state.applied());
        if (state.error() != null) {
            json.put("error", state.error()).put("error_version", state.errorVersion());
        }
        return json;
    }
}
