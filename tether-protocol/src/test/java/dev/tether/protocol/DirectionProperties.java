package dev.tether.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.Envelope.PayloadCase;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * A payload type one side may not send is always refused by the other, with
 * 1002, whatever the rest of the envelope says; and every type a side may send
 * gets through its peer's decoder.
 */
class DirectionProperties {

    @Property
    void aPayloadFromTheOtherSidesRangeIsAlwaysRefused(@ForAll("payloads") PayloadCase payload,
            @ForAll("senders") Peer sender, @ForAll long seq, @ForAll long ack) {
        Envelope envelope = envelope(payload, Math.abs(seq % 1000), Math.abs(ack));
        FrameCodec receiver = FrameCodec.receivingFrom(sender);

        if (sender.maySend(payload.getNumber())) {
            return;
        }
        ProtocolException refused = catchThrowableOfType(ProtocolException.class,
                () -> receiver.decode(envelope.toByteArray()));
        assertThat(refused).as("%s from %s", payload, sender).isNotNull();
        assertThat(refused.closeCode()).isEqualTo(CloseCodes.PROTOCOL_ERROR);
    }

    @Property
    void aPayloadASideMaySendPassesItsPeersDecoder(@ForAll("payloads") PayloadCase payload,
            @ForAll("senders") Peer sender) throws ProtocolException {
        if (!sender.maySend(payload.getNumber())) {
            return;
        }
        Envelope envelope = envelope(payload, Payloads.isReliable(payload) ? 1 : 0, 0);

        assertThat(FrameCodec.receivingFrom(sender).decode(envelope.toByteArray()).envelope().getPayloadCase())
                .isEqualTo(payload);
    }

    /** An envelope whose payload is the default instance of that case's message. */
    private static Envelope envelope(PayloadCase payload, long seq, long ack) {
        Envelope.Builder builder = Envelope.newBuilder().setSeq(seq).setAck(ack);
        var field = Envelope.getDescriptor().findFieldByNumber(payload.getNumber());
        builder.setField(field, builder.newBuilderForField(field).build());
        return builder.build();
    }

    @Provide
    Arbitrary<PayloadCase> payloads() {
        List<PayloadCase> cases = Arrays.stream(PayloadCase.values())
                .filter(c -> c != PayloadCase.PAYLOAD_NOT_SET).toList();
        return Arbitraries.of(cases);
    }

    @Provide
    Arbitrary<Peer> senders() {
        return Arbitraries.of(Peer.values());
    }
}
