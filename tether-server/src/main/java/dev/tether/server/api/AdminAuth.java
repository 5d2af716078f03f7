package dev.tether.server.api;

import dev.tether.server.auth.AdminTokens;
import dev.tether.server.auth.BrowserAuth;
import dev.tether.server.auth.OpenStreams;
import dev.tether.server.auth.Secrets;
import dev.tether.server.http.AccessLog;
import dev.tether.server.store.DbExecutor;
import dev.tether.server.users.Principal;
import dev.tether.server.users.Role;
import dev.tether.server.users.Users;
import io.vertx.core.Vertx;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

/**
 * Lets a request through only with {@code Authorization: Bearer <admin token>}, or (the web UI) with a browser
 * session cookie that {@link BrowserAuth} accepts, CSRF checks included; else 401 (or 403) JSON. A cookie
 * session is put in the context under {@link #SESSION}. Thread safe.
 */
final class AdminAuth implements Handler<RoutingContext> {

    /** Context key of the {@link dev.tether.server.auth.BrowserSession} of a cookie-authenticated request. */
    static final String SESSION = "tether.browserSession";
    /** Context key of the request's {@link Principal}. */
    static final String PRINCIPAL = "tether.principal";
    /** Context key of the {@link OpenStreams.Holder} of a request authenticated by a personal token. */
    static final String HOLDER = "tether.openStreams";

    private final AdminTokens tokens;
    private final BrowserAuth browser;
    private final Users users;
    private final DbExecutor db;

    AdminAuth(AdminTokens tokens, BrowserAuth browser, Users users, DbExecutor db) {
        this.tokens = tokens;
        this.browser = browser;
        this.users = users;
        this.db = db;
    }

    /** Who made the request (set by this handler on every request it lets through). */
    static Principal principal(RoutingContext ctx) {
        Principal principal = ctx.get(PRINCIPAL);
        return principal != null ? principal : Principal.BOOTSTRAP_ADMIN;
    }

    @Override
    public void handle(RoutingContext ctx) {
        String token = Secrets.bearer(ctx.request().getHeader(HttpHeaders.AUTHORIZATION));
        BrowserAuth.Decision cookie = token == null ? browser.request(ctx.request()) : null;
        if (cookie != null && cookie.refused()) {
            ApiResponses.error(ctx, cookie.status(), cookie.error(), cookie.message());
        } else if (cookie != null && cookie.allowed()) {
            ctx.put(SESSION, cookie.session());
            if (cookie.userToken() != null) {
                // A user's browser session: who it is, and whether still allowed, is the personal token's.
                personal(ctx, cookie.userToken());
            } else {
                admit(ctx, Principal.BOOTSTRAP_ADMIN);
            }
        } else if (tokens.accepts(token)) {
            admit(ctx, Principal.BOOTSTRAP_ADMIN);
        } else if (token != null && token.startsWith(Users.TOKEN_PREFIX)) {
            personal(ctx, token);
        } else {
            ApiResponses.error(ctx, 401, "unauthorized", token == null
                    ? "missing admin token: send 'Authorization: Bearer <admin token>'"
                    : "invalid admin token: use the token printed on the server's first start, or TETHER_ADMIN_TOKEN");
        }
    }

    /**
     * Registers a stream the request opens, closed when the user is disabled or the token revoked;
     * {@link OpenStreams.Hold#NONE} for the admin token's requests.
     *
     * @param close ends the stream; any thread, never blocks
     */
    static OpenStreams.Hold hold(RoutingContext ctx, Runnable close) {
        OpenStreams.Holder holder = ctx.get(HOLDER);
        return holder == null ? OpenStreams.Hold.NONE : holder.hold(close);
    }

    /** Resolves a personal token to its user off the event loop, then admits the request or refuses it. */
    private void personal(RoutingContext ctx, String token) {
        ctx.request().pause();
        db.call(Vertx.currentContext(), () -> users.authenticate(token)).onComplete(found -> {
            if (found.succeeded() && found.result().isPresent()) {
                ctx.put(HOLDER, new OpenStreams.Holder(users.openStreams(), found.result().get().name(),
                        Secrets.hash(token)));
                admit(ctx, found.result().get());
            } else {
                ctx.request().resume();
                ApiResponses.error(ctx, 401, "unauthorized", "this API token is unknown, expired or revoked, "
                        + "or its user is disabled: sign in again");
            }
        });
    }

    /** Lets an authenticated request through if its role allows the endpoint; 403 otherwise. */
    private static void admit(RoutingContext ctx, Principal principal) {
        AccessLog.principal(ctx.request(), principal.name());
        Role needed = Permissions.required(ctx.request().method(), ctx.request().path());
        if (!principal.may(needed)) {
            ctx.request().resume();
            ApiResponses.error(ctx, 403, "forbidden", principal.name() + " is a " + principal.role().wire()
                    + "; this needs the " + needed.wire() + " role");
            return;
        }
        ctx.put(PRINCIPAL, principal);
        ctx.next();
    }
}
