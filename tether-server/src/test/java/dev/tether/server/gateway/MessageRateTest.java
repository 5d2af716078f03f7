package dev.tether.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

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
}
