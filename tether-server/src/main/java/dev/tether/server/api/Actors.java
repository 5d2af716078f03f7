package dev.tether.server.api;

import io.vertx.ext.web.RoutingContext;

/**
 * Who makes a request and from where, for the audit log: the user's name, or
 * {@code admin} for the admin token. Stateless.
 */
final class Actors {

    static final String ADMIN = "admin";

    private Actors() {
    }

    static String of(RoutingContext ctx) {
        return AdminAuth.principal(ctx).name();
    }

    static String source(RoutingContext ctx) {
        return ctx.request().remoteAddress() == null ? null : ctx.request().remoteAddress().hostAddress();
    }
}
