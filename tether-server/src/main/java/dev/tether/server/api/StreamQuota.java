package dev.tether.server.api;

import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A cap per principal on long-lived streams of one kind (event streams, output followers), below the
 * server-wide cap, so that one user (or one leaked token) cannot take every slot: past it the caller gets
 * 429 with {@code Retry-After} and everyone else still opens theirs. Principals are counted by name; the
 * admin token is one principal.
 *
 * <p>Thread safe: counts live in a concurrent map, one atomic update per open and close.
 */
final class StreamQuota {

    /** What a refused caller is told to wait; a stream of theirs may end by then. */
    static final Duration RETRY_AFTER = Duration.ofSeconds(5);

    private final String what;
    private final int perPrincipal;
    private final Map<String, Integer> open = new ConcurrentHashMap<>();

    /** @param what the streams counted, for the refusal ("event streams") */
    StreamQuota(String what, int perPrincipal) {
        this.what = what;
        this.perPrincipal = perPrincipal;
    }

    /**
     * Takes a slot for the request's principal.
     *
     * @return what gives the slot back (idempotent)
     * @throws ApiException 429, with {@code Retry-After} set, when the principal holds every slot of theirs
     */
    Runnable acquire(RoutingContext ctx) {
        String principal = AdminAuth.principal(ctx).name();
        boolean[] taken = {false};
        open.compute(principal, (name, count) -> {
            int now = count == null ? 0 : count;
            taken[0] = now < perPrincipal;
            return taken[0] ? now + 1 : count;
        });
        if (!taken[0]) {
            ctx.response().putHeader("Retry-After", Long.toString(RETRY_AFTER.toSeconds()));
            throw new ApiException(429, "too_many_streams", principal + " has " + perPrincipal + " " + what
                    + " open, the most one principal may: close one, or retry in " + RETRY_AFTER.toSeconds() + " s");
        }
        AtomicBoolean released = new AtomicBoolean();
        return () -> {
            if (released.compareAndSet(false, true)) {
                open.computeIfPresent(principal, (name, count) -> count <= 1 ? null : count - 1);
            }
        };
    }
}
