package dev.tether.server.http;

import io.netty.channel.ChannelPipeline;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.impl.ConnectionBase;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server-wide limits on HTTP requests, in one place: the size of a request line and of its headers,
 * how long a client has to send a head and a body, and (through {@link RequestGuard}) the size of a body
 * per path ({@link BodyLimits}).
 *
 * <p>The server speaks HTTP/1.1 only (cleartext HTTP/2 is turned off and TLS offers no ALPN), so every
 * connection has the guard; a connection that somehow lacks the HTTP/1 decoder is closed rather than served
 * unguarded. Stateless; thread safe.
 */
public final class HttpLimits {

    /** Longest request line (method, target, version) accepted; longer gets 414. */
    public static final int MAX_INITIAL_LINE_BYTES = 4 * 1024;
    /** Most bytes of request headers accepted, all together; more gets 431. */
    public static final int MAX_HEADER_BYTES = 8 * 1024;
    /** Time a client has to send a whole request head, from its first byte or from connecting (slowloris). */
    public static final Duration HEADER_READ_TIMEOUT = Duration.ofSeconds(10);
    /** Time a declared or chunked body has to arrive in full. */
    public static final Duration BODY_READ_TIMEOUT = Duration.ofSeconds(30);
    /** Time a kept-alive connection may sit idle between requests. */
    public static final Duration KEEP_ALIVE_TIMEOUT = Duration.ofSeconds(60);
    /** The Vert.x pipeline names the guard is placed around. */
    private static final String DECODER = "httpDecoder";
    private static final String VERTX_HANDLER = "handler";
    private static final Logger LOG = LoggerFactory.getLogger(HttpLimits.class);

    private HttpLimits() {
    }

    /** Applies the header limits and turns cleartext HTTP/2 off. */
    public static HttpServerOptions apply(HttpServerOptions options) {
        return options.setMaxInitialLineLength(MAX_INITIAL_LINE_BYTES)
                .setMaxHeaderSize(MAX_HEADER_BYTES)
                .setHttp2ClearTextEnabled(false);
    }

    /** Puts a {@link RequestGuard} on a new connection; for {@code HttpServer.connectionHandler}. */
    public static void guard(HttpConnection connection) {
        ChannelPipeline pipeline = connection instanceof ConnectionBase base ? base.channel().pipeline() : null;
        if (pipeline == null || pipeline.get(DECODER) == null || pipeline.get(VERTX_HANDLER) == null) {
            LOG.warn("closing a connection that is not plain HTTP/1.1 ({}): it cannot be guarded",
                    connection.getClass().getSimpleName());
            connection.close();
            return;
        }
        RequestGuard guard = new RequestGuard();
        pipeline.addBefore(VERTX_HANDLER, RequestGuard.NAME, guard);
        pipeline.addBefore(DECODER, HeadStart.NAME, new HeadStart(guard, pipeline.context(guard)));
    }
}
