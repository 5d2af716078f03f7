package dev.tether.server.shell;

import dev.tether.server.cluster.NodeAuth;
import dev.tether.server.gateway.RawReplies;
import io.vertx.core.http.HttpServerRequest;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The node-to-node terminal endpoint,
 * {@code GET /v1/cluster/shell/{agentId}?rows=R&cols=C[&session=ID&offset=N][&command=ARG]...[&term=T]}
 * with a WebSocket upgrade: another node relays a terminal of an agent held here ({@link RemoteShell}).
 * The request must be signed with the cluster secret ({@link NodeAuth}); without a secret configured here, or
 * with a signature that is missing, wrong or outside the allowed clock skew, it is refused with 401 before
 * anything else. The signed caller (user, admin flag, address) was authorized by the relaying node; past the
 * signature, the request is served exactly like a local client's ({@link ShellEndpoint#relayed}), so the
 * session is audited and recorded here, where the agent is. {@code offset} is where a re-attach resumes
 * the output (the first byte the relaying node has not seen).
 *
 * <p>Thread safe; stateless.
 */
public final class NodeShellEndpoint {

    public static final String PATH_PREFIX = "/v1/cluster/shell/";
    private static final Pattern PATH = Pattern.compile("^/v1/cluster/shell/([^/]+)$");
    /** {@link #PATH} as a route template, for metrics and the access log. */
    public static final String TEMPLATE = "/v1/cluster/shell/:session";

    private final NodeAuth auth;
    private final ShellEndpoint shells;

    /** @param secret the cluster secret; null: every request is refused */
    public NodeShellEndpoint(String secret, ShellEndpoint shells) {
        this.auth = secret == null ? null : NodeAuth.of(secret);
        this.shells = shells;
    }

    /** Whether a request path is this endpoint's. */
    public static boolean matches(String path) {
        return path != null && path.startsWith(PATH_PREFIX);
    }

    public void handle(HttpServerRequest request) {
        if (auth == null) {
            RawReplies.error(request, 401, "unauthorized", "this node has no cluster secret: relaying terminals "
                    + "needs --cluster-secret-file on every node");
            return;
        }
        NodeAuth.Verdict verdict = auth.verify(request::getHeader, request.uri(), System.currentTimeMillis());
        if (!verdict.accepted()) {
            RawReplies.error(request, 401, "unauthorized", verdict.refusal());
            return;
        }
        Matcher path = PATH.matcher(request.path());
        if (!path.matches()) {
            RawReplies.error(request, 404, "not_found", "relayed shells open at " + PATH_PREFIX + "{agent id}");
            return;
        }
        ShellEndpoint.Terminal terminal;
        long offset;
        try {
            terminal = ShellEndpoint.Terminal.parse(request);
            offset = offset(request.getParam("offset"));
        } catch (IllegalArgumentException e) {
            RawReplies.error(request, 400, "bad_request", e.getMessage());
            return;
        }
        String agent = URLDecoder.decode(path.group(1), StandardCharsets.UTF_8);
        shells.relayed(request, terminal, agent, verdict.caller(), offset);
    }

    private static long offset(String value) {
        if (value == null) {
            return 0;
        }
        try {
            long offset = Long.parseLong(value);
            if (offset >= 0) {
                return offset;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new IllegalArgumentException("offset must be a whole number of output bytes, 0 or more, was '"
                + value + "'");
    }
}
