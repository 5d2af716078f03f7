package dev.tether.server.auth;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.HostAndPort;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * How a browser authenticates: by its session cookie ({@link SessionCookie},
 * {@link BrowserSessions}), for the REST API and the terminal WebSocket. An
 * {@code Authorization: Bearer} request never reaches this: tokens are not
 * sent by browsers on their own, so they need no CSRF defence.
 *
 * <p>CSRF defence for cookie-authenticated requests, in depth:
 * <ol>
 *   <li>the cookie is {@code SameSite=Strict}, so a browser does not send it
 *       with a request another site's page starts;</li>
 *   <li>every request that may change state (any method but GET, HEAD and
 *       OPTIONS) must carry an {@code Origin} naming this server
 *       ({@link SameOrigin}) and the session's anti-CSRF token in
 *       {@value #CSRF_HEADER}; the UI reads that token from
 *       {@code GET /api/v1/session}, which another site's page can send but not read;</li>
 *   <li>a WebSocket upgrade (the terminal) needs the same Origin check: browsers
 *       do not apply the same-origin policy to WebSockets.</li>
 * </ol>
 * Refusals are 403 with a reason; a missing or stale cookie is 401.
 *
 * <p>Thread safe; never blocks.
 */
public final class BrowserAuth {

    /** The header carrying the session's anti-CSRF token. */
    public static final String CSRF_HEADER = "X-CSRF-Token";

    private final BrowserSessions sessions;
    private final boolean tls;

    public BrowserAuth(BrowserSessions sessions, boolean tls) {
        this.sessions = sessions;
        this.tls = tls;
    }

    public BrowserSessions sessions() {
        return sessions;
    }

    /** Whether this server serves TLS (the cookie's name and Secure flag depend on it). */
    public boolean tls() {
        return tls;
    }

    /**
     * The outcome of a cookie check.
     *
     * @param session the signed-in session when allowed, else null
     * @param credential the cookie's secret when allowed: for a user's session, the personal token to resolve
     *     the user by (it may have been revoked, or the user disabled, since sign-in)
     * @param status 0 when no cookie was sent (try other credentials), else the refusal's HTTP status, or 200
     */
    public record Decision(BrowserSession session, String credential, int status, String error, String message) {

        static final Decision NO_COOKIE = new Decision(null, null, 0, null, null);

        static Decision allowed(BrowserSession session, String credential) {
            return new Decision(session, credential, 200, null, null);
        }

        static Decision refused(int status, String error, String message) {
            return new Decision(null, null, status, error, message);
        }

        /** The personal token to resolve a user's session by; null for the admin token's. */
        public String userToken() {
            return session != null && session.ofUser() ? credential : null;
        }

        public boolean allowed() {
            return session != null;
        }

        /** A cookie was sent but does not let the request through. */
        public boolean refused() {
            return status >= 400;
        }
    }

    /** The check for a REST request: a live session, plus Origin and CSRF token when it may change state. */
    public Decision request(HttpServerRequest request) {
        String id = SessionCookie.read(request, tls);
        if (id == null) {
            return Decision.NO_COOKIE;
        }
        Optional<BrowserSession> session = sessions.find(id, System.currentTimeMillis());
        if (session.isEmpty()) {
            return expired();
        }
        if (safe(request.method())) {
            return Decision.allowed(session.get(), id);
        }
        if (!sameOrigin(request)) {
            return crossOrigin();
        }
        if (!tokensEqual(session.get().csrfToken(), request.getHeader(CSRF_HEADER))) {
            return Decision.refused(403, "csrf", "missing or wrong " + CSRF_HEADER + " header: reload the page "
                    + "(the UI reads the token from GET /api/v1/session)");
        }
        return Decision.allowed(session.get(), id);
    }

    /** The check for a WebSocket upgrade: a live session and an Origin naming this server. */
    public Decision upgrade(HttpServerRequest request) {
        String id = SessionCookie.read(request, tls);
        if (id == null) {
            return Decision.NO_COOKIE;
        }
        Optional<BrowserSession> session = sessions.find(id, System.currentTimeMillis());
        if (session.isEmpty()) {
            return expired();
        }
        return sameOrigin(request) ? Decision.allowed(session.get(), id) : crossOrigin();
    }

    /** Whether the request's Origin names this server. */
    public boolean sameOrigin(HttpServerRequest request) {
        return SameOrigin.matches(request.getHeader(HttpHeaders.ORIGIN), host(request), tls);
    }

    /** The host (and port) the request was sent to: HTTP/1.1's Host header, HTTP/2's :authority. */
    private static String host(HttpServerRequest request) {
        HostAndPort authority = request.authority();
        if (authority == null) {
            return request.getHeader(HttpHeaders.HOST);
        }
        String host = authority.host().indexOf(':') >= 0 && !authority.host().startsWith("[")
                ? "[" + authority.host() + "]" : authority.host();
        return authority.port() >= 0 ? host + ":" + authority.port() : host;
    }

    private static Decision expired() {
        return Decision.refused(401, "unauthorized", "your session has expired or was signed out: sign in again");
    }

    private static Decision crossOrigin() {
        return Decision.refused(403, "cross_origin", "a browser request with the session cookie must come from a "
                + "page of this server (its Origin header did not name this server)");
    }

    private static boolean safe(HttpMethod method) {
        return method == HttpMethod.GET || method == HttpMethod.HEAD || method == HttpMethod.OPTIONS;
    }

    private static boolean tokensEqual(String expected, String presented) {
        return presented != null && MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8),
                presented.getBytes(StandardCharsets.UTF_8));
    }
}
