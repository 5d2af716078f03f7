package dev.tether.server.api;

import dev.tether.server.events.EventBroadcaster;
import dev.tether.server.events.EventFilter;
import dev.tether.server.events.EventLog;
import dev.tether.server.events.ServerEvent;
import dev.tether.server.metrics.ServerMetrics;
import dev.tether.server.store.AgentStore;
import dev.tether.server.store.DbExecutor;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.TreeSet;

/**
 * The server's event stream, {@code GET /api/v1/events}, as server-sent
 * events: {@code id:} (increasing), {@code event:} (the type) and {@code data:}
 * (one JSON object; see {@link ServerEvent}).
 *
 * <p>Parameters: {@code types=a,b} and {@code agent=<id or name>} filter;
 * {@code Last-Event-ID} (header) or {@code last_event_id} resumes after that id
 * (a {@code gap} event says when some were pruned meanwhile); {@code follow}
 * (default true) keeps the stream open for live events, else it ends after the
 * stored ones; without a starting id, a following stream starts with live
 * events and a non-following one sends the latest {@code limit} (default 50).
 * Thread safe.
 */
final class EventStreamRoutes {

    /** Event streams one principal may hold open, of the server's {@link EventBroadcaster#MAX_SUBSCRIBERS}. */
    static final int MAX_STREAMS_PER_PRINCIPAL = 16;

    private final DbExecutor executor;
    private final EventLog log;
    private final EventBroadcaster broadcaster;
    private final AgentStore agents;
    private final ServerMetrics metrics;
    private final DbCalls db;
    private final StreamQuota quota = new StreamQuota("event streams", MAX_STREAMS_PER_PRINCIPAL);

    EventStreamRoutes(DbExecutor executor, EventLog log, EventBroadcaster broadcaster, AgentStore agents,
            ServerMetrics metrics) {
        this.executor = executor;
        this.log = log;
        this.broadcaster = broadcaster;
        this.agents = agents;
        this.metrics = metrics;
        this.db = new DbCalls(executor);
    }

    void mount(Router router) {
        router.get("/api/v1/events").handler(this::stream);
    }

    /** What the stream starts from, read before it opens. */
    private record Start(EventFilter filter, long firstId) {
    }

    private void stream(RoutingContext ctx) {
        Set<String> types = types(ctx.queryParams().get("types"));
        String agent = ctx.queryParams().get("agent");
        boolean follow = StreamParams.follow(ctx, true);
        long after = StreamParams.lastEventId(ctx, -1);
        int limit = AgentRequests.limit(ctx);
        db.respond(ctx, () -> new Start(new EventFilter(types, agent == null ? null : agentId(agent)),
                log.firstId()), start -> open(ctx, start, follow, after, limit));
    }

    private void open(RoutingContext ctx, Start start, boolean follow, long after, int limit) {
        Context context = Vertx.currentContext();
        EventStreamSession session = new EventStreamSession(context, executor, log, start.filter(), metrics);
        Runnable release = quota.acquire(ctx);
        if (follow && !broadcaster.subscribe(session)) {
            release.run();
            throw ApiException.unavailable("more than " + EventBroadcaster.MAX_SUBSCRIBERS
                    + " event streams are open; retry later");
        }
        long upTo = follow ? broadcaster.cursor() : Long.MAX_VALUE;
        SseStream sse = SseStream.open(ctx, session::pump, () -> {
            broadcaster.unsubscribe(session);
            release.run();
        });
        if (after >= 0 && start.firstId() > after + 1) {
            EventStreamSession.gap(sse, after, start.firstId());
        }
        if (after >= 0 || follow) {
            session.start(sse, after >= 0 ? after : upTo, upTo, follow);
        } else {
            executor.call(context, () -> log.latest(start.filter(), limit))
                    .onSuccess(latest -> session.sendAndEnd(sse, latest))
                    .onFailure(failure -> sse.end());
        }
    }

    private String agentId(String idOrName) {
        return agents.find(idOrName).orElseThrow(() -> ApiException.notFound(idOrName)).id();
    }

    private static Set<String> types(String text) {
        Set<String> types = new LinkedHashSet<>();
        if (text == null) {
            return types;
        }
        for (String type : text.split(",")) {
            String trimmed = type.strip();
            if (!ServerEvent.TYPES.contains(trimmed)) {
                throw ApiException.badRequest("invalid_types", "unknown event type '" + trimmed + "': types are "
                        + String.join(", ", new TreeSet<>(ServerEvent.TYPES)));
            }
            types.add(trimmed);
        }
        return types;
    }
}
