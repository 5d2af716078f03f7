package dev.tether.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.protocol.v1.AgentEvent;
import dev.tether.protocol.v1.Envelope;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ReliableChannelTest {

    private final MemoryOutbox outbox = new MemoryOutbox();

    @Test
    void publishPersistsBeforeAnythingIsSent() {
        ReliableChannel channel = ReliableChannel.create(outbox, 0);

        channel.publish(event("a"));

        assertThat(outbox.read(1, 10)).hasSize(1);
        assertThat(channel.nextBatch(10)).as("nothing goes out before a session").isEmpty();
    }

    @Test
    void replaysUnacknowledgedPayloadsFromWhatThePeerApplied() throws ProtocolException {
        ReliableChannel channel = ReliableChannel.create(outbox, 0);
        publish(channel, 5);
        channel.resume(0, 1);
        assertThat(seqs(channel.nextBatch(10))).containsExactly(1L, 2L, 3L, 4L, 5L);
        channel.onAck(2);
        channel.end();

        channel.resume(3, 1);

        assertThat(seqs(channel.nextBatch(10))).containsExactly(4L, 5L);
        assertThat(channel.depth()).isEqualTo(2);
    }

    @Test
    void sendingStopsAtTheWindow() throws ProtocolException {
        ReliableChannel channel = ReliableChannel.create(outbox, 0, 3);
        publish(channel, 5);
        channel.resume(0, 1);

        assertThat(seqs(channel.nextBatch(10))).containsExactly(1L, 2L, 3L);
        assertThat(channel.sendable()).isFalse();
        channel.onAck(1);
        assertThat(seqs(channel.nextBatch(10))).containsExactly(4L);
    }

    @Test
    void onlyAnAckOfAFullWindowSaysItOpenedIt() throws ProtocolException {
        ReliableChannel channel = ReliableChannel.create(outbox, 0, 3);
        publish(channel, 5);
        channel.resume(0, 1);
        channel.nextBatch(2);

        assertThat(channel.onAck(1)).as("room was left: nothing held back").isFalse();
        channel.nextBatch(10);
        assertThat(channel.sendable()).isFalse();
        assertThat(channel.onAck(2)).as("full: seq 5 was held back").isTrue();
        assertThat(seqs(channel.nextBatch(10))).containsExactly(5L);
        assertThat(channel.onAck(2)).as("an old ack").isFalse();
    }

    @Test
    void ackOfASeqNeverSentIsAProtocolError() throws ProtocolException {
        ReliableChannel channel = ReliableChannel.create(outbox, 0);
        publish(channel, 2);
        channel.resume(0, 1);
        channel.nextBatch(1);

        assertThatThrownBy(() -> channel.onAck(2))
                .isInstanceOfSatisfying(ProtocolException.class,
                        e -> assertThat(e.closeCode()).isEqualTo(CloseCodes.PROTOCOL_ERROR));
    }

    @Test
    void receivesInOrderAndDedupesReplays() throws ProtocolException {
        ReliableChannel channel = ReliableChannel.create(outbox, 2);
        channel.resume(0, 1);

        assertThat(channel.receive(1)).isEqualTo(Receipt.DUPLICATE);
        assertThat(channel.receive(2)).isEqualTo(Receipt.DUPLICATE);
        assertThat(channel.receive(3)).isEqualTo(Receipt.APPLY);
        channel.markApplied(3);
        assertThat(channel.ackDue()).isTrue();
        assertThat(channel.takeAck()).isEqualTo(3);
        assertThat(channel.ackDue()).isFalse();
    }

    @Test
    void aGapWithinASessionIsAProtocolError() throws ProtocolException {
        ReliableChannel channel = ReliableChannel.create(outbox, 0);
        channel.resume(0, 1);
        channel.receive(1);

        assertThatThrownBy(() -> channel.receive(3)).hasMessageContaining("seq gap");
    }

    @Test
    void aFirstSeqBeyondTheResumePointIsAGap() throws ProtocolException {
        ReliableChannel channel = ReliableChannel.create(outbox, 4);
        channel.resume(0, 1);

        assertThatThrownBy(() -> channel.receive(6)).hasMessageContaining("seq gap");
    }

    @Test
    void aRewindWithinASessionIsAProtocolError() throws ProtocolException {
        ReliableChannel channel = ReliableChannel.create(outbox, 0);
        channel.resume(0, 1);
        channel.receive(1);
        channel.receive(2);

        assertThatThrownBy(() -> channel.receive(2)).hasMessageContaining("seq rewind");
    }

    @Test
    void aPeerThatDeletedUnappliedPayloadsIsReportedAndFollowed() throws ProtocolException {
        ReliableChannel channel = ReliableChannel.create(outbox, 3);

        ReliableChannel.Resumption resumption = channel.resume(0, 10);

        assertThat(resumption.lostByPeerReset()).isEqualTo(6);
        assertThat(channel.receive(10)).isEqualTo(Receipt.APPLY);
    }

    @Test
    void ownCounterMovesPastSeqsThePeerAlreadyApplied() throws ProtocolException {
        ReliableChannel channel = ReliableChannel.create(outbox, 0);

        ReliableChannel.Resumption resumption = channel.resume(40, 1);
        channel.publish(event("after-restore"));

        assertThat(resumption.diverged()).isTrue();
        assertThat(seqs(channel.nextBatch(10))).containsExactly(41L);
    }

    @Test
    void payloadsPublishedBehindWhatThePeerAppliedAreRenumberedToFollowItNotDropped() throws ProtocolException {
        ReliableChannel channel = ReliableChannel.create(outbox, 0);
        publish(channel, 3);

        ReliableChannel.Resumption resumption = channel.resume(40, 1);

        assertThat(resumption.renumbered()).isEqualTo(3);
        List<Envelope> sent = channel.nextBatch(10);
        assertThat(seqs(sent)).containsExactly(41L, 42L, 43L);
        assertThat(types(sent)).containsExactly("e0", "e1", "e2");
        channel.publish(event("next"));
        assertThat(seqs(channel.nextBatch(10))).containsExactly(44L);
    }

    @Test
    void aRestoredSideThatAppendedPastThePeersAppliedSeqIsCaughtByTheStamp() throws ProtocolException {
        MemoryOutbox lostHistory = new MemoryOutbox();
        ReliableChannel before = ReliableChannel.create(lostHistory, 0);
        publish(before, 2);
        long appliedStamp = lostHistory.stampAt(2);
        ReliableChannel restored = ReliableChannel.create(outbox, 0);
        publish(restored, 4);

        ReliableChannel.Resumption resumption = restored.resume(2, appliedStamp, 1);

        assertThat(resumption.diverged()).isTrue();
        List<Envelope> sent = restored.nextBatch(10);
        assertThat(seqs(sent)).containsExactly(3L, 4L, 5L, 6L);
        assertThat(types(sent)).containsExactly("e0", "e1", "e2", "e3");
    }

    @Test
    void aMatchingStampAtThePeersAppliedSeqResumesAsUsual() throws ProtocolException {
        ReliableChannel channel = ReliableChannel.create(outbox, 0);
        publish(channel, 5);

        ReliableChannel.Resumption resumption = channel.resume(3, outbox.stampAt(3), 1);

        assertThat(resumption.diverged()).isFalse();
        assertThat(seqs(channel.nextBatch(10))).containsExactly(4L, 5L);
    }

    @Test
    void theAcknowledgedPointKeepsItsStampAfterItsPayloadIsDeleted() throws ProtocolException {
        ReliableChannel channel = ReliableChannel.create(outbox, 0);
        publish(channel, 2);
        long stamp = outbox.stampAt(2);
        channel.resume(0, 1);
        channel.nextBatch(10);
        channel.onAck(2);
        channel.end();

        ReliableChannel.Resumption resumption = channel.resume(2, stamp, 1);
        channel.publish(event("next"));

        assertThat(resumption.diverged()).isFalse();
        assertThat(seqs(channel.nextBatch(10))).containsExactly(3L);
    }

    @Test
    void anAppliedSeqNoStreamCanReachIsAProtocolErrorAndMovesNothing() {
        ReliableChannel channel = ReliableChannel.create(outbox, 0);
        publish(channel, 1);

        assertThatThrownBy(() -> channel.resume(Long.MAX_VALUE, 1))
                .isInstanceOfSatisfying(ProtocolException.class,
                        e -> assertThat(e.closeCode()).isEqualTo(CloseCodes.PROTOCOL_ERROR));
        assertThat(outbox.lastSeq()).isEqualTo(1);
        assertThat(outbox.firstPendingSeq()).isEqualTo(1);
    }

    private static void publish(ReliableChannel channel, int count) {
        channel.publish(IntStream.range(0, count).mapToObj(i -> event("e" + i)).toList());
    }

    private static Envelope event(String type) {
        return Envelope.newBuilder().setAgentEvent(AgentEvent.newBuilder().setType(type)).build();
    }

    private static List<String> types(List<Envelope> envelopes) {
        return envelopes.stream().map(e -> e.getAgentEvent().getType()).toList();
    }

    private static List<Long> seqs(List<Envelope> envelopes) {
        return envelopes.stream().map(Envelope::getSeq).toList();
    }
}
