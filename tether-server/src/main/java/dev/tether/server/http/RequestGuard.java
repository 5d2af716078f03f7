package dev.tether.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Guards one HTTP/1.1 connection, between Netty's HTTP decoder and Vert.x, so that no handler (present or
 * added later) can be made to buffer an unbounded body or wait forever for a request head:
 * <ul>
 *   <li>a request declaring a {@code Content-Length} over its path's {@link BodyLimits limit} is answered
 *       413 and the connection closed, before a byte of the body is read and without Vert.x ever seeing
 *       the request (a client sending {@code Expect: 100-continue} never sends the body);</li>
 *   <li>a body (chunked or not) that grows past the limit stops there: the connection is closed, with a
 *       413 when no response was started;</li>
 *   <li>a response that ends before its request's body was read (a refusal, a 401) closes the connection,
 *       so an unread body is never buffered or drained;</li>
 *   <li>the request head must arrive within {@link HttpLimits#HEADER_READ_TIMEOUT} of the connection opening
 *       or of its first byte (slowloris); an idle kept-alive connection is closed after
 *       {@link HttpLimits#KEEP_ALIVE_TIMEOUT}; a declared body must arrive within
 *       {@link HttpLimits#BODY_READ_TIMEOUT}.</li>
 * </ul>
 * A WebSocket upgrade (status 101) removes the guard: frames have limits of their own.
 *
 * <p>Not thread safe: owned by the channel's event loop, like every field below.
 */
final class RequestGuard extends ChannelDuplexHandler {

    /** Pipeline name of the guard. */
    static final String NAME = "tether-request-guard";
    /**
     * After a refusal the client may still be sending the body it declared: up to this much more is read and
     * dropped, for at most {@link #LINGER}, before the close. Closing with unread input makes the kernel reset
     * the connection, and a client still writing its body then loses the 413 it was sent.
     */
    static final long LINGER_BYTES = 2L << 20;
    static final Duration LINGER = Duration.ofSeconds(2);
    private static final Logger LOG = LoggerFactory.getLogger(RequestGuard.class);

    /** Set when a request head starts arriving; until then the connection is idle. Event loop. */
    private boolean headStarted;
    /** Requests passed to Vert.x whose response has not ended yet. Event loop. */
    private int exchanges;
    /** Whether the latest request's body is still being received. Event loop. */
    private boolean bodyOpen;
    /** Whether a response head was written for the oldest exchange. Event loop. */
    private boolean responseStarted;
    /** Whether that response started before its request's body was read: the connection ends with it. */
    private boolean closeAfterResponse;
    /** The latest request's body limit and bytes received so far. Event loop. */
    private long limit;
    private long received;
    /** After a refusal: everything in either direction is dropped until the close completes. Event loop. */
    private boolean refused;
    /** Bytes read and dropped since the refusal. Event loop. */
    private long discarded;
    /** The deadline running now, if any. Event loop. */
    private ScheduledFuture<?> deadline;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        arm(ctx, HttpLimits.HEADER_READ_TIMEOUT, "request head");
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        disarm();
    }

    /** The first byte of a request head arrived (seen before decoding by {@link HeadStart}). */
    void headStarting(ChannelHandlerContext ctx) {
        if (!headStarted && exchanges == 0 && !refused) {
            headStarted = true;
            arm(ctx, HttpLimits.HEADER_READ_TIMEOUT, "request head");
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (refused) {
            drop(ctx, msg);
            return;
        }
        if (msg instanceof HttpRequest head && !head(ctx, head)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpContent content && !content(ctx, content)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        ctx.fireChannelRead(msg);
    }

    /** @return whether to pass the head on */
    private boolean head(ChannelHandlerContext ctx, HttpRequest head) {
        disarm();
        headStarted = false;
        limit = BodyLimits.forPath(BodyLimits.path(head.uri()));
        received = 0;
        bodyOpen = true;
        long declared = declaredLength(head);
        if (declared > limit) {
            refuse(ctx, "the body declares " + declared + " bytes; this endpoint takes at most " + limit);
            return false;
        }
        exchanges++;
        if (declared > 0 || HttpUtil.isTransferEncodingChunked(head)) {
            arm(ctx, HttpLimits.BODY_READ_TIMEOUT, "request body");
        }
        return true;
    }

    /** @return whether to pass the content on */
    private boolean content(ChannelHandlerContext ctx, HttpContent content) {
        received += content.content().readableBytes();
        if (received > limit) {
            refuse(ctx, "the body exceeds " + limit + " bytes, the most this endpoint takes");
            return false;
        }
        if (content instanceof LastHttpContent) {
            bodyOpen = false;
            disarm();
        }
        return true;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (refused) {
            // Vert.x answering a request this guard already refused: the connection is closing.
            ReferenceCountUtil.release(msg);
            promise.trySuccess();
            return;
        }
        if (msg instanceof HttpResponse response && response.status().code() == 101) {
            ctx.write(msg, promise);
            upgraded(ctx);
            return;
        }
        boolean informational = msg instanceof HttpResponse response
                && response.status().codeClass() == HttpStatusClass.INFORMATIONAL;
        if (msg instanceof HttpResponse response && !informational) {
            responseStarting(response);
        }
        if (msg instanceof LastHttpContent && !informational) {
            ChannelPromise written = promise.unvoid();
            ctx.write(msg, written);
            exchangeEnded(ctx, written);
            return;
        }
        ctx.write(msg, promise);
    }

    private void responseStarting(HttpResponse response) {
        responseStarted = true;
        closeAfterResponse = bodyOpen && exchanges == 1;
        if (closeAfterResponse) {
            // Answered before the body was read: reading on would mean draining or buffering it.
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
    }

    private void exchangeEnded(ChannelHandlerContext ctx, ChannelPromise written) {
        exchanges = Math.max(0, exchanges - 1);
        responseStarted = false;
        if (closeAfterResponse) {
            refused = true;
            written.addListener(done -> linger(ctx));
        } else if (exchanges == 0) {
            arm(ctx, HttpLimits.KEEP_ALIVE_TIMEOUT, "next request");
        }
    }

    private void upgraded(ChannelHandlerContext ctx) {
        disarm();
        if (ctx.pipeline().get(HeadStart.NAME) != null) {
            ctx.pipeline().remove(HeadStart.NAME);
        }
        ctx.pipeline().remove(this);
    }

    /** Answers 413 when no response is under way, then closes; drops everything meanwhile. */
    private void refuse(ChannelHandlerContext ctx, String reason) {
        refused = true;
        disarm();
        if (exchanges > 1 || responseStarted) {
            ctx.close();
            return;
        }
        ctx.writeAndFlush(tooLarge(reason)).addListener(done -> linger(ctx));
    }

    /**
     * The answer is written: ends the output (the client sees the answer and the end of the stream) and reads
     * on, dropping what comes, until the client closes, {@link #LINGER_BYTES} more arrive or {@link #LINGER}
     * passes; then closes. Nothing read is kept.
     */
    private void linger(ChannelHandlerContext ctx) {
        if (!(ctx.channel() instanceof DuplexChannel duplex) || !duplex.isActive()) {
            ctx.close();
            return;
        }
        duplex.shutdownOutput().addListener(done -> {
            if (!done.isSuccess()) {
                ctx.close();
            }
        });
        disarm();
        deadline = ctx.executor().schedule(() -> ctx.close(), LINGER.toMillis(), TimeUnit.MILLISECONDS);
        ctx.channel().config().setAutoRead(true);
        ctx.read();
    }

    /** Drops what arrives after a refusal; closes once more than {@link #LINGER_BYTES} came. */
    private void drop(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpContent content) {
            discarded += content.content().readableBytes();
        } else if (msg instanceof ByteBuf bytes) {
            discarded += bytes.readableBytes();
        }
        ReferenceCountUtil.release(msg);
        if (discarded > LINGER_BYTES) {
            ctx.close();
        }
    }

    private static FullHttpResponse tooLarge(String reason) {
        String json = "{\"error\":\"payload_too_large\",\"message\":\"" + reason + ": send a smaller body\"}";
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, Unpooled.copiedBuffer(json, StandardCharsets.UTF_8));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .set(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes())
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        return response;
    }

    /** The declared Content-Length, -1 without one; an unparsable one counts as too large. */
    private static long declaredLength(HttpRequest head) {
        try {
            return HttpUtil.getContentLength(head, -1L);
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }

    private void arm(ChannelHandlerContext ctx, Duration timeout, String what) {
        disarm();
        deadline = ctx.executor().schedule(() -> expired(ctx, what), timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void expired(ChannelHandlerContext ctx, String what) {
        deadline = null;
        refused = true;
        LOG.debug("closing {}: no {} within the deadline", ctx.channel().remoteAddress(), what);
        ctx.close();
    }

    private void disarm() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }
}
