package dev.tether.server.shell;

import dev.tether.protocol.CloseCodes;
import dev.tether.server.auth.AdminTokens;
import dev.tether.server.auth.BrowserAuth;
import dev.tether.server.auth.OpenStreams;
import dev.tether.server.auth.Secrets;
import dev.tether.server.cluster.NodeAuth;
import dev.tether.server.gateway.RawReplies;
import dev.tether.server.hub.Hub;
import dev.tether.server.hub.LiveConnection;
import dev.tether.server.store.AgentRecord;
import dev.tether.server.store.AgentStore;
import dev.tether.server.store.DbExecutor;
import dev.tether.server.users.Principal;
import dev.tether.server.users.Role;
import dev.tether.server.users.Users;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The terminal endpoint for browsers and the CLI,
 * {@code GET /api/v1/agents/{id}/shell?rows=R&cols=C[&session=ID][&command=ARG]...[&term=T]}
 * with a WebSocket upgrade. Everything that can be refused is refused before
 * the upgrade, as JSON {@code {error, message}} with its status: no or a wrong
 * token (401), bad rows, cols or command (400), an unknown agent or session, or
 * a session of another agent (404), an agent that is offline, revoked or does
 * not serve shells, or over the session cap (409). The request is paused while
 * the agent is looked up off the event loop. The upgrade itself is checked
 * last, so the same request without it gets the same refusal (or 400 when
 * nothing is wrong). See {@link ClientFrames} for what flows after the upgrade.
 *
 * <p>Shells need the operator role, on an agent inside the caller's scope: a
 * Bearer token (admin or personal), or (browsers, which cannot set headers on a
 * WebSocket) a web UI session cookie, accepted only when the {@code Origin}
 * names this server ({@link BrowserAuth#upgrade}). A cookie that fails that
 * check is refused with 403. Re-attaching ({@code session=}) is allowed to the
 * user who opened the session and to admins only; anyone else gets the same
 * 404 as for a session that does not exist. Every attach is audited
 * ({@link ShellBroker#attach}).
 *
 * <p>In a cluster, an agent held by another node is reached through it: the caller is checked here (role,
 * scope, session ownership), then the terminal is relayed over a signed node link to that node's
 * {@link NodeShellEndpoint}, which serves it like a local client ({@link RemoteShell}). Without a cluster
 * secret such an agent is refused (409) with what to configure.
 *
 * <p>Thread safe; handles requests on their event loops.
 */
public final class ShellEndpoint implements Handler<HttpServerRequest> {

    private static final Pattern PATH = Pattern.compile("^/api/v1/agents/([^/]+)/shell$");
    /** {@link #PATH} as a route template, for metrics and the access log. */
    public static final String TEMPLATE = "/api/v1/agents/:agent/shell";
    private static final int DEFAULT_ROWS = 24;
    private static final int DEFAULT_COLS = 80;
    private static final int MAX_COMMAND_ARGS = 256;
    private static final int MAX_TERM_LENGTH = 64;
    private static final Logger LOG = LoggerFactory.getLogger(ShellEndpoint.class);

    private final AdminTokens tokens;
    private final Users users;
    private final BrowserAuth browser;
    private final AgentStore agents;
    private final DbExecutor db;
    private final Hub hub;
    private final ShellBroker broker;
    private final RemoteShells remote;
    private final ThroughHolder throughHolder;

    public ShellEndpoint(AdminTokens tokens, BrowserAuth browser, Users users, AgentStore agents, DbExecutor db,
            Hub hub, ShellBroker broker, RemoteShells remote) {
        this.remote = remote;
        this.throughHolder = new ThroughHolder(remote, db);
        this.users = users;
        this.tokens = tokens;
        this.browser = browser;
        this.agents = agents;
        this.db = db;
        this.hub = hub;
        this.broker = broker;
    }

    /** Whether a request path is this endpoint's. */
    public static boolean matches(String path) {
        return path != null && PATH.matcher(path).matches();
    }

    @Override
    public void handle(HttpServerRequest request) {
        Matcher path = PATH.matcher(request.path());
        if (!path.matches()) {
            RawReplies.error(request, 404, "not_found", "shells open at /api/v1/agents/{id}/shell");
            return;
        }
        String token = Secrets.bearer(request.getHeader(HttpHeaders.AUTHORIZATION));
        BrowserAuth.Decision cookie = token == null ? browser.upgrade(request) : null;
        if (cookie != null && cookie.refused()) {
            RawReplies.error(request, cookie.status(), cookie.error(), cookie.message());
            return;
        }
        // A user's browser session rides on a personal token: resolve it like one.
        String personalToken = cookie != null && cookie.userToken() != null ? cookie.userToken() : token;
        boolean admin = (cookie != null && cookie.allowed() && cookie.userToken() == null) || tokens.accepts(token);
        boolean personal = !admin && personalToken != null && personalToken.startsWith(Users.TOKEN_PREFIX);
        if (!admin && !personal) {
            request.response().putHeader("WWW-Authenticate", "Bearer");
            RawReplies.error(request, 401, "unauthorized", token == null
                    ? "missing admin token: send 'Authorization: Bearer <admin token>'"
                    : "invalid admin token: use the token printed on the server's first start, or TETHER_ADMIN_TOKEN");
            return;
        }
        if (request.method() != HttpMethod.GET) {
            RawReplies.error(request, 405, "method_not_allowed", "open a shell with GET and a WebSocket upgrade");
            return;
        }
        Terminal terminal;
        try {
            terminal = Terminal.parse(request);
        } catch (IllegalArgumentException e) {
            RawReplies.error(request, 400, "bad_request", e.getMessage());
            return;
        }
        request.pause();
        Context context = Vertx.currentContext();
        String agent = path.group(1);
        db.call(context, () -> new Lookup(admin ? Optional.of(Principal.BOOTSTRAP_ADMIN)
                        : users.authenticate(personalToken),
                        agents.find(agent)))
                .onSuccess(found -> checkCaller(request, terminal, agent, found, admin ? null
                        : Secrets.hash(personalToken), null, 0))
                .onFailure(failure -> {
                    LOG.warn("shell: agent lookup failed", failure);
                    RawReplies.error(request, 503, "unavailable", "the server cannot look agents up right now; retry later");
                });
    }

    /** Who asks, and the agent asked for. */
    private record Lookup(Optional<Principal> principal, Optional<AgentRecord> agent) {
    }

    /**
     * A terminal another node relays here ({@link NodeShellEndpoint}): that node checked the caller, so only
     * the agent is checked; it must be connected to this node.
     *
     * @param offset where a re-attach resumes the output (the first byte the relaying node has not seen)
     */
    void relayed(HttpServerRequest request, Terminal terminal, String agent, NodeAuth.Caller from, long offset) {
        request.pause();
        Principal principal = new Principal(from.actor(), from.admin() ? Role.ADMIN : Role.OPERATOR, null);
        db.call(Vertx.currentContext(), () -> agents.find(agent))
                .onSuccess(found -> checkAgent(request, terminal, agent, found,
                        new Caller(principal, null, from, offset)))
                .onFailure(failure -> {
                    LOG.warn("relayed shell: agent lookup failed", failure);
                    RawReplies.error(request, 503, "unavailable", "the server cannot look agents up right now; retry later");
                });
    }

    /**
     * @param tokenHash the hash of the personal token the caller authenticated with; null for the admin token
     * @param relayed the node relaying the request, or null when the caller is here
     * @param offset where a relayed re-attach resumes the output
     */
    private void checkCaller(HttpServerRequest request, Terminal terminal, String name, Lookup found,
            String tokenHash, NodeAuth.Caller relayed, long offset) {
        if (found.principal().isEmpty()) {
            RawReplies.error(request, 401, "unauthorized", "this API token is unknown, expired or revoked, or its user is "
                    + "disabled: sign in again with tether login");
            return;
        }
        Principal principal = found.principal().get();
        if (!principal.may(Role.OPERATOR)) {
            RawReplies.error(request, 403, "forbidden", principal.name() + " is a " + principal.role().wire()
                    + "; opening a shell needs the operator role");
            return;
        }
        if (found.agent().isPresent() && !principal.reaches(found.agent().get().labels())) {
            RawReplies.error(request, 403, "forbidden", "agent " + found.agent().get().name() + " is outside "
                    + principal.name() + "'s scope (" + principal.scope().text() + ")");
            return;
        }
        checkAgent(request, terminal, name, found.agent(), new Caller(principal, tokenHash, relayed, offset));
    }

    /**
     * Who opens the shell, the hash of the personal token they opened it with (null for the admin token or a
     * relayed request), the node relaying it (or null), and where a relayed re-attach resumes the output.
     */
    private record Caller(Principal principal, String tokenHash, NodeAuth.Caller relayed, long offset) {

        String source(HttpServerRequest request) {
            return relayed == null ? String.valueOf(request.remoteAddress())
                    : relayed.source() + " via node " + relayed.node();
        }
    }

    private void checkAgent(HttpServerRequest request, Terminal terminal, String name, Optional<AgentRecord> found,
            Caller caller) {
        Principal principal = caller.principal();
        if (found.isEmpty()) {
            RawReplies.error(request, 404, "not_found", "no agent '" + name + "': list agents with GET /api/v1/agents");
            return;
        }
        AgentRecord agent = found.get();
        Optional<LiveConnection> link = hub.connection(agent.id());
        if (link.isEmpty() && caller.relayed() == null && !agent.revoked() && agent.holderNode() != null
                && !agent.holderNode().equals(remote.self())) {
            throughHolder.serve(request, terminal, agent, caller.principal(), ws -> hold(request, ws, caller));
            return;
        }
        Refusal refusal = refusal(agent, terminal, link.isPresent(), principal);
        if (refusal != null) {
            RawReplies.error(request, refusal.status(), refusal.error(), refusal.message());
            return;
        }
        if (!"websocket".equalsIgnoreCase(request.getHeader(HttpHeaders.UPGRADE))) {
            // Checked last, so a plain GET learns why an upgrade would be refused (the JDK client keeps no body).
            RawReplies.error(request, 400, "upgrade_required", "everything checks out: open the shell with a WebSocket upgrade");
            return;
        }
        ShellRequest shell = new ShellRequest(agent.id(), agent.name(), terminal.rows(), terminal.cols(),
                terminal.command(), terminal.term(), terminal.attach(), principal.name(), caller.source(request));
        request.toWebSocket()
                .onSuccess(ws -> {
                    hold(request, ws, caller);
                    if (shell.attach() != null) {
                        broker.attach(shell, ws, principal.may(Role.ADMIN), caller.offset());
                    } else {
                        broker.open(shell, ws, link.get());
                    }
                })
                .onFailure(failure -> LOG.debug("shell on {}: upgrade failed", agent.id(), failure));
    }

    /** The socket closes (1008) when its user is disabled or its token revoked; the session goes on detached. */
    private void hold(HttpServerRequest request, ServerWebSocket ws, Caller caller) {
        if (caller.tokenHash() == null) {
            return;
        }
        OpenStreams.Hold hold = users.openStreams().hold(caller.principal().name(), caller.tokenHash(),
                () -> ws.close((short) CloseCodes.POLICY_VIOLATION, "signed out: the user was disabled or the "
                        + "token revoked"));
        // The relay owns the socket's close handler; the connection's fires when the socket is gone either way.
        request.connection().closeHandler(v -> hold.release());
    }

    private record Refusal(int status, String error, String message) {

        static Refusal conflict(String message) {
            return new Refusal(409, "conflict", message);
        }
    }

    /** Why the request cannot go ahead, or null. */
    private Refusal refusal(AgentRecord agent, Terminal terminal, boolean online, Principal principal) {
        if (terminal.attach() != null) {
            Optional<ShellRelay> relay = broker.relay(terminal.attach());
            // Another user's session is refused exactly like one that does not exist: the id confirms nothing.
            if (relay.isEmpty() || !relay.get().agentId().equals(agent.id())
                    || !relay.get().mayAttach(principal.name(), principal.may(Role.ADMIN))) {
                return new Refusal(404, "not_found", "no session " + terminal.attach() + " on agent " + agent.name()
                        + " (it ended, or belongs to another agent): open a new one without session=");
            }
            return null;
        }
        if (agent.revoked()) {
            return Refusal.conflict("agent " + agent.name() + " is revoked");
        }
        if (!online) {
            return Refusal.conflict("agent " + agent.name() + " is offline: a shell needs it connected");
        }
        if (!agent.capabilities().contains("shell")) {
            return Refusal.conflict("agent " + agent.name() + " does not serve shells: start it with --enable-shell");
        }
        if (broker.sessionCount(agent.id()) >= ShellBroker.MAX_SESSIONS_PER_AGENT) {
            return Refusal.conflict("agent " + agent.name() + " already has " + ShellBroker.MAX_SESSIONS_PER_AGENT
                    + " shell sessions: close one first");
        }
        return null;
    }

    /** The terminal the client asks for, from the query string. */
    record Terminal(int rows, int cols, List<String> command, String term, ShellId attach) {

        static Terminal parse(HttpServerRequest request) {
            int rows = dimension(request, "rows", DEFAULT_ROWS);
            int cols = dimension(request, "cols", DEFAULT_COLS);
            List<String> command = request.params().getAll("command");
            if (command.size() > MAX_COMMAND_ARGS) {
                throw new IllegalArgumentException("command takes at most " + MAX_COMMAND_ARGS + " arguments");
            }
            for (String arg : command) {
                if (arg.isEmpty() || arg.indexOf('\0') >= 0) {
                    throw new IllegalArgumentException("command arguments must be non-empty and without NUL; "
                            + "repeat command= once per argument");
                }
            }
            String term = request.getParam("term", ShellRequest.DEFAULT_TERM);
            if (term.isEmpty() || term.length() > MAX_TERM_LENGTH || !term.matches("[A-Za-z0-9._+-]+")) {
                throw new IllegalArgumentException("term must be a terminal name such as xterm-256color");
            }
            String session = request.getParam("session");
            ShellId attach = null;
            if (session != null) {
                attach = ShellId.parse(session);
                if (attach == null) {
                    throw new IllegalArgumentException("session must be the 32 hex characters of a session id");
                }
            }
            return new Terminal(rows, cols, command, term, attach);
        }

        private static int dimension(HttpServerRequest request, String name, int fallback) {
            String value = request.getParam(name);
            if (value == null) {
                return fallback;
            }
            try {
                return ClientFrames.checkDimension(name, Integer.parseInt(value));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(name + " must be a whole number from 1 to 1000, was '" + value + "'");
            }
        }
    }

}
