package dev.tether.agent.connection;

import dev.tether.protocol.FrameCodec;
import dev.tether.protocol.ProtocolException;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The JDK WebSocket listener of one connection: turns its callbacks into
 * {@link Inbound} events for the session's reader thread.
 *
 * <p>Flow control: the listener requests the next message only for the parts of
 * a message; the reader requests the next message once it has handled one. So the
 * queue holds at most one message, plus a close or error and wake-ups, and the
 * server cannot make the agent buffer more than one frame. Once the session is
 * over ({@link #discardMessages}) messages are dropped while the close completes.
 *
 * <p>Thread safe: callbacks arrive sequentially on the HTTP client's threads; the
 * reader polls from its own.
 */
final class WebSocketInbox implements WebSocket.Listener {

    /** What the reader thread is told. */
    sealed interface Inbound {
        /** A whole binary message. */
        record Message(byte[] frame) implements Inbound {
        }

        /** A ping or pong: the server is alive. The JDK answers pings itself. */
        record Activity() implements Inbound {
        }

        /** The server closed the connection. */
        record Closed(int code, String reason) implements Inbound {
        }

        /** The connection failed (I/O error, or the JDK found a framing error). */
        record Errored(Throwable error) implements Inbound {
        }

        /** The server broke the protocol in a way the listener sees (text frame, oversized frame). */
        record Broken(ProtocolException exception) implements Inbound {
        }

        /** Nothing arrived; the session state changed (it ended). */
        record Wakeup() implements Inbound {
        }
    }

    private final BlockingQueue<Inbound> queue = new LinkedBlockingQueue<>();
    private final FrameAssembler assembler;
    private final CompletableFuture<Void> inputClosed = new CompletableFuture<>();
    /** Set once by the reader when the session ends; read by the listener callbacks. */
    private volatile boolean discarding;

    WebSocketInbox(int maxFrameBytes) {
        this.assembler = new FrameAssembler(maxFrameBytes);
    }

    /** The next event, or null when none arrived within {@code timeoutNanos}. */
    Inbound poll(long timeoutNanos) throws InterruptedException {
        return queue.poll(Math.max(0, timeoutNanos), TimeUnit.NANOSECONDS);
    }

    void wakeup() {
        queue.add(new Inbound.Wakeup());
    }

    /** From now on messages are dropped; closes and errors still complete {@link #inputClosed()}. */
    void discardMessages() {
        discarding = true;
    }

    /** Completes when the server's close or a connection error arrived. */
    CompletableFuture<Void> inputClosed() {
        return inputClosed;
    }

    @Override
    public void onOpen(WebSocket socket) {
        socket.request(1);
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket socket, ByteBuffer data, boolean last) {
        if (discarding) {
            socket.request(1);
            return null;
        }
        try {
            byte[] frame = assembler.append(data, last);
            if (frame == null) {
                socket.request(1);
            } else {
                queue.add(new Inbound.Message(frame));
            }
        } catch (ProtocolException e) {
            // No request: the session ends, and the rest of the message is discarded.
            queue.add(new Inbound.Broken(e));
        }
        return null;
    }

    @Override
    public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
        if (discarding) {
            socket.request(1);
            return null;
        }
        queue.add(new Inbound.Broken(FrameCodec.textFrame()));
        return null;
    }

    @Override
    public CompletionStage<?> onPing(WebSocket socket, ByteBuffer message) {
        return activity(socket);
    }

    @Override
    public CompletionStage<?> onPong(WebSocket socket, ByteBuffer message) {
        return activity(socket);
    }

    private CompletionStage<?> activity(WebSocket socket) {
        if (discarding) {
            socket.request(1);
        } else {
            queue.add(new Inbound.Activity());
        }
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket socket, int statusCode, String reason) {
        queue.add(new Inbound.Closed(statusCode, reason));
        inputClosed.complete(null);
        return null;
    }

    @Override
    public void onError(WebSocket socket, Throwable error) {
        queue.add(new Inbound.Errored(error));
        inputClosed.complete(null);
    }
}
