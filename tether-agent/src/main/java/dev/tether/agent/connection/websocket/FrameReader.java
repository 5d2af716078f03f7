package dev.tether.agent.connection.websocket;

import static dev.tether.agent.connection.websocket.WebSocketProtocol.BINARY;
import static dev.tether.agent.connection.websocket.WebSocketProtocol.CLOSE;
import static dev.tether.agent.connection.websocket.WebSocketProtocol.CONTINUATION;
import static dev.tether.agent.connection.websocket.WebSocketProtocol.FIN;
import static dev.tether.agent.connection.websocket.WebSocketProtocol.LENGTH_16;
import static dev.tether.agent.connection.websocket.WebSocketProtocol.LENGTH_64;
import static dev.tether.agent.connection.websocket.WebSocketProtocol.LENGTH_BITS;
import static dev.tether.agent.connection.websocket.WebSocketProtocol.MASKED;
import static dev.tether.agent.connection.websocket.WebSocketProtocol.MAX_CONTROL_PAYLOAD;
import static dev.tether.agent.connection.websocket.WebSocketProtocol.OPCODE_BITS;
import static dev.tether.agent.connection.websocket.WebSocketProtocol.PING;
import static dev.tether.agent.connection.websocket.WebSocketProtocol.PONG;
import static dev.tether.agent.connection.websocket.WebSocketProtocol.RESERVED_BITS;
import static dev.tether.agent.connection.websocket.WebSocketProtocol.TEXT;

import dev.tether.agent.connection.websocket.WebSocket.Inbound;
import dev.tether.protocol.CloseCodes;
import dev.tether.protocol.FrameCodec;
import dev.tether.protocol.ProtocolException;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads the server's frames (RFC 6455 section 5) and joins fragmented binary messages. A message's size is
 * checked against the limit from each frame's header, before anything is allocated for it, so a huge or
 * hostile length costs nothing. Pings are answered through {@link Pong} before the next frame is read.
 *
 * <p>Refused, each with its close code: text frames (1003), set reserved bits, unknown opcodes, masked frames,
 * fragmented or over-125-byte control frames, lengths with the top bit set, continuations of nothing, a new
 * message inside a fragmented one, close codes a peer may not send (1002), a close reason that is not UTF-8
 * (1007), a message over the limit (1009).
 *
 * <p>Not thread safe: owned by the connection's reader thread.
 */
final class FrameReader {

    /** Answers a ping with a pong carrying its payload. */
    interface Pong {
        void send(byte[] payload) throws IOException;
    }

    private static final Inbound.Activity ACTIVITY = new Inbound.Activity();

    private final InputStream in;
    private final int maxMessageBytes;
    private final Pong pong;
    private final byte[] header = new byte[8];
    /** The fragments of the message in progress; null between messages. */
    private byte[] partial;
    private int partialSize;

    FrameReader(InputStream in, int maxMessageBytes, Pong pong) {
        this.in = in;
        this.maxMessageBytes = maxMessageBytes;
        this.pong = pong;
    }

    /** Reads frames until a whole message, a ping or pong, or a close. */
    Inbound next() throws IOException, ProtocolException {
        while (true) {
            Inbound inbound = frame();
            if (inbound != null) {
                return inbound;
            }
        }
    }

    /** One frame: what it completes, or null for a fragment. */
    private Inbound frame() throws IOException, ProtocolException {
        readFully(header, 0, 2, true);
        int first = header[0] & 0xFF;
        int second = header[1] & 0xFF;
        if ((first & RESERVED_BITS) != 0) {
            throw protocolError("a frame with reserved bits set (no extension was negotiated)");
        }
        if ((second & MASKED) != 0) {
            throw protocolError("a masked frame from the server (RFC 6455 5.1: a server must not mask)");
        }
        boolean fin = (first & FIN) != 0;
        int opcode = first & OPCODE_BITS;
        long length = length(second & LENGTH_BITS);
        return switch (opcode) {
            case BINARY, CONTINUATION -> data(opcode, fin, length);
            case TEXT -> throw FrameCodec.textFrame();
            case CLOSE, PING, PONG -> control(opcode, fin, length);
            default -> throw protocolError("a frame with the unknown opcode " + opcode);
        };
    }

