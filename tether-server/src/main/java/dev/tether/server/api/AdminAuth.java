package dev.tether.server.api;

import dev.tether.server.auth.AdminTokens;
import dev.tether.server.auth.Secrets;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

/** Lets a request through only with {@code Authorization: Bearer <admin token>}; else 401 JSON. Thread safe. */
final class AdminAuth implements Handler<RoutingContext> {

    private final AdminTokens tokens;

    AdminAuth(AdminTokens tokens) {
        this.tokens = tokens;
    }

    @Override
    public void handle(RoutingContext ctx) {
        String token = Secrets.bearer(ctx.request().getHeader(HttpHeaders.AUTHORIZATION));
        if (tokens.accepts(token)) {
            ctx.next();
        } else {
            ApiResponses.error(ctx, 401, "unauthorized", token == null
                    ? "missing admin token: send 'Authorization: Bearer <admin token>'"
                    : "invalid admin token: use the token printed on the server's first start, or TETHER_ADMIN_TOKEN");
        }
    }
}
