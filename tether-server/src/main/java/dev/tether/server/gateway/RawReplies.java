package dev.tether.server.gateway;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;

/**
 * JSON error replies, {@code {"error", "message"}}, for the endpoints that
 * handle raw requests outside the API router (agent connect and enroll, the
 * terminal WebSocket) and refuse before any upgrade. Stateless.
 */
public final class RawReplies {

    private RawReplies() {
    }

    /**
     * Replies and, over HTTP/1, closes the connection afterwards: the request may be paused with its body
     * unread. HTTP/2 forbids the header, and its streams are independent anyway.
     */
    public static void error(HttpServerRequest request, int status, String error, String message) {
        if (request.version() != HttpVersion.HTTP_2) {
            request.response().putHeader(HttpHeaders.CONNECTION, "close");
        }
        request.response()
                .setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(new JsonObject().put("error", error).put("message", message).encode());
    }
}
