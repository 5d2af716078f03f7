package dev.tether.server.api;

import io.vertx.ext.web.RoutingContext;

/**
 * Who makes a request and from where, for the audit log. Every authenticated
 * caller is the admin until users exist ({@code admin}). Stateless.
 */
final class Actors {

    static final String ADMIN = "admin";

    private Actors() {
    }

    static String of(RoutingContext ctx) {
        return ADMIN;
    }

    static String source(RoutingContext ctx) {
        return ctx.request().remoteAddress() == null ? null : ctx.request().remoteAddress().hostAddress();
    }
}
