package dev.tether.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class HandshakeAdmissionTest {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void admitsTheRateThenTellsTheRestWhenToComeBack() {
        HandshakeAdmission admission = new HandshakeAdmission(100, 0);
        for (int i = 0; i < 100; i++) {
            assertThat(admission.admit(0, 0.5)).isZero();
        }

        assertThat(admission.admit(0, 0.5)).isPositive();
        assertThat(admission.admit(SECOND / 2, 0.5)).as("half a second refills half the bucket").isZero();
    }

    @Test
    void aLargerHerdIsSpreadOverALongerRetry() {
        HandshakeAdmission admission = new HandshakeAdmission(10, 0);
        for (int i = 0; i < 10; i++) {
            admission.admit(0, 1.0);
        }
        long first = admission.admit(0, 1.0);
        long later = 0;
        for (int i = 0; i < 100; i++) {
            later = admission.admit(0, 1.0);
        }

        assertThat(later).isGreaterThan(first);
        assertThat(later).as("101 refused at 10/s drain in about 10 s").isBetween(9L, 12L);
    }

    @Test
    void aRateBelowOneIsRefusedWithTheFlagName() {
        assertThatThrownBy(() -> new HandshakeAdmission(0, 0)).hasMessageContaining("--max-handshakes-per-second");
    }
}
