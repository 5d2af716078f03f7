package dev.tether.protocol;

import java.nio.charset.StandardCharsets;

/**
 * WebSocket close codes Tether uses, standard (RFC 6455) and its own (4000-4999).
 * Every connection ends with one of these and a short human-readable reason.
 */
public final class CloseCodes {

    /** Clean shutdown by either side. */
    public static final int NORMAL = 1000;
    /** The server or agent is stopping; reconnect later. */
    public static final int GOING_AWAY = 1001;
    /** A frame broke the protocol: wrong direction, seq gap or rewind, handshake out of order. */
    public static final int PROTOCOL_ERROR = 1002;
    /** A text frame: Tether speaks binary protobuf only. */
    public static final int UNSUPPORTED_DATA = 1003;
    /** A binary frame that is not a valid Envelope. */
    public static final int INVALID_PAYLOAD = 1007;
    /** The peer is not allowed to do this (rate or policy). */
    public static final int POLICY_VIOLATION = 1008;
    /** A frame over {@link Limits#MAX_FRAME_BYTES}. */
    public static final int MESSAGE_TOO_BIG = 1009;
    /** An unexpected failure on the closing side. */
    public static final int INTERNAL_ERROR = 1011;
    /** The server is overloaded; retry after a backoff. */
    public static final int TRY_AGAIN_LATER = 1013;

    /** Another connection of the same agent replaced this one. */
    public static final int REPLACED = 4001;
    /** The agent's key was revoked. */
    public static final int REVOKED = 4002;
    /** No protocol version both sides speak. */
    public static final int UNSUPPORTED_VERSION = 4003;
    /** Hello or Welcome did not arrive within {@link Limits#HANDSHAKE_TIMEOUT}. */
    public static final int HANDSHAKE_TIMEOUT = 4004;
    /** No frame for {@link Limits#MISSED_HEARTBEATS} heartbeat intervals. */
    public static final int DEAD_PEER = 4005;

    private CloseCodes() {
    }

    /** Trims a reason to what fits a close frame, never splitting a UTF-8 sequence. */
    public static String fitReason(String reason) {
        if (reason == null) {
            return "";
        }
        byte[] bytes = reason.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= Limits.MAX_CLOSE_REASON_BYTES) {
            return reason;
        }
        int end = Limits.MAX_CLOSE_REASON_BYTES;
        while (end > 0 && (bytes[end] & 0xC0) == 0x80) {
            end--;
        }
        return new String(bytes, 0, end, StandardCharsets.UTF_8);
    }
}
