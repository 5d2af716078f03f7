package dev.tether.server.shell;

import dev.tether.server.cluster.NodeAuth;
import dev.tether.server.cluster.NodeRow;
import dev.tether.server.store.AgentStore;
import dev.tether.server.store.DbExecutor;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
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
    /** How long a node link may take to connect; a dead holder's address may not answer at all. */
    private static final int CONNECT_TIMEOUT_MS = 2000;

    private final Vertx vertx;
    private final NodeAuth auth;
    private final Supplier<String> self;
    private final Supplier<List<NodeRow>> nodes;
    private final AgentStore agents;
    private final ShellSessionStore sessions;
    private final DbExecutor db;
    private final WebSocketClient client;
    private final HttpClient http;

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
                .setMaxMessageSize(MAX_MESSAGE_BYTES).setConnectTimeout(CONNECT_TIMEOUT_MS).setClosingTimeout(2));
        this.http = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout(CONNECT_TIMEOUT_MS));
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
        String path = path(agentId, query);
        URI target = node.resolve(path);
        // Vert.x wants ws: or wss: here; an advertise URL is http: or https:.
        String scheme = "https".equalsIgnoreCase(target.getScheme()) ? "wss" : "ws";
        WebSocketConnectOptions options = new WebSocketConnectOptions()
                .setAbsoluteURI(scheme + target.toString().substring(target.getScheme().length()));
        signed(caller, path).forEach(options::addHeader);
        return client.connect(options);
    }

    /** What the holder answers the same request without the upgrade: its refusal, or 400 upgrade_required. */
    Future<Probe> probe(URI node, String agentId, String query, NodeAuth.Caller caller) {
        String path = path(agentId, query);
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET)
                .setAbsoluteURI(node.resolve(path).toString());
        signed(caller, path).forEach(options::addHeader);
        return http.request(options).compose(request -> request.send()
                .compose(response -> response.body().map(body -> new Probe(response.statusCode(), body.toString()))));
    }

    /** The holder's answer to a request without the upgrade. */
    record Probe(int status, String body) {
    }

    private static String path(String agentId, String query) {
        return NodeShellEndpoint.PATH_PREFIX + URLEncoder.encode(agentId, StandardCharsets.UTF_8) + "?" + query;
    }

    private Map<String, String> signed(NodeAuth.Caller caller, String path) {
        return auth.sign(caller, path, System.currentTimeMillis());
    }
}
