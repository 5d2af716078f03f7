package dev.tether.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.tether.protocol.v1.AgentEvent;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.Heartbeat;
import dev.tether.protocol.v1.ShellCredit;
import dev.tether.protocol.v1.ShellOutput;
import org.junit.jupiter.api.Test;

class MessageRateTest {

    @Test
    void aBurstIsAllowedThenOnlyTheSustainedRate() {
        MessageRate rate = new MessageRate(0);
        for (int i = 0; i < MessageRate.BURST; i++) {
            assertThat(rate.take(0)).isTrue();
        }

        assertThat(rate.take(0)).isFalse();
        long tenthOfASecond = 100_000_000L;
        int allowed = 0;
        while (rate.take(tenthOfASecond)) {
            allowed++;
        }
        assertThat(allowed).isEqualTo(MessageRate.SUSTAINED_PER_SECOND / 10);
    }

    @Test
    void payloadsWithTheirOwnFlowControlAreNotCharged() {
        assertThat(MessageRate.counts(Envelope.newBuilder().setHeartbeat(Heartbeat.getDefaultInstance()).build()))
                .isTrue();
        assertThat(MessageRate.counts(Envelope.newBuilder().setSeq(1).setAgentEvent(AgentEvent.newBuilder()
                .setType("backup.done")).build())).isFalse();
        assertThat(MessageRate.counts(Envelope.newBuilder().setShellOutput(ShellOutput.newBuilder()
                .setData(ByteString.copyFromUtf8("$ "))).build())).isFalse();
        assertThat(MessageRate.counts(Envelope.newBuilder().setShellCredit(ShellCredit.newBuilder().setBytes(1))
                .build())).as("charged by the connection when not owed").isFalse();
    }
}
