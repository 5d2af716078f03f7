package dev.tether.server.gateway;

import dev.tether.protocol.CloseCodes;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;

/**
 * WebSocket frames as the server writes them to an agent (RFC 6455 section 5.2): final, unmasked (a server
 * never masks), no extensions, so a header is the opcode byte and the payload length in 7, 7+16 or 7+64 bits.
 * The agent's pipeline has no frame encoder: the bytes written to the channel are these frames, so a payload
 * is written once into a buffer that already holds its header, with no header buffer, copy or encoder hop
 * per write. Every write of {@link AgentSocket} goes through here.
 *
 * <p>Stateless; thread safe.
 */
final class ServerFrames {

    static final int OPCODE_BINARY = 0x2;
    static final int OPCODE_CLOSE = 0x8;
    static final int OPCODE_PONG = 0xA;
    private static final int FIN = 0x80;
    /** Payloads up to this length fit in the header's first length field. */
    private static final int MAX_SHORT_LENGTH = 125;
    private static final int LENGTH_16 = 126;
    private static final int LENGTH_64 = 127;

    private ServerFrames() {
    }

    /** Bytes of the header before a payload of {@code payloadLength}. */
    static int headerBytes(long payloadLength) {
        if (payloadLength <= MAX_SHORT_LENGTH) {
            return 2;
        }
        return payloadLength <= 0xFFFF ? 4 : 10;
    }

    /**
     * A buffer from {@code alloc} holding a binary frame's header for {@code payloadLength} bytes, with room for
     * exactly that payload after it, which the caller writes; the caller owns the buffer.
     */
    static ByteBuf binary(ByteBufAllocator alloc, int payloadLength) {
        int frameLength = headerBytes(payloadLength) + payloadLength;
        ByteBuf frame = alloc.buffer(frameLength, frameLength);
        writeHeader(frame, OPCODE_BINARY, payloadLength);
        return frame;
    }

    /** A pong carrying the ping's payload (at most 125 bytes, which the decoder enforces); reads it, keeps it. */
    static ByteBuf pong(ByteBufAllocator alloc, ByteBuf pingPayload) {
        int length = pingPayload.readableBytes();
        ByteBuf frame = alloc.buffer(headerBytes(length) + length);
        writeHeader(frame, OPCODE_PONG, length);
        return frame.writeBytes(pingPayload, pingPayload.readerIndex(), length);
    }

    /**
     * A close frame with {@code code} and {@code reason} (UTF-8, cut by {@link CloseCodes#fitReason} to what a
     * control frame leaves it); no reason when null.
     */
    static ByteBuf close(ByteBufAllocator alloc, int code, String reason) {
        byte[] text = CloseCodes.fitReason(reason).getBytes(StandardCharsets.UTF_8);
        ByteBuf frame = alloc.buffer(2 + 2 + text.length);
        writeHeader(frame, OPCODE_CLOSE, 2 + text.length);
        return frame.writeShort(code).writeBytes(text);
    }

    /** The payload length of a frame this class wrote, read from its header. */
    static long payloadBytes(ByteBuf frame) {
        int index = frame.readerIndex();
        int length = frame.getByte(index + 1) & 0x7F;
        if (length == LENGTH_16) {
            return frame.getUnsignedShort(index + 2);
        }
        return length == LENGTH_64 ? frame.getLong(index + 2) : length;
    }

    private static void writeHeader(ByteBuf frame, int opcode, long payloadLength) {
        frame.writeByte(FIN | opcode);
        if (payloadLength <= MAX_SHORT_LENGTH) {
            frame.writeByte((int) payloadLength);
        } else if (payloadLength <= 0xFFFF) {
            frame.writeByte(LENGTH_16).writeShort((int) payloadLength);
        } else {
            frame.writeByte(LENGTH_64).writeLong(payloadLength);
        }
    }
}
