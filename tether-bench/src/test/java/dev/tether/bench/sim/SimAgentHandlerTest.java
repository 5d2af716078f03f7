package dev.tether.bench.sim;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SimAgentHandlerTest {

    @Test
    void retryAfterIsReadAsTheSecondsTetherSends() {
        assertThat(SimAgentHandler.retryAfterSeconds("7")).isEqualTo(7);
        assertThat(SimAgentHandler.retryAfterSeconds(" 12 ")).isEqualTo(12);
    }

    @Test
    void aMissingOrUnreadableRetryAfterIsNoWait() {
        assertThat(SimAgentHandler.retryAfterSeconds(null)).isZero();
        assertThat(SimAgentHandler.retryAfterSeconds("Wed, 21 Oct 2026 07:28:00 GMT")).isZero();
        assertThat(SimAgentHandler.retryAfterSeconds("-3")).isZero();
    }
}
