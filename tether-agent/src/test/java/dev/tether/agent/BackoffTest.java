package dev.tether.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Random;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class BackoffTest {

    private final Backoff backoff = Backoff.defaults();

    @Test
    void defaultsStartAtOneSecondDoubleAndCapAtOneMinute() {
        assertThat(backoff).isEqualTo(new Backoff(Duration.ofSeconds(1), 2.0, Duration.ofSeconds(60)));
        assertThat(backoff.ceiling(0)).isEqualTo(Duration.ofSeconds(1));
        assertThat(backoff.ceiling(1)).isEqualTo(Duration.ofSeconds(2));
        assertThat(backoff.ceiling(5)).isEqualTo(Duration.ofSeconds(32));
        assertThat(backoff.ceiling(6)).isEqualTo(Duration.ofSeconds(60));
        assertThat(backoff.ceiling(1_000)).isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void everyDelayIsWithinZeroAndTheCeilingOfItsAttempt() {
        RandomGenerator random = new Random(42);
        for (int failures = 0; failures < 12; failures++) {
            long ceiling = Math.min(60_000, 1_000L << failures);
            for (int i = 0; i < 500; i++) {
                assertThat(backoff.delay(failures, random).toMillis()).isBetween(0L, ceiling);
            }
        }
    }

    @Test
    void delaysAreSpreadOverTheWholeRangeNotBunchedAtTheCeiling() {
        RandomGenerator random = new Random(7);
        long below = 0;
        long above = 0;
        for (int i = 0; i < 1_000; i++) {
            long millis = backoff.delay(10, random).toMillis();
            if (millis < 20_000) {
                below++;
            } else if (millis > 40_000) {
                above++;
            }
        }
        assertThat(below).isGreaterThan(200);
        assertThat(above).isGreaterThan(200);
    }

    @Test
    void refusesNonsense() {
        assertThatThrownBy(() -> new Backoff(Duration.ZERO, 2, Duration.ofSeconds(1)))
                .hasMessageContaining("initial must be positive");
        assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(1), 0.5, Duration.ofSeconds(1)))
                .hasMessageContaining("multiplier");
        assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), 2, Duration.ofSeconds(1)))
                .hasMessageContaining("at least initial");
    }
}
