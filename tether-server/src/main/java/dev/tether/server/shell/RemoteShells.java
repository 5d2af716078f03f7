package dev.tether.server.shell;

import dev.tether.server.cluster.NodeAuth;
import dev.tether.server.cluster.NodeRow;
import dev.tether.server.store.AgentStore;
import dev.tether.server.store.DbExecutor;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * This node's side of terminals relayed to other nodes: finds which live node holds an agent's connection,
 * and opens signed node links ({@link NodeAuth}) to {@link NodeShellEndpoint#PATH_PREFIX} there.
 *
 * <p>Thread safe: its state is immutable; lookups run on the {@link DbExecutor}.
 */
public final class RemoteShells {

    /** Largest message on a node link: a shell chunk with room to spare. */
    private static final int MAX_MESSAGE_BYTES = 1024 * 1024;

    private final Vertx vertx;
    private final NodeAuth auth;
    private final Supplier<String> self;
    private final Supplier<List<NodeRow>> nodes;
    private final AgentStore agents;
    private final ShellSessionStore sessions;
    private final DbExecutor db;
    private final WebSocketClient client;

    /**
     * @param secret the cluster secret; null: terminals are not relayed, and an agent held by another node is
     *     refused with what to configure
     */
    public RemoteShells(Vertx vertx, String secret, Supplier<String> self, Supplier<List<NodeRow>> nodes,
            AgentStore agents, ShellSessionStore sessions, DbExecutor db) {
        this.vertx = vertx;
        this.auth = secret == null ? null : NodeAuth.of(secret);
        this.self = self;
        this.nodes = nodes;
        this.agents = agents;
        this.sessions = sessions;
        this.db = db;
        this.client = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxFrameSize(MAX_MESSAGE_BYTES)
                .setMaxMessageSize(MAX_MESSAGE_BYTES).setConnectTimeout(2000).setClosingTimeout(2));
    }

    /** Whether terminals may be relayed (a cluster secret is configured). */
    boolean enabled() {
        return auth != null;
    }

    String self() {
        return self.get();
    }

    Vertx vertx() {
        return vertx;
    }

    /** The open session row, if {@code id} is one of the agent's sessions that has not ended. Blocking. */
    Optional<ShellSessionRecord> openSession(ShellId id, String agentId) {
        ShellSessionRecord row = sessions.get(id.hex());
        return row != null && row.agentId().equals(agentId) && row.endedAt() == null ? Optional.of(row)
                : Optional.empty();
    }

    /** Where the live node holding the agent is reached, unless it is none or this node. */
    Future<Optional<URI>> holder(Context context, String agentId) {
        return db.call(context, () -> agents.find(agentId).map(agent -> agent.holderNode()).flatMap(this::url));
    }

    private Optional<URI> url(String node) {
        return nodes.get().stream().filter(row -> row.name().equals(node) && "alive".equals(row.state()))
                .map(row -> URI.create(row.advertiseUrl())).findFirst();
    }

    /** Opens a signed link to {@code node}'s relay endpoint for the agent, with {@code query}. */
    Future<WebSocket> link(URI node, String agentId, String query, NodeAuth.Caller caller) {
        String path = NodeShellEndpoint.PATH_PREFIX + URLEncoder.encode(agentId, StandardCharsets.UTF_8) + "?" + query;
        URI target = node.resolve(path);
        // Vert.x wants ws: or wss: here; an advertise URL is http: or https:.
        String scheme = "https".equalsIgnoreCase(target.getScheme()) ? "wss" : "ws";
        WebSocketConnectOptions options = new WebSocketConnectOptions()
                .setAbsoluteURI(scheme + target.toString().substring(target.getScheme().length()));
        for (Map.Entry<String, String> header : auth.sign(caller, path, System.currentTimeMillis()).entrySet()) {
            options.addHeader(header.getKey(), header.getValue());
        }
        return client.connect(options);
    }
}
