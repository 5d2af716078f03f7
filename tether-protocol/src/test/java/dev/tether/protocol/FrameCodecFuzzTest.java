package dev.tether.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tether.protocol.v1.Envelope;
import java.util.Set;

/**
 * Whatever bytes arrive, the agent-frame decoder either returns an envelope
 * the receiving side may accept or refuses with a {@link ProtocolException}
 * carrying one of the close codes for bad input; nothing else escapes.
 * Regression inputs: {@code src/test/resources/dev/tether/protocol/FrameCodecFuzzTestInputs/}.
 */
class FrameCodecFuzzTest {

    private static final Set<Integer> BAD_INPUT_CODES = Set.of(CloseCodes.PROTOCOL_ERROR,
            CloseCodes.INVALID_PAYLOAD, CloseCodes.MESSAGE_TOO_BIG);
    private static final FrameCodec FROM_AGENT = FrameCodec.receivingFrom(Peer.AGENT, 64 * 1024);
    private static final FrameCodec FROM_SERVER = FrameCodec.receivingFrom(Peer.SERVER, 64 * 1024);

    @FuzzTest(maxDuration = "10s")
    void anyFrameDecodesToAnAllowedEnvelopeOrIsRefusedWithABadInputCode(byte[] frame) {
        check(FROM_AGENT, Peer.AGENT, frame);
        check(FROM_SERVER, Peer.SERVER, frame);
    }

    private static void check(FrameCodec codec, Peer sender, byte[] frame) {
        try {
            FrameCodec.Decoded decoded = codec.decode(frame);
            Envelope envelope = decoded.envelope();
            if (!decoded.unknownPayload() && envelope.getPayloadCase() != Envelope.PayloadCase.PAYLOAD_NOT_SET) {
                assertThat(sender.maySend(envelope.getPayloadCase().getNumber()))
                        .as("%s accepted from %s", envelope.getPayloadCase(), sender).isTrue();
                assertThat(envelope.getSeq() > 0).as("seq only on reliable payloads")
                        .isEqualTo(Payloads.isReliable(envelope));
            }
        } catch (ProtocolException refused) {
            assertThat(BAD_INPUT_CODES).contains(refused.closeCode());
            assertThat(refused.closeReason()).isNotBlank();
        }
    }
}
