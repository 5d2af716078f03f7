package dev.tether.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Sits before the HTTP decoder and tells the {@link RequestGuard} when raw bytes arrive, so that it can tell
 * an idle kept-alive connection (allowed {@link HttpLimits#KEEP_ALIVE_TIMEOUT}) from one sending a request
 * head (allowed {@link HttpLimits#HEADER_READ_TIMEOUT} from its first byte), which decoded messages alone do
 * not show.
 *
 * <p>Not thread safe: owned by the channel's event loop.
 */
final class HeadStart extends ChannelInboundHandlerAdapter {

    static final String NAME = "tether-head-start";

    private final RequestGuard guard;
    /** The guard's context, to schedule its deadline on. */
    private final ChannelHandlerContext guardContext;

    HeadStart(RequestGuard guard, ChannelHandlerContext guardContext) {
        this.guard = guard;
        this.guardContext = guardContext;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf bytes && bytes.isReadable()) {
            guard.headStarting(guardContext);
        }
        ctx.fireChannelRead(msg);
    }
}
