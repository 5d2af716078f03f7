package dev.tether.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.UnknownFieldSet;
import dev.tether.protocol.v1.AgentEvent;
import dev.tether.protocol.v1.Ack;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.Heartbeat;
import dev.tether.protocol.v1.Welcome;
import org.junit.jupiter.api.Test;

class FrameCodecTest {

    private final FrameCodec fromAgent = FrameCodec.receivingFrom(Peer.AGENT);

    @Test
    void roundTripsALiveEnvelope() throws ProtocolException {
        Envelope heartbeat = Envelope.newBuilder().setAck(7).setHeartbeat(Heartbeat.newBuilder().setCpuPercent(12.5)).build();

        FrameCodec.Decoded decoded = fromAgent.decode(FrameCodec.encode(heartbeat));

        assertThat(decoded.envelope()).isEqualTo(heartbeat);
        assertThat(decoded.unknownPayload()).isFalse();
    }

    @Test
    void frameOverTheLimitClosesWithMessageTooBig() {
        FrameCodec small = FrameCodec.receivingFrom(Peer.AGENT, 16);

        assertThatThrownBy(() -> small.decode(new byte[17]))
                .isInstanceOfSatisfying(ProtocolException.class,
                        e -> assertThat(e.closeCode()).isEqualTo(CloseCodes.MESSAGE_TOO_BIG));
    }

    @Test
    void malformedBytesCloseWithInvalidPayload() {
        byte[] garbage = {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01, 0x02};

        assertThatThrownBy(() -> fromAgent.decode(garbage))
                .isInstanceOfSatisfying(ProtocolException.class,
                        e -> assertThat(e.closeCode()).isEqualTo(CloseCodes.INVALID_PAYLOAD));
    }

    @Test
    void emptyFrameIsInvalid() {
        assertThatThrownBy(() -> fromAgent.decode(new byte[0]))
                .isInstanceOfSatisfying(ProtocolException.class,
                        e -> assertThat(e.closeCode()).isEqualTo(CloseCodes.INVALID_PAYLOAD));
    }

    @Test
    void aSeqOrAckOf2To63OrMoreIsRefused() {
        Envelope hugeSeq = Envelope.newBuilder().setSeq(-5).setAgentEvent(AgentEvent.newBuilder().setType("e"))
                .build();
        Envelope hugeAck = Envelope.newBuilder().setAck(Long.MIN_VALUE)
                .setHeartbeat(Heartbeat.getDefaultInstance()).build();

        for (Envelope envelope : new Envelope[] {hugeSeq, hugeAck}) {
            assertThatThrownBy(() -> fromAgent.decode(FrameCodec.encode(envelope)))
                    .isInstanceOfSatisfying(ProtocolException.class, e ->
                            assertThat(e.closeCode()).isEqualTo(CloseCodes.PROTOCOL_ERROR));
        }
    }

    @Test
    void agentMayNotSendServerPayloads() {
        Envelope welcome = Envelope.newBuilder().setWelcome(Welcome.getDefaultInstance()).build();

        assertThatThrownBy(() -> fromAgent.decode(FrameCodec.encode(welcome)))
                .isInstanceOfSatisfying(ProtocolException.class, e -> {
                    assertThat(e.closeCode()).isEqualTo(CloseCodes.PROTOCOL_ERROR);
                    assertThat(e.getMessage()).contains("agent may not send welcome");
                });
    }

    @Test
    void sharedPayloadsAreAcceptedFromEitherSide() throws ProtocolException {
        Envelope ack = Envelope.newBuilder().setAck(3).setAckOnly(Ack.getDefaultInstance()).build();

        assertThat(fromAgent.decode(FrameCodec.encode(ack)).envelope().getAck()).isEqualTo(3);
        assertThat(FrameCodec.receivingFrom(Peer.SERVER).decode(FrameCodec.encode(ack)).envelope().getAck()).isEqualTo(3);
    }

    @Test
    void reliablePayloadWithoutSeqIsRefused() {
        Envelope event = Envelope.newBuilder().setAgentEvent(AgentEvent.newBuilder().setType("x")).build();

        assertThatThrownBy(() -> fromAgent.decode(FrameCodec.encode(event)))
                .hasMessageContaining("needs a seq");
    }

    @Test
    void livePayloadWithSeqIsRefused() {
        Envelope heartbeat = Envelope.newBuilder().setSeq(4).setHeartbeat(Heartbeat.getDefaultInstance()).build();

        assertThatThrownBy(() -> fromAgent.decode(FrameCodec.encode(heartbeat)))
                .hasMessageContaining("must not carry a seq");
    }

    @Test
    void unknownPayloadFromTheSendersOwnRangeIsIgnorable() throws ProtocolException {
        Envelope fromNewerAgent = withUnknownPayload(150, 9);

        FrameCodec.Decoded decoded = fromAgent.decode(FrameCodec.encode(fromNewerAgent));

        assertThat(decoded.unknownPayload()).isTrue();
        assertThat(decoded.envelope().getSeq()).isEqualTo(9);
    }

    @Test
    void unknownPayloadFromTheOtherRangeIsRefused() {
        Envelope claimsServerPayload = withUnknownPayload(250, 0);

        assertThatThrownBy(() -> fromAgent.decode(FrameCodec.encode(claimsServerPayload)))
                .isInstanceOfSatisfying(ProtocolException.class,
                        e -> assertThat(e.closeCode()).isEqualTo(CloseCodes.PROTOCOL_ERROR));
    }

    @Test
    void closeReasonsAreTrimmedToFitAControlFrame() {
        String reason = "é".repeat(100);

        String fitted = CloseCodes.fitReason(reason);

        assertThat(fitted.getBytes(java.nio.charset.StandardCharsets.UTF_8).length)
                .isLessThanOrEqualTo(Limits.MAX_CLOSE_REASON_BYTES);
        assertThat(reason).startsWith(fitted);
    }

    private static Envelope withUnknownPayload(int field, long seq) {
        UnknownFieldSet unknown = UnknownFieldSet.newBuilder()
                .addField(field, UnknownFieldSet.Field.newBuilder()
                        .addLengthDelimited(com.google.protobuf.ByteString.copyFromUtf8("future")).build())
                .build();
        return Envelope.newBuilder().setSeq(seq).setUnknownFields(unknown).build();
    }
}
