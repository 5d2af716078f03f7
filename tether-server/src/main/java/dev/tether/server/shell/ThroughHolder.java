package dev.tether.server.shell;

import dev.tether.server.cluster.NodeAuth;
import dev.tether.server.gateway.RawReplies;
import dev.tether.server.store.AgentRecord;
import dev.tether.server.store.DbExecutor;
import dev.tether.server.users.Principal;
import dev.tether.server.users.Role;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The part of {@link ShellEndpoint} for an agent held by another node: what only this node can check, then
 * the node link to the holder, whose refusals reach the client as they are (status and message), before the
 * client's upgrade. A request without the upgrade gets the holder's answer to the same, so the CLI learns why
 * a shell would be refused as it does for a local agent.
 *
 * <p>Thread safe; stateless. Called on the request's event loop.
 */
final class ThroughHolder {

    private static final Logger LOG = LoggerFactory.getLogger(ThroughHolder.class);

    private final RemoteShells remote;
    private final DbExecutor db;

    ThroughHolder(RemoteShells remote, DbExecutor db) {
        this.remote = remote;
        this.db = db;
    }

    /**
     * Serves the terminal through the node holding the agent (the caller was checked here): refused without a
     * cluster secret, or for a session that is not the caller's (unless an admin); then the holder's answer,
     * or the relay ({@link RemoteShell}) with {@code upgraded} told of the client's socket.
     */
    void serve(HttpServerRequest request, ShellEndpoint.Terminal terminal, AgentRecord agent, Principal principal,
            Consumer<ServerWebSocket> upgraded) {
        if (!remote.enabled()) {
            RawReplies.error(request, 409, "conflict", "agent " + agent.name() + " is connected through node "
                    + agent.holderNode() + "; configure --cluster-secret-file on every node to relay terminals, "
                    + "or connect to " + agent.holderNode());
            return;
        }
        Context context = Vertx.currentContext();
        if (terminal.attach() == null) {
            link(request, terminal, agent, principal, upgraded, context);
            return;
        }
        db.call(context, () -> remote.openSession(terminal.attach(), agent.id()))
                .onSuccess(session -> {
                    if (session.isEmpty() || !(principal.may(Role.ADMIN) || session.get().actor().equals(principal.name()))) {
                        RawReplies.error(request, 404, "not_found", "no session " + terminal.attach() + " on agent "
                                + agent.name() + " (it ended, or belongs to another agent): open a new one without session=");
                    } else {
                        link(request, terminal, agent, principal, upgraded, context);
                    }
                })
                .onFailure(failure -> RawReplies.error(request, 503, "unavailable",
                        "the server cannot look sessions up right now; retry later"));
    }

    private void link(HttpServerRequest request, ShellEndpoint.Terminal terminal, AgentRecord agent,
            Principal principal, Consumer<ServerWebSocket> upgraded, Context context) {
        NodeAuth.Caller signed = new NodeAuth.Caller(remote.self(), principal.name(), principal.may(Role.ADMIN),
                String.valueOf(request.remoteAddress()));
        String query = RemoteShell.firstQuery(terminal);
        Future<URI> holder = remote.holder(context, agent.id()).compose(url -> url.isPresent()
                ? Future.succeededFuture(url.get()) : Future.failedFuture(new IllegalStateException("no live holder")));
        if (!"websocket".equalsIgnoreCase(request.getHeader(HttpHeaders.UPGRADE))) {
            // Like a local agent's: the same request without the upgrade learns the holder's refusal, if any.
            holder.compose(url -> remote.probe(url, agent.id(), query, signed))
                    .onSuccess(probe -> {
                        JsonObject body = parseBody(probe.body());
                        RawReplies.error(request, probe.status(), body.getString("error", "conflict"),
                                body.getString("message", "node " + agent.holderNode() + " refused the shell"));
                    })
                    .onFailure(failure -> refuseFromHolder(request, agent, failure));
            return;
        }
        holder.compose(url -> remote.link(url, agent.id(), query, signed))
                .onSuccess(link -> {
                    link.pause();
                    request.toWebSocket()
                            .onSuccess(ws -> {
                                upgraded.accept(ws);
                                RemoteShell.start(remote, ws, link, agent.id(), terminal, signed);
                            })
                            .onFailure(failure -> link.close());
                })
                .onFailure(failure -> refuseFromHolder(request, agent, failure));
    }

    /** Passes the holder's refusal on as it is; a holder that cannot be reached is a 409 like an offline agent. */
    private static void refuseFromHolder(HttpServerRequest request, AgentRecord agent, Throwable failure) {
        if (failure instanceof UpgradeRejectedException rejected) {
            JsonObject body = holderBody(rejected);
            RawReplies.error(request, rejected.getStatus(), body.getString("error", "conflict"),
                    body.getString("message", "node " + agent.holderNode() + " refused the shell"));
            return;
        }
        LOG.info("shell on {}: cannot reach node {}: {}", agent.id(), agent.holderNode(), failure.toString());
        RawReplies.error(request, 409, "conflict", "agent " + agent.name() + " is connected through node "
                + agent.holderNode() + ", which cannot be reached now: retry in a few seconds");
    }

    private static JsonObject holderBody(UpgradeRejectedException rejected) {
        return parseBody(rejected.getBody() == null ? null : rejected.getBody().toString());
    }

    private static JsonObject parseBody(String body) {
        try {
            return body == null ? new JsonObject() : new JsonObject(body);
        } catch (RuntimeException e) {
            return new JsonObject();
        }
    }

}
