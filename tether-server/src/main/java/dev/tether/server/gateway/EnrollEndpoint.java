package dev.tether.server.gateway;

import dev.tether.server.auth.Secrets;
import dev.tether.server.enroll.Enrollment;
import dev.tether.server.http.BodyLimits;
import dev.tether.server.store.DbExecutor;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where an agent joins with an enrollment token, {@code POST /v1/agents/enroll}
 * with {@code Authorization: Bearer <enrollment token>} and a JSON body
 * {@code {"name": "..."}} (the agent's host name by default): answers
 * {@code 201 {agent_id, name, key, status}} with a key of the agent's own,
 * which it stores and uses from then on; {@code status} is {@code pending} when
 * the token requires approval. Refusals: 401 for an unknown token, 403 for a
 * revoked, expired or used-up one, 429 (with {@code Retry-After}) after too many
 * failures from one address. The key appears only in this response.
 *
 * <p>Thread safe; handles requests on their event loops.
 */
public final class EnrollEndpoint implements Handler<HttpServerRequest> {

    public static final String PATH = "/v1/agents/enroll";
    private static final int MAX_BODY_BYTES = BodyLimits.SIGN_IN_BYTES;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,63}");
    private static final Logger LOG = LoggerFactory.getLogger(EnrollEndpoint.class);

    private final Enrollment enrollment;
    private final DbExecutor db;
    private final AuthThrottle throttle = new AuthThrottle();

    public EnrollEndpoint(Enrollment enrollment, DbExecutor db) {
        this.enrollment = enrollment;
        this.db = db;
    }

    @Override
    public void handle(HttpServerRequest request) {
        if (request.method() != HttpMethod.POST) {
            RawReplies.error(request, 405, "method_not_allowed", "enrol with POST " + PATH);
            return;
        }
        String token = Secrets.bearer(request.getHeader(HttpHeaders.AUTHORIZATION));
        if (token == null) {
            RawReplies.error(request, 401, "unauthorized", "missing enrollment token: send 'Authorization: Bearer <token>'");
            return;
        }
        String source = request.remoteAddress() == null ? "?" : request.remoteAddress().hostAddress();
        String tokenHash = Secrets.hash(token);
        long wait = throttle.retryAfterSeconds(source, tokenHash, System.nanoTime());
        if (wait > 0) {
            request.response().putHeader(HttpHeaders.RETRY_AFTER, Long.toString(wait));
            RawReplies.error(request, 429, "too_many_requests", "too many failed enrollments from " + source + ": retry in "
                    + wait + " s with a valid token");
            return;
        }
        Context context = Vertx.currentContext();
        if ("100-continue".equalsIgnoreCase(request.getHeader(HttpHeaders.EXPECT))) {
            request.response().writeContinue();
        }
        // The body is bounded before it is read: RequestGuard closes a request over BodyLimits.SIGN_IN_BYTES.
        request.body().onSuccess(body -> {
            String name;
            try {
                name = name(body.length() > MAX_BODY_BYTES ? null : body.toString());
            } catch (IllegalArgumentException e) {
                RawReplies.error(request, 400, "bad_request", e.getMessage());
                return;
            }
            db.call(context, () -> enrollment.redeem(token, name, source))
                    .onSuccess(enrolled -> {
                        throttle.succeeded(tokenHash, System.nanoTime());
                        LOG.info("agent {} ({}) enrolled from {}{}", enrolled.name(), enrolled.agentId(), source,
                                enrolled.pending() ? ", pending approval" : "");
                        request.response().setStatusCode(201).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                                .end(new JsonObject().put("agent_id", enrolled.agentId()).put("name", enrolled.name())
                                        .put("key", enrolled.key())
                                        .put("status", enrolled.pending() ? "pending" : "approved").encode());
                    })
                    .onFailure(failure -> refused(request, source, tokenHash, failure));
        }).onFailure(failure -> RawReplies.error(request, 400, "bad_request", "cannot read the request body"));
    }

    private void refused(HttpServerRequest request, String source, String tokenHash, Throwable failure) {
        if (failure instanceof Enrollment.Refused refused) {
            throttle.failed(source, tokenHash, System.nanoTime());
            RawReplies.error(request, refused.unknown() ? 401 : 403, refused.unknown() ? "unauthorized" : "forbidden",
                    refused.getMessage());
        } else {
            LOG.warn("enrollment failed", failure);
            request.response().putHeader(HttpHeaders.RETRY_AFTER, "5");
            RawReplies.error(request, 503, "unavailable", "the server cannot enrol agents right now; retry later");
        }
    }

    /** The agent's name from the body; {@code agent} when none is given. */
    static String name(String body) {
        if (body == null) {
            throw new IllegalArgumentException("the body must be a JSON object of at most " + MAX_BODY_BYTES + " bytes");
        }
        if (body.isBlank()) {
            return "agent";
        }
        JsonObject json;
        try {
            json = new JsonObject(body);
        } catch (DecodeException | ClassCastException e) {
            throw new IllegalArgumentException("the body must be a JSON object such as {\"name\": \"web-1\"}");
        }
        String name = json.getValue("name") instanceof String given ? given : "agent";
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("name must be 1-63 characters of letters, digits, '.', '_' or '-'");
        }
        return name;
    }

}