    private long length(int field) throws IOException, ProtocolException {
        if (field == LENGTH_16) {
            readFully(header, 0, 2, false);
            return ((header[0] & 0xFF) << 8) | (header[1] & 0xFF);
        }
        if (field == LENGTH_64) {
            readFully(header, 0, 8, false);
            long length = ByteBuffer.wrap(header).getLong();
            if (length < 0) {
                throw protocolError("a frame length with the top bit set");
            }
            return length;
        }
        return field;
    }

    private Inbound data(int opcode, boolean fin, long length) throws IOException, ProtocolException {
        if (opcode == BINARY && partial != null) {
            throw protocolError("a new message began before the fragmented one ended");
        }
        if (opcode == CONTINUATION && partial == null) {
            throw protocolError("a continuation frame with no message to continue");
        }
        long total = partialSize + length;
        if (total > maxMessageBytes) {
            throw new ProtocolException(CloseCodes.MESSAGE_TOO_BIG,
                    "frame of " + (fin ? "" : "more than ") + total + " bytes exceeds the limit of " + maxMessageBytes);
        }
        if (fin && partial == null) {
            byte[] message = new byte[(int) length];
            readFully(message, 0, message.length, false);
            return new Inbound.Message(message);
        }
        ensureRoom((int) total);
        readFully(partial, partialSize, (int) length, false);
        partialSize = (int) total;
        if (!fin) {
            return null;
        }
        byte[] message = partial.length == partialSize ? partial : Arrays.copyOf(partial, partialSize);
        partial = null;
        partialSize = 0;
        return new Inbound.Message(message);
    }

    private void ensureRoom(int needed) {
        if (partial == null) {
            partial = new byte[Math.min(maxMessageBytes, Math.max(needed * 2, 4096))];
        } else if (partial.length < needed) {
            partial = Arrays.copyOf(partial, (int) Math.min(maxMessageBytes, Math.max(2L * partial.length, needed)));
        }
    }

    private Inbound control(int opcode, boolean fin, long length) throws IOException, ProtocolException {
        if (!fin) {
            throw protocolError("a fragmented control frame");
        }
        if (length > MAX_CONTROL_PAYLOAD) {
            throw protocolError("a control frame of " + length + " bytes (at most " + MAX_CONTROL_PAYLOAD + ")");
        }
        byte[] payload = new byte[(int) length];
        readFully(payload, 0, payload.length, false);
        return switch (opcode) {
            case PING -> {
                pong.send(payload);
                yield ACTIVITY;
            }
            case PONG -> ACTIVITY;
            default -> closed(payload);
        };
    }

    private static Inbound closed(byte[] payload) throws ProtocolException {
        if (payload.length == 0) {
            return new Inbound.Closed(WebSocketProtocol.NO_STATUS, "");
        }
        if (payload.length == 1) {
            throw protocolError("a close frame with a 1-byte payload");
        }
        int code = ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF);
        if (!WebSocketProtocol.sendableCloseCode(code)) {
            throw protocolError("a close frame with the code " + code + ", which no peer may send");
        }
        try {
            String reason = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(payload, 2, payload.length - 2)).toString();
            return new Inbound.Closed(code, reason);
        } catch (CharacterCodingException e) {
            throw new ProtocolException(CloseCodes.INVALID_PAYLOAD, "a close reason that is not UTF-8");
        }
    }

    private void readFully(byte[] into, int offset, int length, boolean frameStart) throws IOException {
        int done = 0;
        while (done < length) {
            int read = in.read(into, offset + done, length - done);
            if (read < 0) {
                throw new EOFException(frameStart && done == 0
                        ? "the server ended the connection without a close frame"
                        : "the server's stream ended in the middle of a frame");
            }
            done += read;
        }
    }

    private static ProtocolException protocolError(String reason) {
        return new ProtocolException(CloseCodes.PROTOCOL_ERROR, reason);
    }
}
