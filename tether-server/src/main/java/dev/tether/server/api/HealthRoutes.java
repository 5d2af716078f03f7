package dev.tether.server.api;

import dev.tether.server.cluster.Cluster;
import dev.tether.server.metrics.ServerMetrics;
import dev.tether.server.store.AgentStore;
import dev.tether.server.store.Database;
import dev.tether.server.store.ServerOutbox;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.atomic.AtomicLong;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Unauthenticated probes: {@code /healthz} (200 while the process serves),
 * {@code /readyz} (200 when the node renewed its cluster lease in time and is not draining, else 503) and
 * {@code /metrics} (Prometheus text). Thread safe.
 */
final class HealthRoutes {

    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    private static final Logger LOG = LoggerFactory.getLogger(HealthRoutes.class);

    private final Database database;
    private final ServerMetrics metrics;
    private final DbCalls db;
    private final Cluster cluster;
    /** Outbox rows at the last scrape; refreshed by each scrape, off the event loop. */
    private final AtomicLong outboxRows = new AtomicLong();

    HealthRoutes(Database database, ServerMetrics metrics, DbCalls db, Cluster cluster) {
        this.database = database;
        this.cluster = cluster;
        this.metrics = metrics;
        this.db = db;
        metrics.gaugeReliablePending("to_agents", outboxRows::get);
    }

    void mount(Router router) {
        router.get("/healthz").handler(ctx -> ApiResponses.json(ctx, 200, new JsonObject().put("status", "ok")));
        router.get("/readyz").handler(this::ready);
        router.get("/metrics").handler(this::scrape);
    }

    /**
     * Answered from memory, never queued behind the node's database work: a busy node must not look down to its
     * load balancer (which would cut its sessions and send their agents into the same load elsewhere). The
     * database part is the lease renewal's last success, which runs every two seconds on connections of its own.
     */
    private void ready(RoutingContext ctx) {
        Optional<String> unready = cluster.unready();
        if (unready.isEmpty()) {
            ApiResponses.json(ctx, 200, new JsonObject().put("status", "ready"));
        } else if (unready.get().equals("draining")) {
            ApiResponses.error(ctx, 503, "draining", "this node is stopping and hands its agents to other nodes");
        } else {
            ApiResponses.error(ctx, 503, "not_ready", "this node has not renewed its cluster lease for "
                    + cluster.sinceRenewal().toSeconds() + " s (it lasts " + Cluster.lease().toSeconds()
                    + " s): the database does not answer in time; check the database and this node's log");
        }
    }

    private void scrape(RoutingContext ctx) {
        db.respond(ctx, () -> {
            try {
                outboxRows.set(ServerOutbox.pendingTotal(database));
            } catch (RuntimeException e) {
                LOG.warn("could not count outbox rows for /metrics", e);
            }
            try {
                metrics.fleetAgents().refresh(new AgentStore(database)::countByStatus);
            } catch (RuntimeException e) {
                LOG.warn("could not count agents for /metrics", e);
            }
            return metrics.scrape();
        }, text -> ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, PROMETHEUS_TEXT).end(text));
    }
}
