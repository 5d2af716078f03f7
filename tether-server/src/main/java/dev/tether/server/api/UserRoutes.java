package dev.tether.server.api;

import dev.tether.server.http.BodyLimits;
import dev.tether.server.users.PasswordHasher;
import dev.tether.server.users.Principal;
import dev.tether.server.users.UserStore;
import dev.tether.server.users.Users;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Duration;

/**
 * Operators and their tokens: {@code POST /api/v1/login {user, password, ttl_s, name}} (no token needed; answers
 * a personal API token, shown once), {@code POST /api/v1/users {name, role, scope, password}},
 * {@code GET /api/v1/users}, {@code POST /api/v1/users/{name}/disable} (admin), and the caller's own tokens:
 * {@code GET /api/v1/tokens}, {@code POST /api/v1/tokens {name, ttl_s}}, {@code POST /api/v1/tokens/{id}/revoke}.
 * Thread safe.
 */
final class UserRoutes {

    private final Users users;
    private final DbCalls db;
    private final PasswordSignIn passwords;

    UserRoutes(Users users, DbCalls db, PasswordSignIn passwords) {
        this.users = users;
        this.db = db;
        this.passwords = passwords;
    }

    /** The sign-in, before the authentication handler. */
    void mountLogin(Router router) {
        router.post("/api/v1/login").handler(BodyHandler.create(false).setBodyLimit(BodyLimits.SIGN_IN_BYTES))
                .handler(this::login);
    }

    void mount(Router router) {
        router.post("/api/v1/users").handler(this::create);
        router.get("/api/v1/users").handler(this::list);
        router.post("/api/v1/users/:name/disable").handler(this::disable);
        router.get("/api/v1/tokens").handler(this::tokens);
        router.post("/api/v1/tokens").handler(this::createToken);
        router.post("/api/v1/tokens/:id/revoke").handler(this::revokeToken);
    }

    private void login(RoutingContext ctx) {
        JsonObject body = AgentRequests.jsonBody(ctx);
        String name = body.getValue("user") instanceof String text ? text : null;
        String password = body.getValue("password") instanceof String text ? text : null;
        Duration ttl = ttl(body);
        String tokenName = body.getValue("name") instanceof String text ? text : "login";
        if (name == null || name.isBlank() || password == null || password.isEmpty()) {
            throw ApiException.badRequest("invalid_login", "send {\"user\": \"<name>\", \"password\": \"...\"}"
                    + " as JSON");
        }
        passwords.signIn(ctx, name, password, ttl, tokenName, issued -> issued, issued -> {
            if (issued.isEmpty()) {
                ApiResponses.error(ctx, 401, "unauthorized", "wrong user name or password, or the user is disabled");
            } else {
                ApiResponses.json(ctx, 201, render(issued.get().token()).put("token", issued.get().secret()));
            }
        });
    }

    /** The password is hashed on the {@link PasswordHasher}, then the user stored on a database thread. */
    private void create(RoutingContext ctx) {
        JsonObject body = AgentRequests.jsonBody(ctx);
        String password = text(body, "password");
        passwords.hasher().hash(Vertx.currentContext(), password).onComplete(hashed -> {
            if (hashed.failed()) {
                ApiResponses.failure(ctx, hashed.cause() instanceof IllegalArgumentException invalid
                        ? ApiException.badRequest("invalid_user", invalid.getMessage()) : hashed.cause());
                return;
            }
            db.respond(ctx, () -> {
                try {
                    return users.create(text(body, "name"), text(body, "role"), text(body, "scope"),
                            hashed.result(), Actors.of(ctx), Actors.source(ctx));
                } catch (IllegalArgumentException e) {
                    throw ApiException.badRequest("invalid_user", e.getMessage());
                }
            }, user -> ApiResponses.json(ctx, 201, render(user)));
        });
    }

    private void list(RoutingContext ctx) {
        db.respond(ctx, () -> users.store().list(), all -> {
            JsonArray list = new JsonArray();
            all.forEach(user -> list.add(render(user)));
            ApiResponses.json(ctx, 200, new JsonObject().put("users", list));
        });
    }

    private void disable(RoutingContext ctx) {
        String name = ctx.pathParam("name");
        db.respond(ctx, () -> {
            if (!users.disable(name, Actors.of(ctx), Actors.source(ctx))) {
                throw new ApiException(404, "not_found", "no enabled user '" + name + "'");
            }
            return users.store().byName(name).orElseThrow();
        }, user -> ApiResponses.json(ctx, 200, render(user)));
    }

    private void tokens(RoutingContext ctx) {
        Principal caller = AdminAuth.principal(ctx);
        db.respond(ctx, () -> users.tokens(caller.name()), all -> {
            JsonArray list = new JsonArray();
            all.forEach(token -> list.add(render(token)));
            ApiResponses.json(ctx, 200, new JsonObject().put("tokens", list));
        });
    }

    private void createToken(RoutingContext ctx) {
        Principal caller = AdminAuth.principal(ctx);
        JsonObject body = AgentRequests.jsonBody(ctx);
        Duration ttl = ttl(body);
        String name = body.getValue("name") instanceof String text ? text : "cli";
        db.respond(ctx, () -> {
            UserStore.User user = users.store().byName(caller.name()).orElseThrow(() -> new ApiException(409,
                    "no_user", "the admin token is not a user: create a user and sign in with tether login"));
            return users.createToken(user, name, ttl, Actors.source(ctx));
        }, issued -> ApiResponses.json(ctx, 201, render(issued.token()).put("token", issued.secret())));
    }

    private void revokeToken(RoutingContext ctx) {
        Principal caller = AdminAuth.principal(ctx);
        String id = ctx.pathParam("id");
        db.respond(ctx, () -> users.revokeToken(caller.name(), id, Actors.source(ctx)), revoked -> {
            if (revoked) {
                ApiResponses.json(ctx, 200, new JsonObject().put("id", id).put("revoked", true));
            } else {
                ApiResponses.error(ctx, 404, "not_found", "you have no live token '" + id + "'");
            }
        });
    }

    private static Duration ttl(JsonObject body) {
        return Duration.ofSeconds(AgentRequests.boundedLong(body, "ttl_s", Users.DEFAULT_TOKEN_TTL.toSeconds(), 60,
                Users.MAX_TOKEN_TTL.toSeconds()));
    }

    private static String text(JsonObject body, String field) {
        Object value = body.getValue(field);
        if (value != null && !(value instanceof String)) {
            throw ApiException.badRequest("invalid_" + field, field + " must be a string");
        }
        return (String) value;
    }

    private static JsonObject render(UserStore.User user) {
        return new JsonObject()
                .put("id", user.id())
                .put("name", user.name())
                .put("role", user.role().wire())
                .put("scope", user.scope() == null ? null : user.scope().text())
                .put("created_at", ApiResponses.time(user.createdAt()))
                .put("disabled_at", ApiResponses.time(user.disabledAt()));
    }

    private static JsonObject render(UserStore.Token token) {
        return new JsonObject()
                .put("id", token.id())
                .put("name", token.name())
                .put("created_at", ApiResponses.time(token.createdAt()))
                .put("expires_at", ApiResponses.time(token.expiresAt()))
                .put("revoked_at", ApiResponses.time(token.revokedAt()));
    }
}
