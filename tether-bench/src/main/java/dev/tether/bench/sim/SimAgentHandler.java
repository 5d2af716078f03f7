package dev.tether.bench.sim;

import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler.ClientHandshakeStateEvent;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import dev.tether.protocol.CloseCodes;
import dev.tether.protocol.FrameCodec;
import java.io.IOException;
import java.net.ConnectException;

/**
 * The last handler of a simulated agent's pipeline: turns WebSocket events
 * into calls on its {@link SimAgent}. Runs on the agent's event loop.
 * Tether never fragments its small envelopes, so a continuation frame is
 * treated as a protocol error here rather than assembled.
 */
final class SimAgentHandler extends SimpleChannelInboundHandler<WebSocketFrame> {

    private final SimAgent agent;
    /** Why the connection is ending, as first seen; becomes the failure cause. */
    private String cause = "closed_before_welcome";

    SimAgentHandler(SimAgent agent) {
        this.agent = agent;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event == ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
            agent.upgraded(ctx.channel());
        } else if (event == ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
            cause = "upgrade_timeout";
        }
        super.userEventTriggered(ctx, event);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
        switch (frame) {
            case BinaryWebSocketFrame binary -> agent.received(ctx.channel(),
                    ByteBufUtil.getBytes(binary.content()));
            case CloseWebSocketFrame close -> {
                agent.closeReceived(close.statusCode());
                cause = "closed_" + close.statusCode();
                ctx.close();
            }
            case TextWebSocketFrame text -> protocolError(ctx, CloseCodes.UNSUPPORTED_DATA,
                    FrameCodec.textFrame().getMessage());
            case ContinuationWebSocketFrame continuation -> protocolError(ctx, CloseCodes.PROTOCOL_ERROR,
                    "fragmented messages are not expected from the server");
            default -> { }
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (ctx.channel().isWritable()) {
            agent.pump();
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        agent.ended(ctx.channel(), cause);
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable failure) {
        cause = causeOf(failure);
        if (failure instanceof WebSocketClientHandshakeException handshake && handshake.response() != null) {
            agent.retryAfter(handshake.response().status().code(),
                    retryAfterSeconds(handshake.response().headers().get("Retry-After")));
        }
        ctx.close();
    }

    /** Retry-After in seconds (the only form Tether sends), or 0 when absent or not a number. */
    static long retryAfterSeconds(String header) {
        if (header == null) {
            return 0;
        }
        try {
            return Math.max(0, Long.parseLong(header.trim()));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private void protocolError(ChannelHandlerContext ctx, int code, String reason) {
        cause = "protocol_error";
        ctx.writeAndFlush(new CloseWebSocketFrame(code, CloseCodes.fitReason(reason)))
                .addListener(f -> ctx.close());
    }

    /** A short snake_case cause for the failure counters: http_401, http_503, refused, reset, ... */
    static String causeOf(Throwable failure) {
        if (failure instanceof WebSocketClientHandshakeException handshake && handshake.response() != null) {
            return "http_" + handshake.response().status().code();
        }
        if (failure instanceof ConnectException) {
            return "refused";
        }
        if (failure instanceof IOException io && io.getMessage() != null
                && io.getMessage().toLowerCase().contains("reset")) {
            return "reset";
        }
        return failure.getClass().getSimpleName();
    }
}
