package dev.tether.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.ArrayList;
import java.util.List;

/**
 * The reliable channel's receiving side under any sequence of sessions, seqs
 * and applies a peer could produce: a seq is applied at most once, applied
 * seqs only grow by one, and a gap or a rewind is always refused with 1002
 * rather than skipped. Regression inputs:
 * {@code src/test/resources/dev/tether/protocol/ReliableChannelFuzzTestInputs/}.
 */
class ReliableChannelFuzzTest {

    @FuzzTest(maxDuration = "10s")
    void aSeqIsAppliedAtMostOnceAndInOrderWhateverThePeerSends(FuzzedDataProvider data) throws Exception {
        long applied = data.consumeLong(0, 50);
        ReliableChannel channel = ReliableChannel.create(new MemoryOutbox(), applied);
        List<Long> appliedSeqs = new ArrayList<>();
        boolean inSession = false;
        while (data.remainingBytes() > 0) {
            if (!inSession || data.consumeInt(0, 20) == 0) {
                channel.end();
                channel.resume(0, data.consumeLong(1, applied + 1));
                inSession = true;
            }
            long seq = data.consumeLong(0, applied + 5);
            try {
                if (channel.receive(seq) == Receipt.APPLY) {
                    assertThat(seq).as("applies only the next seq").isEqualTo(channel.applied() + 1);
                    appliedSeqs.add(seq);
                    if (data.consumeBoolean()) {
                        channel.markApplied(seq);
                        applied = seq;
                    } else {
                        // Crashed before the apply committed: the seq comes again in a new session.
                        appliedSeqs.remove(appliedSeqs.size() - 1);
                        inSession = false;
                    }
                }
            } catch (ProtocolException refused) {
                assertThat(refused.closeCode()).isEqualTo(CloseCodes.PROTOCOL_ERROR);
                inSession = false;
            }
        }
        for (int i = 1; i < appliedSeqs.size(); i++) {
            assertThat(appliedSeqs.get(i)).isEqualTo(appliedSeqs.get(i - 1) + 1);
        }
        assertThat(channel.applied()).isEqualTo(applied);
    }
}
