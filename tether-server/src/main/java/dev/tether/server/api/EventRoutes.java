package dev.tether.server.api;

import dev.tether.protocol.Limits;
import dev.tether.server.store.AgentStore;
import dev.tether.server.store.EventStore;
import dev.tether.server.store.EventStore.Page;
import dev.tether.server.store.EventStore.StoredEvent;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * An agent's events, newest first: {@code GET /api/v1/agents/{agent}/events?type=T&limit=N&before=ID},
 * paged by the id cursor {@code next_before}. Thread safe.
 */
final class EventRoutes {

    private final AgentStore agents;
    private final EventStore events;
    private final DbCalls db;

    EventRoutes(AgentStore agents, EventStore events, DbCalls db) {
        this.agents = agents;
        this.events = events;
        this.db = db;
    }

    void mount(Router router) {
        router.get("/api/v1/agents/:agent/events").handler(this::list);
    }

    private void list(RoutingContext ctx) {
        String agent = ctx.pathParam("agent");
        String type = ctx.queryParams().get("type");
        if (type != null && (type.isEmpty() || type.length() > Limits.MAX_EVENT_TYPE_LENGTH)) {
            throw ApiException.badRequest("invalid_type", "type must be 1-" + Limits.MAX_EVENT_TYPE_LENGTH
                    + " characters");
        }
        int limit = AgentRequests.limit(ctx);
        Long before = AgentRequests.before(ctx);
        db.respond(ctx, () -> {
            String id = agents.find(agent).orElseThrow(() -> ApiException.notFound(agent)).id();
            return events.list(id, type, limit, before);
        }, page -> ApiResponses.json(ctx, 200, render(page)));
    }

    private static JsonObject render(Page page) {
        JsonArray list = new JsonArray();
        for (StoredEvent event : page.events()) {
            list.add(new JsonObject()
                    .put("id", event.id())
                    .put("seq", event.agentSeq())
                    .put("type", event.type())
                    .put("payload", payload(event.payload()))
                    .put("occurred_at", ApiResponses.time(event.occurredAt()))
                    .put("received_at", ApiResponses.time(event.receivedAt())));
        }
        return new JsonObject().put("events", list).put("next_before", page.nextBefore());
    }

    /** The stored payload as JSON; text that is not valid JSON comes back as a JSON string. */
    private static Object payload(String text) {
        try {
            return Json.decodeValue(text);
        } catch (DecodeException e) {
            return text;
        }
    }
}
