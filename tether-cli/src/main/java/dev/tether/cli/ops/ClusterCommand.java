package dev.tether.cli.ops;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code tether cluster ...}: the server's nodes, as the nodes themselves see them. */
@Command(name = "cluster", mixinStandardHelpOptions = true,
        description = "Inspect the server's cluster: the nodes sharing its database.",
        subcommands = ClusterCommand.Status.class)
public final class ClusterCommand {

    static final String NODES_PATH = "/api/v1/cluster/nodes";

    /**
     * {@code tether cluster status}: {@code GET /api/v1/cluster/nodes} as a table, one row per node, the node that
     * answered marked with {@code *}. A single-node server lists itself.
     */
    @Command(name = "status", description = {"List the server's nodes: name, advertised URL, agents connected,",
            "age of its lease, version and state (alive, draining, expired). * marks the node that answered."})
    static final class Status implements Callable<Integer> {
        @Mixin
        ApiOptions api;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            JsonObject body = nodes(api.client());
            PrintWriter out = spec.commandLine().getOut();
            if (api.json()) {
                out.println(body.encodePrettily());
            } else {
                ClusterTable.print(body, out);
            }
            out.flush();
            return 0;
        }
    }

    /**
     * The cluster's nodes.
     *
     * @throws ApiException saying to upgrade the server when it predates the endpoint (HTTP 404)
     */
    static JsonObject nodes(ApiClient client) {
        try {
            return client.get(NODES_PATH);
        } catch (ApiException e) {
            if (e.status() == 404) {
                throw new ApiException(404, "this server does not support cluster status: upgrade it (GET "
                        + NODES_PATH + " answered HTTP 404)");
            }
            throw e;
        }
    }

    /** Renders the nodes answer. */
    static final class ClusterTable {

        private static final String ANSWERED = "* ";
        private static final String OTHER = "  ";

        private ClusterTable() {
        }

        static void print(JsonObject body, PrintWriter out) {
            String self = body.getString("self");
            JsonArray nodes = body.getJsonArray("nodes", new JsonArray());
            Table table = new Table(OTHER + "NAME", "ADVERTISE URL", "AGENTS", "LEASE AGE", "VERSION", "STATE");
            int alive = 0;
            for (int i = 0; i < nodes.size(); i++) {
                JsonObject node = nodes.getJsonObject(i);
                String name = node.getString("name", "-");
                table.row((name.equals(self) ? ANSWERED : OTHER) + name, node.getString("advertise_url"),
                        node.getValue("agents"), leaseAge(node.getLong("lease_age_ms")), node.getString("version"),
                        node.getString("state"));
                alive += "alive".equals(node.getString("state")) ? 1 : 0;
            }
            table.lines().forEach(out::println);
            out.println();
            out.println(nodes.size() + (nodes.size() == 1 ? " node, " : " nodes, ") + alive + " alive; * answered");
        }

        /** How long since the node renewed its lease: {@code 350ms}, {@code 1.2s}, {@code 4m05s}, {@code 2h10m}. */
        static String leaseAge(Long millis) {
            if (millis == null) {
                return null;
            }
            if (millis < 1_000) {
                return millis + "ms";
            }
            if (millis < 60_000) {
                return String.format(Locale.ROOT, "%.1fs", millis / 1_000.0);
            }
            long seconds = millis / 1_000;
            if (seconds < 3_600) {
                return String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60);
            }
            return String.format(Locale.ROOT, "%dh%02dm", seconds / 3_600, seconds % 3_600 / 60);
        }
    }
}
