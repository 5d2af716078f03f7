package dev.tether.server.gateway;

import dev.tether.protocol.CloseCodes;
import dev.tether.protocol.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Reads the WebSocket frames an agent sends (RFC 6455, section 5.2) from the bytes its socket delivers, inside
 * the agent's own handler: no frame decoder of its own in the pipeline, which a dense node paid for in every
 * idle agent (the decoder and its pipeline context, about 150 bytes).
 *
 * <p>Client frames only: every frame must be masked; no extension (reserved bits clear); opcodes continuation,
 * text, binary, close, ping and pong; a control frame is final and at most 125 bytes; a close frame's body is
 * empty or a valid status code with a UTF-8 reason; a length is in its shortest form, and a 64-bit one has its
 * top bit clear. A frame's length is
 * checked against the limit before any of its payload is kept. A violation is a {@link ProtocolException}
 * (1002, 1007 or 1009), after which, as after the agent's close frame, the reader takes no more frames.
 *
 * <p>A frame's payload is unmasked in place and handed over as a slice of the bytes read, not copied; bytes of
 * a frame not yet complete are kept until the next read (copied once, when they must be joined to it).
 *
 * <p>Not thread safe: owned by the channel's event loop.
 */
final class FrameReader {

    /** RFC 6455: the largest payload of a control frame. */
    static final int MAX_CONTROL_PAYLOAD = 125;

    private static final int OP_CONTINUATION = 0x0;
    private static final int OP_TEXT = 0x1;
    private static final int OP_BINARY = 0x2;
    private static final int OP_CLOSE = 0x8;
    private static final int OP_PING = 0x9;
    private static final int OP_PONG = 0xA;

    private final int maxPayloadBytes;
    /** Bytes read and not yet made into frames; null when there are none. */
    private ByteBuf pending;
    /** A close frame came, or the agent broke the protocol: whatever follows is dropped. */
    private boolean done;

    FrameReader(int maxPayloadBytes) {
        this.maxPayloadBytes = maxPayloadBytes;
    }

    /** Takes bytes read from the socket; they become the reader's (released here or with a frame). */
    void add(ByteBufAllocator alloc, ByteBuf bytes) {
        if (done) {
            bytes.release();
        } else if (bytes.isReadOnly()) {
            // Payloads are unmasked in place.
            ByteBuf copy = alloc.buffer(bytes.readableBytes()).writeBytes(bytes);
            bytes.release();
            add(alloc, copy);
        } else if (pending == null) {
            pending = bytes;
        } else {
            pending = ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(alloc, pending, bytes);
        }
    }

    /**
     * The next whole frame of the bytes added, which the caller must release; null until more bytes come.
     *
     * @throws ProtocolException when the agent broke the protocol; the reader is done then
     */
    WebSocketFrame next() throws ProtocolException {
        ByteBuf in = pending;
        if (in == null || done) {
            return null;
        }
        try {
            WebSocketFrame frame = decode(in);
            if (!in.isReadable()) {
                discard();
            }
            return frame;
        } catch (ProtocolException e) {
            stop();
            throw e;
        }
    }

    /** Drops the bytes held and takes no more; idempotent. */
    void stop() {
        done = true;
        discard();
    }

    private void discard() {
        if (pending != null) {
            pending.release();
            pending = null;
        }
    }

    private WebSocketFrame decode(ByteBuf in) throws ProtocolException {
        int start = in.readerIndex();
        int available = in.readableBytes();
        if (available < 2) {
            return null;
        }
        int first = in.getUnsignedByte(start);
        int second = in.getUnsignedByte(start + 1);
        boolean fin = (first & 0x80) != 0;
        int opcode = first & 0x0F;
        if ((first & 0x70) != 0) {
            throw violation("reserved bits set in a frame header (no extension was negotiated)");
        }
        if ((second & 0x80) == 0) {
            throw violation("unmasked frame from an agent (RFC 6455 requires clients to mask every frame)");
        }
        boolean control = (opcode & 0x08) != 0;
        if (control && opcode != OP_CLOSE && opcode != OP_PING && opcode != OP_PONG
                || !control && opcode > OP_BINARY) {
            throw violation("unknown frame opcode " + opcode);
        }
        int length7 = second & 0x7F;
        int header = 2 + (length7 == 126 ? 2 : length7 == 127 ? 8 : 0) + 4;
        if (available < header) {
            return null;
        }
        long length = length7 == 126 ? in.getUnsignedShort(start + 2)
                : length7 == 127 ? in.getLong(start + 2) : length7;
        if (length < 0) {
            throw violation("frame length with its most significant bit set");
        }
        if (length7 == 126 && length < 126 || length7 == 127 && length < 65_536) {
            throw violation("frame length not in its shortest form");
        }
        if (control && (!fin || length > MAX_CONTROL_PAYLOAD)) {
            throw violation("control frame fragmented or longer than " + MAX_CONTROL_PAYLOAD + " bytes");
        }
        if (length > maxPayloadBytes) {
            throw new ProtocolException(CloseCodes.MESSAGE_TOO_BIG,
                    "frame of " + length + " bytes exceeds the limit of " + maxPayloadBytes);
        }
        if (available - header < length) {
            return null;
        }
        int mask = in.getInt(start + header - 4);
        in.readerIndex(start + header);
        ByteBuf payload = in.readRetainedSlice((int) length);
        unmask(payload, mask);
        return switch (opcode) {
            case OP_CONTINUATION -> new ContinuationWebSocketFrame(fin, 0, payload);
            case OP_TEXT -> new TextWebSocketFrame(fin, 0, payload);
            case OP_BINARY -> new BinaryWebSocketFrame(fin, 0, payload);
            case OP_PING -> new PingWebSocketFrame(payload);
            case OP_PONG -> new PongWebSocketFrame(payload);
            default -> close(payload);
        };
    }

    /** The agent's close frame, its body checked; nothing after it is read. */
    private WebSocketFrame close(ByteBuf payload) throws ProtocolException {
        int length = payload.readableBytes();
        if (length == 1) {
            payload.release();
            throw violation("close frame with a one-byte body");
        }
        if (length >= 2) {
            int code = payload.getUnsignedShort(payload.readerIndex());
            if (!WebSocketCloseStatus.isValidStatusCode(code)) {
                payload.release();
                throw violation("close frame with the invalid status code " + code);
            }
            try {
                StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(payload.nioBuffer(payload.readerIndex() + 2, length - 2));
            } catch (CharacterCodingException e) {
                payload.release();
                throw new ProtocolException(CloseCodes.INVALID_PAYLOAD, "close frame reason is not UTF-8");
            }
        }
        done = true;
        return new CloseWebSocketFrame(true, 0, payload);
    }

    /** XORs the payload with the 4-byte mask, eight bytes at a time where it can. */
    private static void unmask(ByteBuf payload, int mask) {
        int index = payload.readerIndex();
        int end = payload.writerIndex();
        long mask8 = (mask & 0xFFFFFFFFL) << 32 | mask & 0xFFFFFFFFL;
        for (; index + 8 <= end; index += 8) {
            payload.setLong(index, payload.getLong(index) ^ mask8);
        }
        for (int i = 0; index < end; index++, i++) {
            payload.setByte(index, payload.getByte(index) ^ mask >>> 24 - 8 * (i & 3));
        }
    }

    private static ProtocolException violation(String message) {
        return new ProtocolException(CloseCodes.PROTOCOL_ERROR, message);
    }
}
