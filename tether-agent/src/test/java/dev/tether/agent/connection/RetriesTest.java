package dev.tether.agent.connection;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.agent.Backoff;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RetriesTest {

    private final Backoff backoff = Backoff.defaults();

    @Test
    void consecutiveFailuresWaitLongerUpToTheCap() {
        Retries retries = new Retries(backoff, new Random(3));
        for (int failure = 0; failure < 20; failure++) {
            long ceiling = Math.min(60_000, 1_000L << Math.min(failure, 20));
            assertThat(retries.afterFailure().toMillis()).isBetween(0L, ceiling);
        }
        assertThat(retries.failures()).isEqualTo(6);
    }

    @Test
    void aResetBringsTheNextWaitBackUnderTheInitialCeiling() {
        Retries retries = new Retries(backoff, new Random(5));
        for (int i = 0; i < 10; i++) {
            retries.afterFailure();
        }
        retries.reset();
        assertThat(retries.failures()).isZero();
        for (int i = 0; i < 50; i++) {
            Retries fresh = new Retries(backoff, new Random(i));
            assertThat(fresh.afterFailure()).isLessThanOrEqualTo(Duration.ofSeconds(1));
        }
        assertThat(retries.afterFailure()).isLessThanOrEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void theCapIsTheBackoffMaximum() {
        assertThat(new Retries(backoff, new Random()).cap()).isEqualTo(Duration.ofSeconds(60));
    }
}
