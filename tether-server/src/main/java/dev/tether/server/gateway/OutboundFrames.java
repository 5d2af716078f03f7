package dev.tether.server.gateway;

import com.google.protobuf.CodedOutputStream;
import dev.tether.protocol.v1.Envelope;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.io.IOException;

/**
 * Encodes envelopes for the agent straight into Netty buffers (pooled, direct where the transport wants
 * them), without the {@code byte[]} of {@code toByteArray}, each as a whole binary WebSocket frame: the
 * {@link ServerFrames} header, then the envelope, in one buffer.
 *
 * <p>The envelope answering a heartbeat, which a dense node writes tens of thousands of times a second, is
 * written without building protobuf objects at all. Its bytes are exactly what {@code Envelope.newBuilder()
 * .setAck(ack).setTsMs(tsMs).setHeartbeatAck(HeartbeatAck.getDefaultInstance()).build().toByteArray()} gives
 * (fields in number order, zero values left out, as protobuf's Java encoder writes them): {@code ack} (field
 * 2, varint), {@code ts_ms} (field 3, varint), then {@code heartbeat_ack} (field 201, an empty message: its
 * tag and length 0). A test holds it to that. Its payload is at most 25 bytes, so its frame header is two.
 *
 * <p>Stateless; thread safe.
 */
final class OutboundFrames {

    private static final int ACK_TAG = 2 << 3;
    private static final int TS_MS_TAG = 3 << 3;
    /** Field 201, wire type 2 (length-delimited), as a two-byte varint, then the length 0. */
    private static final byte[] EMPTY_HEARTBEAT_ACK = {(byte) 0xCA, 0x0C, 0x00};

    private OutboundFrames() {
    }

    /** The envelope's frame in a buffer from {@code alloc}, which the caller owns. */
    static ByteBuf envelope(ByteBufAllocator alloc, Envelope envelope) {
        int size = envelope.getSerializedSize();
        ByteBuf out = ServerFrames.binary(alloc, size);
        int start = out.writerIndex();
        try {
            CodedOutputStream coded = CodedOutputStream.newInstance(out.nioBuffer(start, size));
            envelope.writeTo(coded);
            coded.checkNoSpaceLeft();
            return out.writerIndex(start + size);
        } catch (IOException | RuntimeException e) {
            out.release();
            throw new IllegalStateException("an envelope of " + size + " bytes did not encode into as many", e);
        }
    }

    /**
     * The frame of a heartbeat's answer carrying {@code ack} and {@code tsMs}, in a buffer from {@code alloc} the
     * caller owns.
     */
    static ByteBuf heartbeatAck(ByteBufAllocator alloc, long ack, long tsMs) {
        int size = (ack == 0 ? 0 : 1 + varintBytes(ack)) + (tsMs == 0 ? 0 : 1 + varintBytes(tsMs))
                + EMPTY_HEARTBEAT_ACK.length;
        ByteBuf out = ServerFrames.binary(alloc, size);
        if (ack != 0) {
            out.writeByte(ACK_TAG);
            writeVarint(out, ack);
        }
        if (tsMs != 0) {
            out.writeByte(TS_MS_TAG);
            writeVarint(out, tsMs);
        }
        return out.writeBytes(EMPTY_HEARTBEAT_ACK);
    }

    /** Bytes of {@code value} as an unsigned varint: 7 bits a byte. */
    static int varintBytes(long value) {
        return value == 0 ? 1 : (64 - Long.numberOfLeadingZeros(value) + 6) / 7;
    }

    private static void writeVarint(ByteBuf out, long value) {
        while ((value & ~0x7FL) != 0) {
            out.writeByte((int) (value & 0x7F) | 0x80);
            value >>>= 7;
        }
        out.writeByte((int) value);
    }
}
