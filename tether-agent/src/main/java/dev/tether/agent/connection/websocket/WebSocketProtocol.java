package dev.tether.agent.connection.websocket;

/**
 * RFC 6455 as the agent's client speaks it, in one place: the frame header's bits, the opcodes, the
 * control-frame bound, and which close codes a peer may send (the handshake's accept is the protocol module's
 * {@link dev.tether.protocol.WebSocketAccept}).
 * Stateless.
 */
final class WebSocketProtocol {

    /** First header byte: the last frame of a message. */
    static final int FIN = 0x80;
    /** First header byte: RSV1-3, only meaningful with an extension; the agent negotiates none. */
    static final int RESERVED_BITS = 0x70;
    static final int OPCODE_BITS = 0x0F;
    /** Second header byte: a masked payload (client to server only). */
    static final int MASKED = 0x80;
    static final int LENGTH_BITS = 0x7F;
    /** Length field values meaning "a 16-bit length follows" and "a 64-bit length follows". */
    static final int LENGTH_16 = 126;
    static final int LENGTH_64 = 127;

    static final int CONTINUATION = 0x0;
    static final int TEXT = 0x1;
    static final int BINARY = 0x2;
    static final int CLOSE = 0x8;
    static final int PING = 0x9;
    static final int PONG = 0xA;

    /** Largest payload of a control frame (close, ping, pong). */
    static final int MAX_CONTROL_PAYLOAD = 125;
    /** Reported for a close frame without a status code; never sent. */
    static final int NO_STATUS = 1005;

    /** Largest upgrade response head (status line and headers) the client reads. */
    static final int MAX_RESPONSE_HEAD_BYTES = 8 * 1024;

    private WebSocketProtocol() {
    }

    /**
     * Whether a peer may send this close code (RFC 6455 7.4): the defined codes except those reserved for
     * reporting (1005, 1006, 1015), the registered 1012-1014, and 3000-4999 for libraries and applications.
     */
    static boolean sendableCloseCode(int code) {
        return code >= 1000 && code <= 1003 || code >= 1007 && code <= 1014 || code >= 3000 && code <= 4999;
    }

    static boolean control(int opcode) {
        return (opcode & 0x8) != 0;
    }
}
