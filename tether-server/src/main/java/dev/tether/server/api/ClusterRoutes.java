package dev.tether.server.api;

import dev.tether.server.cluster.Cluster;
import dev.tether.server.cluster.NodeRow;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * {@code GET /api/v1/cluster/nodes}: every server node of the cluster (one on a single node), with its
 * advertise URL, version, agents held, lease age and state ({@code alive}, {@code draining}, {@code expired}),
 * and which node answered ({@code self}). Thread safe.
 */
final class ClusterRoutes {

    private final Cluster cluster;
    private final DbCalls db;

    ClusterRoutes(Cluster cluster, DbCalls db) {
        this.cluster = cluster;
        this.db = db;
    }

    void mount(Router router) {
        router.get("/api/v1/cluster/nodes").handler(this::nodes);
    }

    private void nodes(RoutingContext ctx) {
        db.respond(ctx, cluster::nodes, nodes -> ApiResponses.json(ctx, 200, new JsonObject()
                .put("self", cluster.nodeName())
                .put("nodes", render(nodes))));
    }

    private static JsonArray render(List<NodeRow> nodes) {
        JsonArray rendered = new JsonArray();
        for (NodeRow node : nodes) {
            rendered.add(new JsonObject()
                    .put("name", node.name())
                    .put("advertise_url", node.advertiseUrl())
                    .put("version", node.version())
                    .put("started_at", ApiResponses.time(node.startedAt()))
                    .put("renewed_at", ApiResponses.time(node.renewedAt()))
                    .put("lease_age_ms", node.leaseAgeMillis())
                    .put("agents", node.state().equals("expired") ? 0 : node.agents())
                    .put("state", node.state()));
        }
        return rendered;
    }
}
