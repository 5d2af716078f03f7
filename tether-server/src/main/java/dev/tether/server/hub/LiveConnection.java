package dev.tether.server.hub;

import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.Heartbeat;

/**
 * What the hub needs from one agent connection. Implementations are thread
 * safe: the hub calls them from its timers and from API threads.
 */
public interface LiveConnection {

    /** The authenticated agent this connection belongs to. */
    String agentId();

    /** {@link System#nanoTime()} when the WebSocket opened. */
    long openedNanos();

    /** The connection epoch its handshake took (see {@code Fence}); 0 before the handshake. */
    long epoch();

    /** Whether the handshake completed (Welcome sent). */
    boolean established();

    /** {@link System#nanoTime()} of the last frame received. */
    long lastFrameNanos();

    /** Wall clock (epoch millis) of the last frame received. */
    long lastSeenMillis();

    /** Wall clock (epoch millis) when the handshake completed; 0 before. */
    long connectedAtMillis();

    /** The last heartbeat received, or null before the first. */
    Heartbeat lastHeartbeat();

    /** Wall clock (epoch millis) when the last heartbeat arrived; 0 before the first. */
    long lastHeartbeatMillis();

    /** {@link System#nanoTime()} since which writes have been blocked by a full write queue; 0 when not blocked. */
    long writeBlockedSinceNanos();

    /** Ends the connection with this close code and reason; idempotent. */
    void close(int code, String reason);

    /**
     * Ends the connection as {@link #close} does unless a frame arrived after the one received at
     * {@code frameNanos} (its {@link #lastFrameNanos}). Judged where the connection reads its frames, after it
     * read what had arrived, so a peer whose frames wait unread behind a busy thread is not taken for silent.
     * Any thread; the judgement, and the close, may come later.
     */
    void closeIfSilentSince(long frameNanos, int code, String reason);

    /** Something was appended to the agent's outbox: send it. */
    void wake();

    /**
     * Writes a live payload (seq 0: shell traffic) to the agent now, carrying the
     * current ack; dropped when the connection has closed. Any thread.
     */
    void sendLive(Envelope envelope);
}
