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
    void aPacedRetryWaitsAsToldPlusAtMostTheFirstCeilingAndDoesNotGrowTheBackoff() {
        Retries retries = new Retries(backoff, new Random(7));
        for (int i = 0; i < 20; i++) {
            assertThat(retries.paced(Duration.ofSeconds(4))).isBetween(Duration.ofSeconds(4), Duration.ofSeconds(5));
        }
        assertThat(retries.failures()).isZero();
    }

    @Test
    void quickFailuresNeverWaitLongerThanTheOutageHasLasted() {
        long[] now = {0};
        Retries retries = new Retries(backoff, new Random(11), () -> now[0]);
        for (int failure = 0; failure < 12; failure++) {
            // Each attempt fails a tenth of a second after the previous one, whatever the wait drawn.
            Duration bound = Duration.ofNanos(Math.max(now[0], Duration.ofSeconds(1).toNanos()));
            assertThat(retries.afterFailure()).isLessThanOrEqualTo(bound);
            now[0] += Duration.ofMillis(100).toNanos();
        }
        assertThat(retries.failures()).isEqualTo(6);
    }

    @Test
    void aLongOutageStillBacksOffToTheMaximum() {
        long[] now = {0};
        Retries retries = new Retries(backoff, new Random(13), () -> now[0]);
        retries.afterFailure();
        now[0] += Duration.ofMinutes(10).toNanos();
        long longest = 0;
        for (int i = 0; i < 200; i++) {
            longest = Math.max(longest, retries.afterFailure().toMillis());
        }
        assertThat(longest).isGreaterThan(50_000).isLessThanOrEqualTo(60_000);
    }

    @Test
    void theCapIsTheBackoffMaximum() {
        assertThat(new Retries(backoff, new Random()).cap()).isEqualTo(Duration.ofSeconds(60));
    }
}
