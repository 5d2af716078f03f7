package dev.tether.protocol;

import java.time.Duration;

/**
 * Every limit of the wire protocol, in one place. Where breaking a limit ends the
 * connection, the close code is named beside it (see {@link CloseCodes}).
 */
public final class Limits {

    /** Largest WebSocket message either side accepts; larger closes with {@link CloseCodes#MESSAGE_TOO_BIG}. */
    public static final int MAX_FRAME_BYTES = 1024 * 1024;

    /** From upgrade to Welcome; slower closes with {@link CloseCodes#HANDSHAKE_TIMEOUT}. */
    public static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(15);

    /** A single write that does not complete in time fails the connection. */
    public static final Duration WRITE_TIMEOUT = Duration.ofSeconds(10);

    /** Heartbeat interval the server sets in Welcome unless configured otherwise. */
    public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(30);

    /** A peer silent for this many heartbeat intervals is dead; closes with {@link CloseCodes#DEAD_PEER}. */
    public static final int MISSED_HEARTBEATS = 3;

    /** Reliable payloads a sender may have on the wire without an acknowledgement. */
    public static final int RELIABLE_WINDOW = 512;

    /**
     * Applied seqs a handshake may announce stay below this (2^62): no stream gets near it (146,000 years at a
     * million payloads a second), and the room above keeps {@code applied + window} and renumbering far from
     * overflow. A larger one closes with {@link CloseCodes#PROTOCOL_ERROR}.
     */
    public static final long MAX_RESUME_SEQ = 1L << 62;

    /** Default cap of concurrent shell sessions per agent. */
    public static final int DEFAULT_MAX_SHELL_SESSIONS = 8;

    /** Shell data is chunked to at most this many bytes per frame, well under {@link #MAX_FRAME_BYTES}. */
    public static final int SHELL_CHUNK_BYTES = 32 * 1024;

    /** Credit window per shell session and direction. */
    public static final int SHELL_WINDOW_BYTES = 256 * 1024;

    /** How long a detached shell session (no client, or no agent link) keeps its PTY before it is killed. */
    public static final Duration DEFAULT_SHELL_IDLE_TIMEOUT = Duration.ofMinutes(5);

    /** Output a shell session keeps for replay on re-attach. */
    public static final int DEFAULT_SHELL_SCROLLBACK_BYTES = 64 * 1024;

    /** Between SIGHUP/SIGTERM and SIGKILL when a shell session is closed. */
    public static final Duration SHELL_KILL_GRACE = Duration.ofSeconds(2);

    /** Largest terminal dimension accepted for rows or columns. */
    public static final int MAX_TERMINAL_DIMENSION = 1000;

    /** Length of a shell session id. */
    public static final int SHELL_SESSION_ID_BYTES = 16;

    /** Close reasons are UTF-8 and must fit a control frame (125 bytes less the 2-byte code). */
    public static final int MAX_CLOSE_REASON_BYTES = 123;

    /** Longest agent event type name. */
    public static final int MAX_EVENT_TYPE_LENGTH = 128;

    private Limits() {
    }
}
