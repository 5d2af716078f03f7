package dev.tether.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class AuthThrottleTest {

    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    private final AuthThrottle throttle = new AuthThrottle();

    @Test
    void aSourceIsBlockedAfterTooManyFailuresUntilTheWindowEnds() {
        for (int i = 0; i < AuthThrottle.MAX_FAILURES; i++) {
            assertThat(throttle.retryAfterSeconds("10.0.0.1", "key-" + i, i)).isZero();
            throttle.failed("10.0.0.1", "key-" + i, i);
        }

        assertThat(throttle.retryAfterSeconds("10.0.0.1", "another", 10 * SECOND)).isBetween(49L, 50L);
        assertThat(throttle.retryAfterSeconds("10.0.0.2", "another", 10 * SECOND)).isZero();
        assertThat(throttle.retryAfterSeconds("10.0.0.1", "another", 61 * SECOND)).isZero();
    }

    @Test
    void aKeyFailingFromManySourcesIsBlockedToo() {
        for (int i = 0; i < AuthThrottle.MAX_FAILURES; i++) {
            throttle.failed("10.0.1." + i, "revoked-key", i);
        }

        assertThat(throttle.retryAfterSeconds("10.9.9.9", "revoked-key", SECOND)).isPositive();
    }

    @Test
    void aKeyThatAuthenticatedRecentlyPassesABlockedSource() {
        throttle.succeeded("good-key", 0);
        for (int i = 0; i < AuthThrottle.MAX_FAILURES; i++) {
            throttle.failed("10.0.0.1", "bad-" + i, i);
        }

        assertThat(throttle.retryAfterSeconds("10.0.0.1", "good-key", SECOND)).isZero();
        assertThat(throttle.retryAfterSeconds("10.0.0.1", "bad-0", SECOND)).isPositive();
    }

    @Test
    void aKeyThatFailsAfterAuthenticatingIsThrottledLikeAnUnknownOne() {
        throttle.succeeded("revoked-key", 0);
        for (int i = 0; i < AuthThrottle.MAX_FAILURES; i++) {
            assertThat(throttle.retryAfterSeconds("10.0.0.1", "revoked-key", i)).isZero();
            throttle.failed("10.0.0.1", "revoked-key", i);
        }

        assertThat(throttle.retryAfterSeconds("10.0.0.1", "revoked-key", SECOND)).isPositive();
        assertThat(throttle.retryAfterSeconds("10.9.9.9", "revoked-key", SECOND)).isPositive();
    }

    @Test
    void failuresBelowTheLimitNeverBlock() {
        for (int i = 0; i < AuthThrottle.MAX_FAILURES - 1; i++) {
            throttle.failed("10.0.0.1", "k", i);
        }

        assertThat(throttle.retryAfterSeconds("10.0.0.1", "k", SECOND)).isZero();
    }
}
