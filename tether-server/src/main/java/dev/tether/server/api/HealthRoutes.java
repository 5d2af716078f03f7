package dev.tether.server.api;

import dev.tether.server.metrics.ServerMetrics;
import dev.tether.server.store.Database;
import dev.tether.server.store.ServerOutbox;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Unauthenticated probes: {@code /healthz} (200 while the process serves),
 * {@code /readyz} (200 when the database answers and the node is not draining, else 503) and
 * {@code /metrics} (Prometheus text). Thread safe.
 */
final class HealthRoutes {

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(2);
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    private static final Logger LOG = LoggerFactory.getLogger(HealthRoutes.class);

    private final Database database;
    private final ServerMetrics metrics;
    private final DbCalls db;
    private final BooleanSupplier draining;
    /** Outbox rows at the last scrape; refreshed by each scrape, off the event loop. */
    private final AtomicLong outboxRows = new AtomicLong();

    HealthRoutes(Database database, ServerMetrics metrics, DbCalls db, BooleanSupplier draining) {
        this.database = database;
        this.draining = draining;
        this.metrics = metrics;
        this.db = db;
        metrics.gaugeReliablePending("to_agents", outboxRows::get);
    }

    void mount(Router router) {
        router.get("/healthz").handler(ctx -> ApiResponses.json(ctx, 200, new JsonObject().put("status", "ok")));
        router.get("/readyz").handler(this::ready);
        router.get("/metrics").handler(this::scrape);
    }

    private void ready(RoutingContext ctx) {
        if (draining.getAsBoolean()) {
            ApiResponses.error(ctx, 503, "draining", "this node is stopping and hands its agents to other nodes");
            return;
        }
        db.respond(ctx, () -> database.ping(READY_TIMEOUT), up -> {
            if (up) {
                ApiResponses.json(ctx, 200, new JsonObject().put("status", "ready"));
            } else {
                ApiResponses.error(ctx, 503, "not_ready", "the database does not answer; check its connection");
            }
        });
    }

    private void scrape(RoutingContext ctx) {
        db.respond(ctx, () -> {
            try {
                outboxRows.set(ServerOutbox.pendingTotal(database));
            } catch (RuntimeException e) {
                LOG.warn("could not count outbox rows for /metrics", e);
            }
            return metrics.scrape();
        }, text -> ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, PROMETHEUS_TEXT).end(text));
    }
}
