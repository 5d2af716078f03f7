package dev.tether.agent.state;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.tether.protocol.v1.AgentEvent;
import dev.tether.protocol.v1.Envelope;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** The outbox's newest committed payloads in memory: it answers only from exactly the seq asked for. */
class RecentAppendsTest {

    private final RecentAppends recent = new RecentAppends();

    private static List<Envelope> stored(long from, long to, int payloadBytes) {
        return LongStream.rangeClosed(from, to).mapToObj(seq -> Envelope.newBuilder().setSeq(seq).setStamp(seq)
                .setAgentEvent(AgentEvent.newBuilder().setType("e")
                        .setPayloadJson(ByteString.copyFrom(new byte[payloadBytes]))).build()).toList();
    }

    private static List<Long> seqs(List<Envelope> envelopes) {
        return envelopes == null ? null : envelopes.stream().map(Envelope::getSeq).toList();
    }

    @Test
    void answersFromTheSeqItHoldsFirstAndDropsWhatIsBelowIt() {
        recent.committed(stored(1, 5, 1));

        assertThat(seqs(recent.read(1, 2))).containsExactly(1L, 2L);
        assertThat(seqs(recent.read(3, 10))).containsExactly(3L, 4L, 5L);
        assertThat(recent.read(2, 10)).as("dropped once read past").isNull();
        assertThat(recent.read(6, 10)).as("nothing held from there").isNull();
    }

    @Test
    void aRunThatDoesNotFollowOnReplacesTheOneHeld() {
        recent.committed(stored(1, 3, 1));
        recent.committed(stored(5, 6, 1));

        assertThat(recent.read(1, 10)).isNull();
        assertThat(seqs(recent.read(5, 10))).containsExactly(5L, 6L);
        recent.committed(stored(7, 7, 1));
        assertThat(seqs(recent.read(5, 10))).containsExactly(5L, 6L, 7L);
    }

    @Test
    void anAckDropsWhatItCoversAndAClearDropsEverything() {
        recent.committed(stored(1, 4, 1));
        recent.acknowledged(2);
        assertThat(recent.read(1, 10)).isNull();
        assertThat(seqs(recent.read(3, 10))).containsExactly(3L, 4L);

        recent.clear();
        assertThat(recent.read(3, 10)).isNull();
    }

    @Test
    void holdsAtMostItsCountAndAboutItsBytesTheOldestGoingFirst() {
        recent.committed(stored(1, RecentAppends.MAX_ENVELOPES + 10, 1));
        assertThat(recent.size()).isEqualTo(RecentAppends.MAX_ENVELOPES);
        assertThat(recent.read(1, 1)).isNull();
        assertThat(seqs(recent.read(11, 1))).containsExactly(11L);

        recent.clear();
        int large = (int) (RecentAppends.MAX_BYTES / 3);
        recent.committed(stored(1, 4, large));
        assertThat(recent.size()).isEqualTo(2);
        assertThat(seqs(recent.read(3, 10))).containsExactly(3L, 4L);
    }
}
