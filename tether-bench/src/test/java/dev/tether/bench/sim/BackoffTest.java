package dev.tether.bench.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BackoffTest {

    @Test
    void aWaitIsNeverLongerThanTheFailuresHaveLastedLikeTheRealAgent() {
        Backoff backoff = Backoff.defaults();
        Random random = new Random(3);
        for (int i = 0; i < 200; i++) {
            assertThat(backoff.delayMillis(6, 3_000, random)).isBetween(0L, 3_000L);
            assertThat(backoff.delayMillis(6, 100, random)).isBetween(0L, 1_000L);
            assertThat(backoff.delayMillis(1, 30_000, random)).isBetween(0L, 2_000L);
        }
    }

    @Test
    void theCeilingDoublesUpToTheCapLikeTheRealAgent() {
        Backoff backoff = Backoff.defaults();
        assertThat(backoff.ceilingMillis(0)).isEqualTo(1_000);
        assertThat(backoff.ceilingMillis(1)).isEqualTo(2_000);
        assertThat(backoff.ceilingMillis(5)).isEqualTo(32_000);
        assertThat(backoff.ceilingMillis(6)).isEqualTo(60_000);
        assertThat(backoff.ceilingMillis(60)).isEqualTo(60_000);
        assertThat(backoff.grows(5)).isTrue();
        assertThat(backoff.grows(6)).isFalse();
    }

    @Test
    void waitsAreDrawnFromZeroToTheCeiling() {
        Backoff backoff = Backoff.defaults();
        Random random = new Random(1);
        long max = 0;
        for (int i = 0; i < 10_000; i++) {
            long delay = backoff.delayMillis(1, random);
            assertThat(delay).isBetween(0L, 2_000L);
            max = Math.max(max, delay);
        }
        assertThat(max).isGreaterThan(1_900);
    }

    @Test
    void rejectsNonsense() {
        assertThatThrownBy(() -> new Backoff(Duration.ZERO, 2, Duration.ofSeconds(1)))
                .hasMessageContaining("initial must be positive");
        assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), 2, Duration.ofSeconds(1)))
                .hasMessageContaining("must be at least initial");
        assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(1), 0.5, Duration.ofSeconds(1)))
                .hasMessageContaining("multiplier");
    }
}
