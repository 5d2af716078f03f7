package dev.tether.server.api;

import dev.tether.server.audit.AuditEntry;
import dev.tether.server.audit.AuditLog;
import dev.tether.server.auth.AdminTokens;
import dev.tether.server.auth.BrowserAuth;
import dev.tether.server.auth.BrowserSession;
import dev.tether.server.auth.BrowserSessions;
import dev.tether.server.auth.Secrets;
import dev.tether.server.auth.SessionCookie;
import dev.tether.server.auth.SignInThrottle;
import dev.tether.server.users.Principal;
import dev.tether.server.users.Users;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * Browser sign-in for the web UI (see {@link BrowserAuth} for the cookie and CSRF design):
 * <ul>
 *   <li>{@code POST /api/v1/session {token}} (the admin token) or {@code {user, password}} (a user, whose
 *       session rides on a personal API token issued for {@link BrowserSessions#LIFETIME}), no other
 *       credentials: answers {@code 201 {actor, role, scope, auth, csrf_token, created_at, expires_at}} with
 *       the session cookie set; 401 for wrong credentials, 429 (with {@code Retry-After}) after
 *       {@link SignInThrottle#MAX_FAILURES_PER_ADDRESS} failures from one address (or
 *       {@link SignInThrottle#MAX_FAILURES_PER_USER} for one user, shared with {@code POST /api/v1/login}),
 *       403 when a browser's Origin names
 *       another site;</li>
 *   <li>{@code GET /api/v1/session}: who is signed in and how ({@code auth}: {@code cookie} or {@code token}),
 *       with the anti-CSRF token for a cookie;</li>
 *   <li>{@code DELETE /api/v1/session}: signs out (ends the session and a user's token, clears the cookie),
 *       204.</li>
 * </ul>
 * Sign-ins, failed ones and sign-outs go to the audit log. Thread safe.
 */
final class SignInRoutes {

    /** A sign-in body is a token in a small JSON object. */
    private static final int MAX_SIGN_IN_BYTES = 4096;
    private static final String ACTOR = "admin";

    private final AdminTokens tokens;
    private final Users users;
    private final BrowserAuth browser;
    private final AuditLog audit;
    private final DbCalls db;
    private final PasswordSignIn passwords;

    SignInRoutes(AdminTokens tokens, Users users, BrowserAuth browser, AuditLog audit, DbCalls db,
            PasswordSignIn passwords) {
        this.tokens = tokens;
        this.users = users;
        this.browser = browser;
        this.audit = audit;
        this.db = db;
        this.passwords = passwords;
    }

    /** The sign-in route; mount before the admin-auth handler, which it does not need. */
    void mountSignIn(Router router) {
        router.post("/api/v1/session")
                .handler(BodyHandler.create(false).setBodyLimit(MAX_SIGN_IN_BYTES))
                .handler(this::signIn);
    }

    /** The routes that need a signed-in caller; mount after the admin-auth handler. */
    void mount(Router router) {
        router.get("/api/v1/session").handler(this::show);
        router.delete("/api/v1/session").handler(this::signOut);
    }

    private void signIn(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        if (request.getHeader(HttpHeaders.ORIGIN) != null && !browser.sameOrigin(request)) {
            throw new ApiException(403, "cross_origin", "sign in from a page of this server");
        }
        String address = address(request);
        long now = System.currentTimeMillis();
        JsonObject body = body(ctx);
        String userAgent = request.getHeader(HttpHeaders.USER_AGENT);
        if (body.getValue("user") != null) {
            signInUser(ctx, body, address, userAgent, now);
            return;
        }
        String token = token(body);
        PasswordSignIn.admit(ctx, passwords.throttle(), null);
        if (!tokens.accepts(token)) {
            db.respond(ctx, () -> audit.record(new AuditEntry.New(now, "anonymous", "auth.sign_in_failed", null,
                    address, new JsonObject().put("user_agent", userAgent))), id -> ApiResponses.error(ctx, 401,
                    "unauthorized", "that is not an admin token: use the token printed on the server's first "
                            + "start, or TETHER_ADMIN_TOKEN"));
            return;
        }
        passwords.throttle().succeeded(address, null);
        db.respond(ctx, () -> {
            BrowserSessions.Created created = browser.sessions().create(ACTOR, Secrets.hash(token), address,
                    userAgent, now);
            audit.record(new AuditEntry.New(now, ACTOR, "auth.sign_in", null, address, new JsonObject()
                    .put("user_agent", created.session().userAgent())
                    .put("expires_at", ApiResponses.time(created.session().expiresAt()))));
            return created;
        }, created -> {
            ctx.response().addCookie(SessionCookie.signIn(request, browser.tls(), created.id(),
                    BrowserSessions.LIFETIME));
            ApiResponses.json(ctx, 201, render(created.session(), Principal.BOOTSTRAP_ADMIN));
        });
    }

    /** A user's sign-in: the password is checked (and the attempt audited) by {@link Users#login}. */
    private void signInUser(RoutingContext ctx, JsonObject body, String address, String userAgent, long now) {
        if (!(body.getValue("user") instanceof String user) || !(body.getValue("password") instanceof String password)
                || user.isBlank() || password.isEmpty()) {
            throw ApiException.badRequest("invalid_sign_in", "send {\"user\": \"<name>\", \"password\": \"...\"}"
                    + " or {\"token\": \"<admin token>\"} as JSON");
        }
        passwords.signIn(ctx, user, password, BrowserSessions.LIFETIME, "web session", issued -> issued
                .map(token -> browser.sessions().createForUser(user, token.secret(), token.token().id(),
                        address, userAgent, now)), created -> {
                    if (created.isEmpty()) {
                        ApiResponses.error(ctx, 401, "unauthorized", "wrong user name or password, or the user "
                                + "is disabled");
                        return;
                    }
                    ctx.response().addCookie(SessionCookie.signIn(ctx.request(), browser.tls(),
                            created.get().id(), BrowserSessions.LIFETIME));
                    ApiResponses.json(ctx, 201, render(created.get().session(), null));
                });
    }

    private void show(RoutingContext ctx) {
        BrowserSession session = ctx.get(AdminAuth.SESSION);
        Principal principal = AdminAuth.principal(ctx);
        ApiResponses.json(ctx, 200, session != null ? render(session, principal)
                : role(new JsonObject().put("actor", principal.name()).put("auth", "token"), principal));
    }

    private void signOut(RoutingContext ctx) {
        BrowserSession session = ctx.get(AdminAuth.SESSION);
        ctx.response().addCookie(SessionCookie.signOut(ctx.request(), browser.tls()));
        if (session == null) {
            ctx.response().setStatusCode(204).end();
            return;
        }
        String address = address(ctx.request());
        db.respond(ctx, () -> {
            browser.sessions().end(session.idHash());
            if (session.ofUser()) {
                users.revokeToken(session.actor(), session.userTokenId());
            }
            return audit.record(new AuditEntry.New(System.currentTimeMillis(), session.actor(), "auth.sign_out",
                    null, address, new JsonObject()));
        }, id -> ctx.response().setStatusCode(204).end());
    }

    /** A session; {@code principal} null when not known here (a user just signed in: their role is read later). */
    private JsonObject render(BrowserSession session, Principal principal) {
        JsonObject json = new JsonObject()
                .put("actor", session.actor())
                .put("auth", "cookie")
                .put("csrf_token", session.csrfToken())
                .put("created_at", ApiResponses.time(session.createdAt()))
                .put("expires_at", ApiResponses.time(session.expiresAt()));
        return principal == null ? json : role(json, principal);
    }

    private static JsonObject role(JsonObject json, Principal principal) {
        return json.put("role", principal.role().wire())
                .put("scope", principal.scope() == null ? null : principal.scope().text());
    }

    /** The JSON object of the body; errors never echo the body, which holds a secret. */
    private static JsonObject body(RoutingContext ctx) {
        String text = ctx.body().asString();
        Object value;
        try {
            value = text == null ? null : Json.decodeValue(text);
        } catch (RuntimeException e) {
            value = null;
        }
        if (!(value instanceof JsonObject body)) {
            throw ApiException.badRequest("invalid_sign_in", "send {\"token\": \"<admin token>\"} or "
                    + "{\"user\": \"<name>\", \"password\": \"...\"} as JSON");
        }
        return body;
    }

    private static String token(JsonObject body) {
        if (!(body.getValue("token") instanceof String token) || token.isBlank()) {
            throw ApiException.badRequest("invalid_sign_in", "send {\"token\": \"<admin token>\"} or "
                    + "{\"user\": \"<name>\", \"password\": \"...\"} as JSON");
        }
        return token.strip();
    }

    private static String address(HttpServerRequest request) {
        return request.remoteAddress() == null ? "unknown" : request.remoteAddress().hostAddress();
    }
}
