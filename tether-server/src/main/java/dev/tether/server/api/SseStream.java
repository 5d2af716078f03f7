package dev.tether.server.api;

import dev.tether.server.auth.OpenStreams;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;

/**
 * One {@code text/event-stream} response: events ({@code id}, {@code event},
 * one {@code data} line of JSON), a keep-alive comment every {@link #KEEP_ALIVE},
 * and one end, whether this side ends it or the client goes away.
 *
 * <p>Writers check {@link #writable} and resume on the drain callback, so at
 * most about {@link #WRITE_QUEUE_BYTES} wait in the response per stream.
 *
 * <p>Not thread safe: owned by the request's event loop.
 */
final class SseStream {

    static final Duration KEEP_ALIVE = Duration.ofSeconds(15);
    /** Bytes the response may hold unsent before {@link #writable} turns false. */
    static final int WRITE_QUEUE_BYTES = 64 * 1024;

    private final Vertx vertx;
    private final HttpServerResponse response;
    private final HttpConnection connection;
    private final Runnable onEnd;
    private final boolean http2;
    /** Closes the stream when its user is disabled or its token revoked. */
    private OpenStreams.Hold hold = OpenStreams.Hold.NONE;
    private long keepAliveTimer = -1;
    private boolean ended;

    private SseStream(RoutingContext ctx, Runnable onEnd) {
        this.vertx = ctx.vertx();
        this.response = ctx.response();
        this.connection = ctx.request().connection();
        this.onEnd = onEnd;
        this.http2 = ctx.request().version() == HttpVersion.HTTP_2;
    }

    /**
     * Sends the headers and starts the keep-alive.
     *
     * @param onWritable called when the response drained after {@link #writable} was false
     * @param onEnd called once when the stream ends, by either side
     */
    static SseStream open(RoutingContext ctx, Runnable onWritable, Runnable onEnd) {
        SseStream stream = new SseStream(ctx, onEnd);
        HttpServerResponse response = ctx.response()
                .setChunked(true)
                .putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream; charset=utf-8")
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
                // Tells reverse proxies such as nginx not to buffer the stream.
                .putHeader("X-Accel-Buffering", "no")
                .setWriteQueueMaxSize(WRITE_QUEUE_BYTES);
        response.closeHandler(v -> stream.end());
        response.exceptionHandler(failure -> stream.end());
        response.drainHandler(v -> onWritable.run());
        response.write(": stream open\n\n");
        stream.keepAliveTimer = ctx.vertx().setPeriodic(KEEP_ALIVE.toMillis(), id -> stream.comment("keep-alive"));
        Context owner = Vertx.currentContext();
        stream.hold = AdminAuth.hold(ctx, () -> owner.runOnContext(v -> stream.cut()));
        return stream;
    }

    /** @param id the event id, or null for none */
    void event(Object id, String type, String data) {
        if (ended) {
            return;
        }
        response.write((id == null ? "" : "id: " + id + "\n") + "event: " + type + "\ndata: " + data + "\n\n");
    }

    /** Writes pre-framed event text (see {@link dev.tether.server.events.ServerEvent#sse}). */
    void raw(String framed) {
        if (!ended) {
            response.write(framed);
        }
    }

    void comment(String text) {
        if (!ended) {
            response.write(": " + text + "\n\n");
        }
    }

    boolean writable() {
        return !ended && !response.writeQueueFull();
    }

    boolean ended() {
        return ended;
    }

    /**
     * Drops the connection: for a client that does not read, ending the response would leave it
     * waiting behind everything queued for it.
     */
    void disconnect() {
        if (!ended) {
            end();
            connection.close();
        }
    }

    /**
     * Stops the stream at once, nothing queued delivered (its credentials are gone): an HTTP/2 stream is reset,
     * as its connection may carry the client's other streams; an HTTP/1 connection is dropped.
     */
    void cut() {
        if (ended) {
            return;
        }
        if (http2) {
            response.reset();
            end();
        } else {
            disconnect();
        }
    }

    /** Ends the response (if the client is still there) and runs the end callback; idempotent. */
    void end() {
        if (ended) {
            return;
        }
        ended = true;
        hold.release();
        vertx.cancelTimer(keepAliveTimer);
        if (!response.ended() && !response.closed()) {
            response.end();
        }
        onEnd.run();
    }
}
