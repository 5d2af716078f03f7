package dev.tether.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;

/**
 * Whatever bytes arrive, the heartbeat fast path either steps aside (null) or reads exactly the envelope the
 * full decode reads, and never one the full decode refuses. Regression inputs:
 * {@code src/test/resources/dev/tether/protocol/HeartbeatReaderFuzzTestInputs/}.
 */
class HeartbeatReaderFuzzTest {

    private static final FrameCodec FROM_AGENT = FrameCodec.receivingFrom(Peer.AGENT, 64 * 1024);

    @FuzzTest(maxDuration = "10s")
    void anyFrameTheFastPathReadsIsTheEnvelopeTheFullDecodeReads(byte[] frame) throws ProtocolException {
        FrameCodec.HeartbeatFrame fast = FROM_AGENT.decodeHeartbeat(ByteBuffer.wrap(frame));
        if (fast != null) {
            assertThat(fast.envelope()).isEqualTo(FROM_AGENT.decode(frame).envelope());
        }
    }
}
