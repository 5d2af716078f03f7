package dev.tether.server.api;

import dev.tether.server.auth.AdminTokens;
import dev.tether.server.auth.BrowserAuth;
import dev.tether.server.auth.Secrets;
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

    private final AdminTokens tokens;
    private final BrowserAuth browser;

    AdminAuth(AdminTokens tokens, BrowserAuth browser) {
        this.tokens = tokens;
        this.browser = browser;
    }

    @Override
    public void handle(RoutingContext ctx) {
        String token = Secrets.bearer(ctx.request().getHeader(HttpHeaders.AUTHORIZATION));
        BrowserAuth.Decision cookie = token == null ? browser.request(ctx.request()) : null;
        if (cookie != null && cookie.refused()) {
            ApiResponses.error(ctx, cookie.status(), cookie.error(), cookie.message());
        } else if (cookie != null && cookie.allowed()) {
            ctx.put(SESSION, cookie.session());
            ctx.next();
        } else if (tokens.accepts(token)) {
            ctx.next();
        } else {
            ApiResponses.error(ctx, 401, "unauthorized", token == null
                    ? "missing admin token: send 'Authorization: Bearer <admin token>'"
                    : "invalid admin token: use the token printed on the server's first start, or TETHER_ADMIN_TOKEN");
        }
    }
}
