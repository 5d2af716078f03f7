package dev.tether.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.CodedOutputStream;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.Heartbeat;
import dev.tether.protocol.v1.HeartbeatAck;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The heartbeat fast path decides as the full decode does: every heartbeat protobuf writes is read to the same
 * envelope, and for any other bytes it either gives the same envelope or steps aside (null).
 */
class HeartbeatReaderTest {

    private static final FrameCodec FROM_AGENT = FrameCodec.receivingFrom(Peer.AGENT);
    private static final FrameCodec FROM_SERVER = FrameCodec.receivingFrom(Peer.SERVER);
    private static final long[] EDGES = {0, 1, 127, 128, 16_383, 16_384, Integer.MAX_VALUE, 1L << 32,
            (1L << 56) - 1, 1L << 56, Long.MAX_VALUE, Long.MIN_VALUE, -1};

    @Test
    void everyHeartbeatProtobufWritesBelowTwoToTheSixtyThreeIsReadAsTheFullDecodeReadsIt() throws Exception {
        Random random = new Random(15);
        for (int i = 0; i < 50_000; i++) {
            Envelope envelope = randomHeartbeat(random, false);
            byte[] frame = envelope.toByteArray();

            FrameCodec.HeartbeatFrame fast = FROM_AGENT.decodeHeartbeat(ByteBuffer.wrap(frame));

            assertThat(fast).as("%s", envelope).isNotNull();
            assertThat(fast.envelope()).isEqualTo(FROM_AGENT.decode(frame).envelope()).isEqualTo(envelope);
        }
    }

    @Test
    void anyMutatedHeartbeatIsEitherReadAsTheFullDecodeReadsItOrLeftToIt() {
        Random random = new Random(16);
        int read = 0;
        for (int i = 0; i < 200_000; i++) {
            byte[] frame = mutate(random, randomHeartbeat(random, true).toByteArray());
            read += agreesWithTheFullDecode(frame) ? 1 : 0;
        }
        // Most mutations leave a readable heartbeat behind, so the comparison above was not always vacuous.
        assertThat(read).isGreaterThan(10_000);
    }

    @Test
    void theFrameIsReadFromItsPositionInAnyByteOrderAndLeftUnmoved() {
        Envelope envelope = Envelope.newBuilder().setAck(9).setHeartbeat(Heartbeat.newBuilder().setCpuPercent(12.5)
                .setOutboxDepth(3)).build();
        byte[] bytes = envelope.toByteArray();
        ByteBuffer frame = ByteBuffer.allocateDirect(bytes.length + 4).order(ByteOrder.LITTLE_ENDIAN);
        frame.put(new byte[] {1, 2}).put(bytes).put(new byte[] {3, 4}).position(2).limit(2 + bytes.length);

        FrameCodec.HeartbeatFrame fast = FROM_AGENT.decodeHeartbeat(frame);

        assertThat(fast.envelope()).isEqualTo(envelope);
        assertThat(frame.position()).isEqualTo(2);
    }

    @Test
    void aHeartbeatTheSenderMayNotSendIsLeftToTheFullDecodeWhichRefusesIt() {
        byte[] frame = Envelope.newBuilder().setHeartbeat(Heartbeat.getDefaultInstance()).build().toByteArray();

        assertThat(FROM_SERVER.decodeHeartbeat(ByteBuffer.wrap(frame))).isNull();
        assertThatThrownBy(() -> FROM_SERVER.decode(frame)).isInstanceOf(ProtocolException.class);
    }

    @Test
    void otherEnvelopesAndHeartbeatsWithMoreThanTheUsualShapeAreLeftToTheFullDecode() throws Exception {
        Heartbeat beat = Heartbeat.newBuilder().setUptimeS(5).build();
        assertThat(fast(Envelope.newBuilder().setHeartbeatAck(HeartbeatAck.getDefaultInstance()).build())).isNull();
        assertThat(fast(Envelope.newBuilder().setSeq(1).setHeartbeat(beat).build())).isNull();
        assertThat(fast(Envelope.newBuilder().setCorrelationId("c").setHeartbeat(beat).build())).isNull();
        assertThat(fast(Envelope.newBuilder().setStamp(7).setHeartbeat(beat).build())).isNull();
        assertThat(fast(Envelope.newBuilder().setAck(-1).setHeartbeat(beat).build())).isNull();
        assertThat(fast(Envelope.newBuilder().setHeartbeat(beat.toBuilder().setOutboxDepth(-1)).build())).isNull();
        byte[] twice = concat(Envelope.newBuilder().setHeartbeat(beat).build().toByteArray(),
                Envelope.newBuilder().setHeartbeat(beat).build().toByteArray());
        assertThat(FROM_AGENT.decodeHeartbeat(ByteBuffer.wrap(twice))).isNull();
        assertThat(FROM_AGENT.decodeHeartbeat(ByteBuffer.wrap(new byte[0]))).isNull();
    }

