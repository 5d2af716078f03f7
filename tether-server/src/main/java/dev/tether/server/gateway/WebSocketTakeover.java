package dev.tether.server.gateway;

import dev.tether.protocol.Limits;
import dev.tether.protocol.WebSocketAccept;
import dev.tether.server.http.AccessLog;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslHandler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.impl.ConnectionBase;
import java.util.List;

/**
 * Takes an authenticated agent's HTTP/1.1 connection away from Vert.x and makes it a bare Netty WebSocket:
 * answers the upgrade (RFC 6455, version 13) with a 101 written through the HTTP encoder, then leaves in the
 * pipeline only the TLS handler (when there is one), the access log's tracker (until the handler takes its
 * exchange over, {@link AccessLog#handOver}, as {@link AgentSocket} does when it is added; the session's line is
 * logged when the connection ends), Netty's WebSocket 13 frame decoder and the one handler given. There is no frame
 * encoder: the handler writes whole frames ({@link ServerFrames}). Nothing of Vert.x's
 * connection, request, response or header maps stays reachable from the channel, and Vert.x's per-connection
 * queues are gone: that is what an idle agent used to cost (see docs/decisions-gateway.md).
 *
 * <p>Vert.x still accepted the connection: the channel stays in the HTTP server's channel group, so
 * {@code HttpServer.shutdown} still waits for it and closes it at the end of its grace.
 *
 * <p>Stateless. {@link #takeOver} runs on the connection's event loop (where Vert.x handles the request).
 */
final class WebSocketTakeover {

    /** The only protocol version served; every WebSocket client of the last decade speaks it. */
    static final String VERSION = "13";
    /** Pipeline names of what the takeover installs. */
    static final String HANDLER = "agent";
    /** Vert.x 5's names for its HTTP/1 codec and its connection's handler. */
    private static final String VERTX_HTTP_DECODER = "httpDecoder";
    private static final String VERTX_HANDLER = "handler";

    private WebSocketTakeover() {
    }

    /**
     * The value of {@code Sec-WebSocket-Accept} for this request, or null when it is no WebSocket 13 upgrade
     * (the caller refuses it).
     */
    static String acceptKey(HttpServerRequest request) {
        String connection = request.getHeader(HttpHeaders.CONNECTION);
        String key = request.getHeader("Sec-WebSocket-Key");
        if (connection == null || !connection.toLowerCase().contains("upgrade") || key == null || key.isBlank()
                || !VERSION.equals(request.getHeader("Sec-WebSocket-Version"))) {
            return null;
        }
        return WebSocketAccept.of(key.trim());
    }

    /**
     * Answers the upgrade, rebuilds the pipeline around {@code handler}, and moves the channel to the next
     * event loop of its group, round robin, so agents spread over all of them (Vert.x accepts every
     * connection of a server created outside a verticle on one). The handler never sees {@code channelActive}
     * (the channel is long active): {@code handlerAdded} tells it it is in place.
     *
     * @return completes on the channel's new event loop once it reads there; fails when the move failed
     *     (the channel is closed then)
     */
    static ChannelFuture takeOver(HttpServerRequest request, String acceptKey, ChannelHandler handler) {
        Channel channel = ((ConnectionBase) request.connection()).channel();
        ChannelPipeline pipeline = channel.pipeline();
        channel.config().setAutoRead(false);
        // Written from Vert.x's handler down: the request guard lets go at the 101, the access log records it.
        pipeline.context(VERTX_HANDLER).writeAndFlush(switchingProtocols(acceptKey));
        pipeline.replace(VERTX_HANDLER, HANDLER, handler);
        for (String name : List.copyOf(pipeline.names())) {
            ChannelHandler each = pipeline.get(name);
            // The HTTP decoder goes last of all: it passes bytes it read past the request on to the handler.
            if (each != null && !kept(name, each) && !name.equals(VERTX_HTTP_DECODER)) {
                pipeline.remove(name);
            }
        }
        pipeline.remove(VERTX_HTTP_DECODER);
        return moveAndRead(channel, channel.eventLoop().parent().next());
    }

    private static ChannelFuture moveAndRead(Channel channel, EventLoop loop) {
        if (loop == channel.eventLoop()) {
            channel.config().setAutoRead(true);
            return channel.newSucceededFuture();
        }
        ChannelPromise reading = channel.newPromise();
        channel.deregister().addListener(deregistered -> {
            if (!deregistered.isSuccess()) {
                failed(channel, reading, deregistered.cause());
                return;
            }
            loop.register(channel).addListener(registered -> {
                if (registered.isSuccess()) {
                    channel.config().setAutoRead(true);
                    reading.setSuccess();
                } else {
                    failed(channel, reading, registered.cause());
                }
            });
        });
        return reading;
    }

    private static void failed(Channel channel, ChannelPromise reading, Throwable cause) {
        reading.setFailure(cause);
        channel.unsafe().closeForcibly();
    }

    private static boolean kept(String name, ChannelHandler handler) {
        return handler instanceof SslHandler || name.equals(AccessLog.TRACKER)
                || name.equals(HANDLER);
    }

    private static FullHttpResponse switchingProtocols(String acceptKey) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.SWITCHING_PROTOCOLS, Unpooled.EMPTY_BUFFER);
        response.headers()
                .set(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET)
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE)
                .set(HttpHeaderNames.SEC_WEBSOCKET_ACCEPT, acceptKey);
        return response;
    }

    /**
     * Frames up to {@link Limits#MAX_FRAME_BYTES}, masked as clients must, no extensions; a violation is left
     * to the handler (an exception), which closes with the decoder's code (1009 oversized, 1002 malformed).
     */
}
