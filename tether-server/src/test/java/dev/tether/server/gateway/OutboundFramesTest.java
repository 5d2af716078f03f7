package dev.tether.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.GoAway;
import dev.tether.protocol.v1.HeartbeatAck;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class OutboundFramesTest {

    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;

    @ParameterizedTest
    @CsvSource({"0, 0", "1, 1", "127, 128", "300, 1765432109876", "9223372036854775807, 9223372036854775807",
            "0, 1765432109876", "42, 0"})
    void aHeartbeatAckIsByteForByteWhatProtobufWrites(long ack, long tsMs) {
        byte[] expected = Envelope.newBuilder()
                .setHeartbeatAck(HeartbeatAck.getDefaultInstance())
                .setAck(ack)
                .setTsMs(tsMs)
                .build()
                .toByteArray();

        assertThat(bytes(OutboundFrames.heartbeatAck(alloc, ack, tsMs))).isEqualTo(binaryFrame(expected));
    }

    @Test
    void anEnvelopeIsEncodedWhole() {
        Envelope envelope = Envelope.newBuilder().setSeq(7).setAck(3).setTsMs(1765432109876L)
                .setCorrelationId("c-1").setGoAway(GoAway.newBuilder().setReason("moving")).build();

        assertThat(bytes(OutboundFrames.envelope(alloc, envelope))).isEqualTo(binaryFrame(envelope.toByteArray()));
    }

    @ParameterizedTest
    @CsvSource({"0", "1", "127", "128", "16383", "16384", "9223372036854775807", "-1"})
    void varintBytesCountsSevenBitsAByte(long value) throws Exception {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        com.google.protobuf.CodedOutputStream coded = com.google.protobuf.CodedOutputStream.newInstance(out);
        coded.writeUInt64NoTag(value);
        coded.flush();

        assertThat(OutboundFrames.varintBytes(value)).isEqualTo(out.size());
    }

    /** The payload behind a final, unmasked binary frame header of a length below 126. */
    private static byte[] binaryFrame(byte[] payload) {
        byte[] frame = new byte[2 + payload.length];
        frame[0] = (byte) 0x82;
        frame[1] = (byte) payload.length;
        System.arraycopy(payload, 0, frame, 2, payload.length);
        return frame;
    }

    private static byte[] bytes(ByteBuf buffer) {
        try {
            return ByteBufUtil.getBytes(buffer);
        } finally {
            buffer.release();
        }
    }
}
