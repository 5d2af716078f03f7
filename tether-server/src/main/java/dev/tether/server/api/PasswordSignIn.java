package dev.tether.server.api;

import dev.tether.server.auth.SignInThrottle;
import dev.tether.server.store.DbExecutor;
import dev.tether.server.users.PasswordHasher;
import dev.tether.server.users.Users;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The password path of both sign-ins ({@code POST /api/v1/login} for a token, a user's
 * {@code POST /api/v1/session} for a browser session), in order: the shared {@link SignInThrottle} (429 with
 * {@code Retry-After} before any other work), the user read on a database thread, the password checked on
 * the {@link PasswordHasher} (503 with {@code Retry-After} when its queue is full; never a database thread),
 * then the outcome recorded, and whatever the caller adds to it, on a database thread. A success refunds the
 * throttle's charge. Thread safe.
 */
final class PasswordSignIn {

    private final Users users;
    private final SignInThrottle throttle;
    private final PasswordHasher hasher;
    private final DbExecutor db;

    PasswordSignIn(Users users, SignInThrottle throttle, PasswordHasher hasher, DbExecutor db) {
        this.users = users;
        this.throttle = throttle;
        this.hasher = hasher;
        this.db = db;
    }

    SignInThrottle throttle() {
        return throttle;
    }

    PasswordHasher hasher() {
        return hasher;
    }

    /** Charges an attempt to the address and user, or throws 429 with {@code Retry-After} set. */
    static void admit(RoutingContext ctx, SignInThrottle throttle, String user) {
        String address = address(ctx);
        long retryAfter = throttle.tryAttempt(address, user, System.currentTimeMillis());
        if (retryAfter > 0) {
            long seconds = Math.max(1, (retryAfter + 999) / 1000);
            ctx.response().putHeader("Retry-After", Long.toString(seconds));
            throw new ApiException(429, "too_many_attempts", "too many failed sign-ins from this address or for "
                    + "this user: try again in " + seconds + " s");
        }
    }

    /**
     * Signs {@code user} in: {@code then} runs on a database thread with the new token (empty when the name or
     * password was wrong), and {@code reply} on the event loop with its result; failures become error replies.
     */
    <T> void signIn(RoutingContext ctx, String user, String password, Duration ttl, String tokenName,
            Function<Optional<Users.Issued>, T> then, Consumer<T> reply) {
        admit(ctx, throttle, user);
        String address = address(ctx);
        Context context = Vertx.currentContext();
        db.call(context, () -> users.candidate(user))
                .compose(candidate -> hasher.verify(context, password, candidate.passwordHash())
                        .compose(matched -> db.call(context, () -> {
                            Optional<Users.Issued> issued = users.finishLogin(user, candidate, matched, ttl,
                                    tokenName, address);
                            return new Outcome<>(issued.isPresent(), then.apply(issued));
                        })))
                .onSuccess(outcome -> {
                    if (outcome.succeeded()) {
                        throttle.succeeded(address, user);
                    }
                    reply.accept(outcome.result());
                })
                .onFailure(failure -> failed(ctx, failure));
    }

    private record Outcome<T>(boolean succeeded, T result) {
    }

    private static void failed(RoutingContext ctx, Throwable failure) {
        if (failure instanceof RejectedExecutionException) {
            long seconds = PasswordHasher.RETRY_AFTER.toSeconds();
            ctx.response().putHeader("Retry-After", Long.toString(seconds));
            ApiResponses.error(ctx, 503, "unavailable", "too many sign-ins at once: retry in " + seconds + " s");
        } else {
            ApiResponses.failure(ctx, failure);
        }
    }

    static String address(RoutingContext ctx) {
        return ctx.request().remoteAddress() == null ? "unknown" : ctx.request().remoteAddress().hostAddress();
    }
}
