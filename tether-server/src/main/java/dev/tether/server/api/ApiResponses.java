package dev.tether.server.api;

import dev.tether.server.dispatch.DispatchException;
import dev.tether.server.http.RequestIds;
import dev.tether.server.store.NameTakenException;
import dev.tether.server.store.StoreUnavailableException;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** JSON replies, error replies, and the mapping of failures to HTTP statuses. Stateless. */
final class ApiResponses {

    private static final Logger LOG = LoggerFactory.getLogger(ApiResponses.class);

    private ApiResponses() {
    }

    static void json(RoutingContext ctx, int status, JsonObject body) {
        ctx.response()
                .setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(body.encode());
    }

    static void error(RoutingContext ctx, int status, String code, String message) {
        if (ctx.response().ended()) {
            return;
        }
        if (status == 401) {
            ctx.response().putHeader("WWW-Authenticate", "Bearer");
        }
        json(ctx, status, new JsonObject().put("error", code).put("message", message));
    }

    /** Replies to a failed request: {@link ApiException}s as they say, anything else as a 5xx. */
    static void failure(RoutingContext ctx, Throwable failure) {
        // Often called back off the handler's stack (after database work): the request's id goes with its log.
        try (RequestIds.MdcScope scope = RequestIds.inMdc(ctx.request().getHeader(RequestIds.HEADER))) {
            reply(ctx, failure);
        }
    }

    private static void reply(RoutingContext ctx, Throwable failure) {
        if (failure instanceof ApiException api) {
            error(ctx, api.status(), api.code(), api.getMessage());
        } else if (failure instanceof DispatchException refused) {
            error(ctx, refused.reason().status(), refused.reason().code(), refused.getMessage());
        } else if (failure instanceof NameTakenException taken) {
            error(ctx, 409, "name_taken", taken.getMessage());
        } else if (failure instanceof StoreUnavailableException unavailable) {
            // The message says whether the change was made, so a client knows whether retrying is safe.
            LOG.warn("{} {}: {}", ctx.request().method(), ctx.request().path(), unavailable.getMessage());
            error(ctx, 503, unavailable.outcomeUnknown() ? "outcome_unknown" : "unavailable", unavailable.getMessage());
        } else if (failure instanceof HttpClosedException) {
            // The client went away (or RequestGuard cut its body off): nobody to answer, nothing to fix.
            LOG.debug("{} {}: connection closed before the reply", ctx.request().method(), ctx.request().path());
        } else if (failure instanceof RejectedExecutionException) {
            error(ctx, 503, "unavailable", "the server is overloaded; retry in a moment");
        } else {
            LOG.error("{} {} failed", ctx.request().method(), ctx.request().path(), failure);
            error(ctx, 500, "internal", "the server failed to handle this request; see its log");
        }
    }

    /** An epoch-millis timestamp as ISO-8601 UTC, or null. */
    static String time(Long epochMillis) {
        return epochMillis == null || epochMillis == 0 ? null : Instant.ofEpochMilli(epochMillis).toString();
    }
}