    @Test
    void aHeartbeatWithAnUnknownFieldIsLeftToTheFullDecodeWhichKeepsTheField() throws Exception {
        ByteArrayOutputStream inner = new ByteArrayOutputStream();
        CodedOutputStream coded = CodedOutputStream.newInstance(inner);
        coded.writeUInt64(7, 5);
        coded.writeUInt64(15, 1);
        coded.flush();
        byte[] frame = heartbeatEnvelope(inner.toByteArray());

        assertThat(FROM_AGENT.decodeHeartbeat(ByteBuffer.wrap(frame))).isNull();
        assertThat(FROM_AGENT.decode(frame).envelope().getHeartbeat().getUnknownFields().asMap()).containsKey(15);
    }

    /** Whether the fast path read the frame; fails when it read it differently from the full decode. */
    private static boolean agreesWithTheFullDecode(byte[] frame) {
        FrameCodec.HeartbeatFrame fast = FROM_AGENT.decodeHeartbeat(ByteBuffer.wrap(frame));
        if (fast == null) {
            return false;
        }
        try {
            assertThat(fast.envelope()).as("bytes %s", Arrays.toString(frame))
                    .isEqualTo(FROM_AGENT.decode(frame).envelope());
        } catch (ProtocolException refused) {
            throw new AssertionError("read a frame the full decode refuses (" + refused.getMessage() + "): "
                    + Arrays.toString(frame));
        }
        return true;
    }

    private static FrameCodec.HeartbeatFrame fast(Envelope envelope) {
        return FROM_AGENT.decodeHeartbeat(ByteBuffer.wrap(envelope.toByteArray()));
    }

    static Envelope randomHeartbeat(Random random, boolean anyValue) {
        Heartbeat.Builder beat = Heartbeat.newBuilder();
        if (random.nextBoolean()) {
            beat.setCpuPercent(random.nextInt(4) == 0 ? Double.longBitsToDouble(random.nextLong())
                    : random.nextDouble() * 100);
        }
        if (random.nextBoolean()) {
            beat.setMemUsedBytes(value(random, anyValue)).setMemTotalBytes(value(random, anyValue));
        }
        if (random.nextBoolean()) {
            beat.setDiskUsedBytes(value(random, anyValue)).setDiskTotalBytes(value(random, anyValue));
        }
        if (random.nextBoolean()) {
            beat.setOutboxDepth(value(random, anyValue));
        }
        beat.setUptimeS(value(random, anyValue));
        if (random.nextBoolean()) {
            beat.setShellSessions((int) value(random, true));
        }
        if (random.nextBoolean()) {
            beat.setShellBufferedPeakBytes(value(random, anyValue));
        }
        Envelope.Builder envelope = Envelope.newBuilder().setHeartbeat(beat);
        if (random.nextBoolean()) {
            envelope.setAck(value(random, anyValue));
        }
        if (random.nextBoolean()) {
            envelope.setTsMs(value(random, anyValue));
        }
        return envelope.build();
    }

    /** A uint64: an edge, or random bits of a random width; below 2^63 unless {@code anyValue}. */
    private static long value(Random random, boolean anyValue) {
        long value = random.nextInt(3) == 0 ? EDGES[random.nextInt(EDGES.length)]
                : random.nextLong() >>> random.nextInt(64);
        return anyValue ? value : value & Long.MAX_VALUE;
    }

    /** One to three byte flips, insertions, removals, truncations or extensions. */
    static byte[] mutate(Random random, byte[] frame) {
        byte[] out = frame;
        for (int n = 1 + random.nextInt(3); n > 0; n--) {
            int at = out.length == 0 ? 0 : random.nextInt(out.length);
            out = switch (random.nextInt(5)) {
                case 0 -> flip(out, at, random);
                case 1 -> concat(Arrays.copyOf(out, at), new byte[] {(byte) random.nextInt()},
                        Arrays.copyOfRange(out, at, out.length));
                case 2 -> out.length == 0 ? out : concat(Arrays.copyOf(out, at),
                        Arrays.copyOfRange(out, at + 1, out.length));
                case 3 -> Arrays.copyOf(out, at);
                default -> concat(out, new byte[] {(byte) random.nextInt(), (byte) random.nextInt()});
            };
        }
        return out;
    }

    private static byte[] flip(byte[] frame, int at, Random random) {
        if (frame.length == 0) {
            return frame;
        }
        byte[] out = frame.clone();
        out[at] ^= (byte) (1 << random.nextInt(8));
        return out;
    }

    private static byte[] heartbeatEnvelope(byte[] heartbeat) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CodedOutputStream coded = CodedOutputStream.newInstance(out);
        coded.writeByteArray(Envelope.HEARTBEAT_FIELD_NUMBER, heartbeat);
        coded.flush();
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
