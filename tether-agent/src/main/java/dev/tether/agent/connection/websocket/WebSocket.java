package dev.tether.agent.connection.websocket;

import dev.tether.protocol.ProtocolException;
import java.io.IOException;

/**
 * One open WebSocket to the server, binary messages only, read and written by blocking calls on the
 * caller's own threads: no selector, no worker pool, no queue in between.
 *
 * <p>Threads: one thread reads ({@link #receive}); any thread may send, one frame at a time (sends are
 * serialised). {@link #abort()} and {@link #writeStalled()} may be called from any thread.
 */
public interface WebSocket {

    /** What {@link #receive} returns. */
    sealed interface Inbound {
        /** A whole binary message, its fragments joined. */
        record Message(byte[] data) implements Inbound {
        }

        /** A ping (already answered) or a pong: the server is alive. */
        record Activity() implements Inbound {
        }

        /** The server's close frame ({@code 1005} when it carried no code). No frame follows. */
        record Closed(int code, String reason) implements Inbound {
        }
    }

    /**
     * Blocks until the next message, ping, pong or close, at most {@code timeoutNanos}.
     *
     * @throws java.net.SocketTimeoutException when nothing whole arrived in time
     * @throws ProtocolException when the server broke RFC 6455 or the frame limit; its code is the close code to
     *     send. The input is then unusable: every later call throws
     * @throws IOException when the connection failed or the server's stream ended
     */
    Inbound receive(long timeoutNanos) throws IOException, ProtocolException;

    /** Sends one binary message as one frame; blocks until the socket took it. */
    void sendBinary(byte[] message) throws IOException;

    /**
     * Sends binary messages, one frame each, in order, as one write where the implementation can: several small
     * frames then cost one system call instead of one each. Blocks until the socket took them all.
     */
    default void sendBinary(java.util.List<byte[]> messages) throws IOException {
        for (byte[] message : messages) {
            sendBinary(message);
        }
    }

    /** Sends a close frame with this code and reason (at most 123 bytes of UTF-8). */
    void sendClose(int code, String reason) throws IOException;

    /**
     * Whether a send has been blocked for longer than the write timeout (the peer stopped reading). The caller
     * then {@linkplain #abort() aborts}: a blocking socket has no write timeout of its own.
     */
    boolean writeStalled();

    /** The write timeout {@link #writeStalled()} applies. */
    java.time.Duration writeTimeout();

    /** Closes the connection at once, without a close frame; blocked reads and sends fail. Idempotent. */
    void abort();
}
