package dev.tether.server.http;

import dev.tether.server.metrics.HttpTimers;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.impl.ConnectionBase;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The access log and the request histogram: one line per HTTP request, at its end, on the logger
 * {@value #LOGGER} (not under {@code dev.tether}, so operators can route it to its own appender or turn it off
 * by that logger's level alone), and one observation in {@code tether_http_request_duration_seconds}.
 *
 * <p>A line reads {@code GET /api/v1/agents/web-1 200 1234B 3.172ms route=/api/v1/agents/:agent
 * principal=alice remote=10.0.0.7:51234 id=5f0c...}: the method, the path without its query string, the status
 * (0 when the connection closed before a response), the body bytes sent, the time from the request head to the
 * last byte (for a WebSocket, 101, the whole session; for an event stream, until it ended), the route template,
 * who the request authenticated as ({@code -} when unknown), the peer and the request id. The same fields are
 * the line's key-value pairs (for the JSON log format), and the id is in the MDC as {@value RequestIds#MDC_KEY}.
 * The query string, headers and cookies are never logged: tokens travel in them.
 *
 * <p>The histogram leaves WebSocket sessions out (their length is the session's, not the server's work).
 *
 * <p>Thread safe: per-request state is in each connection's {@link ExchangeTracker}.
 */
public final class AccessLog {

    public static final String LOGGER = "tether.access";
    /**
     * The pipeline name of a connection's tracker; a connection taken over from Vert.x keeps it until its handler
     * takes its exchange over ({@link #handOver}).
     */
    public static final String TRACKER = ExchangeTracker.NAME;
    private static final Logger LOG = LoggerFactory.getLogger(LOGGER);

    private final HttpTimers timers;
    private final RouteTemplates routes;

    public AccessLog(HttpTimers timers, RouteTemplates routes) {
        this.timers = timers;
        this.routes = routes;
    }

    /** Puts an {@link ExchangeTracker} on a connection already guarded by {@link HttpLimits#guard}. */
    public void attach(HttpConnection connection) {
        ChannelPipeline pipeline = pipeline(connection);
        if (pipeline != null && pipeline.get(RequestGuard.NAME) != null) {
            pipeline.addBefore(RequestGuard.NAME, ExchangeTracker.NAME, new ExchangeTracker(this));
        }
    }

    /**
     * Takes the tracker out of an upgraded connection's pipeline and hands its exchanges to the caller, who
     * counts the bytes it writes and ends them with the connection; null when the connection has no tracker
     * (the access log is not attached) or nothing open. Call on the channel's event loop, after the 101.
     */
    public static UpgradedExchange handOver(ChannelPipeline pipeline) {
        ChannelHandlerContext tracker = pipeline.context(ExchangeTracker.NAME);
        return tracker == null ? null : ((ExchangeTracker) tracker.handler()).handOver(tracker);
    }

    /**
     * Records who {@code request} authenticated as, for its access-log line. Call it on the request's event loop
     * (any Vert.x handler of the request).
     */
    public static void principal(HttpServerRequest request, String name) {
        ChannelPipeline pipeline = pipeline(request.connection());
        ExchangeTracker tracker = pipeline == null ? null : pipeline.get(ExchangeTracker.class);
        Exchange exchange = tracker == null ? null : tracker.find(request.getHeader(RequestIds.HEADER));
        if (exchange != null) {
            exchange.principal = Exchange.printable(name, 128);
        }
    }

    String route(String path) {
        return routes.match(path);
    }

    void finished(Exchange exchange, String remote) {
        long nanos = System.nanoTime() - exchange.startNanos;
        if (!exchange.upgraded()) {
            timers.record(exchange.route, exchange.method, exchange.status, nanos);
        }
        if (LOG.isInfoEnabled()) {
            log(exchange, remote, nanos);
        }
    }

    private static void log(Exchange exchange, String remote, long nanos) {
        String millis = String.format(Locale.ROOT, "%.3f", nanos / 1e6);
        String principal = exchange.principal == null ? "-" : exchange.principal;
        try (RequestIds.MdcScope scope = RequestIds.inMdc(exchange.id)) {
            LOG.atInfo()
                    .addKeyValue("method", exchange.method)
                    .addKeyValue("path", exchange.path)
                    .addKeyValue("status", exchange.status)
                    .addKeyValue("bytes", exchange.bytes)
                    .addKeyValue("duration_ms", millis)
                    .addKeyValue("route", exchange.route)
                    .addKeyValue("principal", principal)
                    .addKeyValue("remote", remote)
                    .addKeyValue("request_id", exchange.id)
                    .log("{} {} {} {}B {}ms route={} principal={} remote={} id={}", exchange.method, exchange.path,
                            exchange.status, exchange.bytes, millis, exchange.route, principal, remote, exchange.id);
        }
    }

    private static ChannelPipeline pipeline(HttpConnection connection) {
        return connection instanceof ConnectionBase base ? base.channel().pipeline() : null;
    }
}
