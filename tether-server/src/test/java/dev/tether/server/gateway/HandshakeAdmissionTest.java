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

    @Test
    void atMostMaxInFlightHandshakesAreAdmittedUntilOneFinishes() {
        HandshakeAdmission admission = new HandshakeAdmission(1000, 3, 0);
        for (int i = 0; i < 3; i++) {
            assertThat(admission.admit(0, 0.5)).isZero();
        }

        assertThat(admission.admit(0, 0.5)).as("a fourth while three are in flight").isPositive();
        admission.finished(SECOND / 10);
        assertThat(admission.admit(SECOND / 10, 0.5)).isZero();
        assertThat(admission.inFlight()).isEqualTo(3);
    }

    @Test
    void aHerdRefusedForWantOfCapacityIsSpreadOverWhatTheNodeFinishesASecond() {
        HandshakeAdmission admission = new HandshakeAdmission(1000, 2, 0);
        admission.admit(0, 0.5);
        admission.admit(0, 0.5);
        admission.finished(SECOND / 10);
        admission.finished(SECOND / 10);
        admission.admit(SECOND / 10, 0.5);
        admission.admit(SECOND / 10, 0.5);

        long retry = 0;
        for (int i = 0; i < 20; i++) {
            retry = admission.admit(SECOND + SECOND / 10, 1.0);
        }

        assertThat(retry).as("20 refused while the node finishes 2 a second: about 10 s, not the 1000/s rate's 1 s")
                .isBetween(10L, 12L);
    }

    @Test
    void aTicketEndsItsAdmissionOnceHoweverOftenItRuns() {
        HandshakeAdmission admission = new HandshakeAdmission(1000, 5, 0);
        admission.admit(0, 0.5);
        admission.admit(0, 0.5);
        Runnable ticket = admission.ticket();

        ticket.run();
        ticket.run();

        assertThat(admission.inFlight()).isEqualTo(1);
    }
}
