package dev.tether.server.gateway;

import dev.tether.protocol.CloseCodes;
import dev.tether.protocol.Limits;
import dev.tether.protocol.ProtocolException;
import dev.tether.server.http.AccessLog;
import dev.tether.server.http.UpgradedExchange;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Netty side of one agent's WebSocket, the one handler of its pipeline after
 * {@link WebSocketTakeover}: joins frames into messages for its {@link AgentConnection}, writes envelopes
 * bounded by the channel's writability, answers pings, and runs the close handshake (a close frame, then the
 * TCP close when the agent answers or after {@link #CLOSING_TIMEOUT}).
 *
 * <p>Writes have no queue of their own: they go to the channel's outbound buffer, whose size (with what
 * other threads are handing over) is what {@link #unwrittenBytes} reports. Reading has none either: frames
 * are read from the socket's bytes here ({@link FrameReader}, no decoder in the pipeline), and while paused
 * the bytes already read wait there. Writes made while the event loop reads are flushed once when the read
 * ends ({@code channelReadComplete}); writes from other threads (the agent's lane, shells) arrive in event
 * loop tasks, and the first of a run queues one flush behind them ({@link #flushQueued}).
 *
 * <p>Threads: handler methods, {@link #pauseReading} and {@link #resumeReading} run on the channel's event
 * loop, which owns {@link #frames}, {@link #assembler} and the flags; {@link #writeMessage}, {@link #close},
 * {@link #writeBlocked} and {@link #unwrittenBytes} may be called from any thread.
 */
final class AgentSocket extends ChannelInboundHandlerAdapter {

    /** How long a closing WebSocket waits for the agent's close frame before dropping the TCP connection. */
    static final Duration CLOSING_TIMEOUT = Duration.ofSeconds(2);
    /** RFC 6455: the code reported for a close frame without one; never sent. */
    static final int NO_STATUS = 1005;
    private static final Logger LOG = LoggerFactory.getLogger(AgentSocket.class);
    private static final AtomicLongFieldUpdater<AgentSocket> IN_TRANSIT =
            AtomicLongFieldUpdater.newUpdater(AgentSocket.class, "inTransit");

    private final AgentConnection connection;
    private final FrameReader frames = new FrameReader(Limits.MAX_FRAME_BYTES);
    private final MessageAssembler assembler = new MessageAssembler(Limits.MAX_FRAME_BYTES);
    /** Flushes what other threads wrote; one per connection so queueing a flush allocates nothing. */
    private final Runnable flush = this::flushQueuedWrites;
    /** Set once the handler is in the pipeline, before anything else can call in. */
    private volatile Channel channel;
    /** Bytes other threads wrote that are on their way to the event loop; any thread, by {@link #IN_TRANSIT}. */
    private volatile long inTransit;
    /** A flush task is queued on the event loop behind the writes not yet flushed. Event loop only. */
    private boolean flushQueued;
    /** Inside a read, writes wait for {@code channelReadComplete}'s flush. Event loop only. */
    private boolean reading;
    /** This side sent its close frame. Event loop only. */
    private boolean closeSent;
    /** Reading is paused: bytes already read wait in {@link #frames}, whole frames or not. Event loop only. */
    private boolean paused;
    /**
     * The access log's exchange of the upgrade, taken from its tracker so the pipeline keeps one handler less:
     * counts what is written, ends with the connection. Null without an access log. Event loop only.
     */
    private UpgradedExchange exchange;

    AgentSocket(AgentConnection connection) {
        this.connection = connection;
    }

    // ------------------------------------------------------------ reading (event loop)

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        exchange = AccessLog.handOver(ctx.pipeline());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf bytes)) {
            // Nothing but the socket's bytes comes this far; anything else is not ours to keep.
            ReferenceCountUtil.release(msg);
            return;
        }
        reading = true;
        frames.add(ctx.alloc(), bytes);
        readFrames();
    }

    /** Handles the whole frames read so far, until there are none or reading pauses. Event loop only. */
    private void readFrames() {
        while (!paused) {
            WebSocketFrame frame;
            try {
                frame = frames.next();
            } catch (ProtocolException e) {
                connection.close(e.closeCode(), e.closeReason());
                return;
            }
            if (frame == null) {
                return;
            }
            handle(frame);
        }
    }

    private void handle(WebSocketFrame frame) {
        try {
            onFrame(frame);
        } finally {
            frame.release();
        }
    }

    private void onFrame(WebSocketFrame frame) {
        if (frame instanceof CloseWebSocketFrame close) {
            onCloseFrame(close);
            return;
        }
        connection.frameArrived();
        if (frame instanceof PingWebSocketFrame) {
            write(ServerFrames.pong(channel.alloc(), frame.content()));
        } else if (!(frame instanceof PongWebSocketFrame) && !closeSent) {
            try {
                ByteBuf message = assembler.accept(frame);
                if (message != null) {
                    try {
                        connection.onMessage(message);
                    } finally {
                        message.release();
                    }
                }
            } catch (ProtocolException e) {
                connection.close(e.closeCode(), e.closeReason());
            }
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        reading = false;
        ctx.flush();
    }

    /** The agent closes: answer with its code, as RFC 6455 asks, then drop the connection once that is out. */
    private void onCloseFrame(CloseWebSocketFrame close) {
        int code = close.statusCode() < 0 ? NO_STATUS : close.statusCode();
        connection.closedByAgent(code, close.reasonText());
        if (closeSent) {
            channel.close();
        } else {
            closeSent = true;
            channel.writeAndFlush(counted(ServerFrames.close(channel.alloc(),
                    close.statusCode() < 0 ? CloseCodes.NORMAL : code, null))).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            connection.writable();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("agent {}: connection error", connection.agentId(), cause);
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (exchange != null) {
            // First, as the tracker did from its place nearer the socket.
            exchange.ended();
            exchange = null;
        }
        frames.stop();
        assembler.discard();
        connection.connectionLost();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        // Vert.x's shutdown notice: the hub closes agents itself (1001) before the HTTP server shuts down.
        ReferenceCountUtil.release(evt);
    }

    // ------------------------------------------------------------ flow control

    /**
     * Stops handling frames, at once, and reading from the socket; the agent's TCP window fills and it stops
     * sending. Event loop only.
     */
    void pauseReading() {
        paused = true;
        channel.config().setAutoRead(false);
    }

    /** Handles the frames read before the pause (unless one pauses again), then reads on. Event loop only. */
    void resumeReading() {
        paused = false;
        if (channel.isActive()) {
            readFrames();
        }
        if (!paused) {
            channel.config().setAutoRead(true);
            channel.flush();
        }
    }

    /** Whether the outbound buffer is past its high-water mark (until it falls below the low one). */
    boolean writeBlocked() {
        return channel.isActive() && !channel.isWritable();
    }

    /** Bytes written and not yet taken by the socket, including writes still on their way to the event loop. */
    long unwrittenBytes() {
        ChannelOutboundBuffer out = channel.unsafe().outboundBuffer();
        return inTransit + (out == null ? 0 : out.totalPendingWriteBytes());
    }

    /** Runs {@code task} on the channel's event loop. */
    void onEventLoop(Runnable task) {
        channel.eventLoop().execute(task);
    }

    /**
     * Runs {@code task} on the channel's event loop after the loop polled its sockets again and handled what they
     * had. A queued task may run in the middle of a run of tasks that started before it was queued, and so may a
     * task scheduled from another thread (it travels as a queued task), but a task the loop schedules itself
     * waits for the next run of tasks, which starts after a poll.
     */
    void afterNextPoll(Runnable task) {
        EventLoop loop = channel.eventLoop();
        loop.execute(() -> loop.schedule(task, 0, TimeUnit.NANOSECONDS));
    }

    ByteBufAllocator alloc() {
        return channel.alloc();
    }

    SocketAddress remoteAddress() {
        return channel.remoteAddress();
    }

    // ------------------------------------------------------------ writing (any thread)

    /** Writes one binary message, a whole frame from {@link ServerFrames}; {@code frame} becomes the channel's. */
    void writeMessage(ByteBuf frame) {
        write(frame);
    }

    /**
     * Writes on the event loop: other threads hand the frame over in a task, so the flush queued behind it is
     * sure to come after it (a flush queued by an earlier writer may run before a write Netty queued for us).
     */
    private void write(ByteBuf frame) {
        EventLoop loop = channel.eventLoop();
        if (loop.inEventLoop()) {
            writeOnLoop(frame);
            return;
        }
        long bytes = frame.readableBytes();
        IN_TRANSIT.addAndGet(this, bytes);
        loop.execute(() -> {
            IN_TRANSIT.addAndGet(this, -bytes);
            writeOnLoop(frame);
        });
    }

    private void writeOnLoop(ByteBuf frame) {
        channel.write(counted(frame), channel.voidPromise());
        if (!reading && !flushQueued) {
            flushQueued = true;
            channel.eventLoop().execute(flush);
        }
    }

    /** The frame, its bytes counted in the access log's exchange. Event loop only. */
    private ByteBuf counted(ByteBuf frame) {
        if (exchange != null) {
            exchange.sent(frame.readableBytes());
        }
        return frame;
    }

    private void flushQueuedWrites() {
        flushQueued = false;
        channel.flush();
    }

    /**
     * Sends a close frame with this code and reason, then closes the TCP connection when the agent answers it,
     * or after {@link #CLOSING_TIMEOUT} at the latest; idempotent.
     */
    void close(int code, String reason) {
        if (channel.eventLoop().inEventLoop()) {
            sendClose(code, reason);
        } else {
            channel.eventLoop().execute(() -> sendClose(code, reason));
        }
    }

    private void sendClose(int code, String reason) {
        if (closeSent || !channel.isActive()) {
            return;
        }
        closeSent = true;
        Channel ch = channel;
        ch.writeAndFlush(counted(ServerFrames.close(ch.alloc(), code, reason)));
        ch.eventLoop().schedule(() -> ch.close(), CLOSING_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }
}
