package dev.tether.server.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A tool or artefact a test needs that a developer's machine may lack (openssl,
 * the built web UI). Missing on a laptop, the test is skipped with a message on
 * stderr that says what to install; under {@code CI=true} it fails instead,
 * since {@code .ci/run} installs and builds everything the suite needs.
 */
public final class RequiredTool {

    private RequiredTool() {
    }

    /** Skips the calling test (fails it under CI=true) unless {@code present}. */
    public static void require(boolean present, String test, String missing) {
        if (present) {
            return;
        }
        if ("true".equals(System.getenv("CI"))) {
            throw new AssertionError(test + " cannot run under CI=true: " + missing);
        }
        System.err.println(test + " skipped: " + missing);
        assumeTrue(false, missing);
    }
}
