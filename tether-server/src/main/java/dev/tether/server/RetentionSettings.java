package dev.tether.server;

import java.time.Duration;

/**
 * How long the server keeps what grows without bound; {@link Duration#ZERO} keeps it forever. Deleted in the
 * background by {@link dev.tether.server.retention.RetentionSweep}, once per cluster.
 *
 * @param events events agents reported ({@code GET /api/v1/agents/{id}/events}), by when they arrived
 * @param jobs finished commands with their jobs and the jobs' output, by when the command was created
 * @param audit the audit log, by when the action happened
 */
public record RetentionSettings(Duration events, Duration jobs, Duration audit) {

    /** Shortest retention accepted: shorter would delete what an operator is still looking at. */
    public static final Duration MINIMUM = Duration.ofHours(1);

    public static RetentionSettings defaults() {
        return new RetentionSettings(Duration.ofDays(30), Duration.ofDays(90), Duration.ofDays(365));
    }

    /** @throws IllegalArgumentException naming the flag of a retention that is negative or too short */
    public void validate() {
        check("--retention-events", events);
        check("--retention-jobs", jobs);
        check("--retention-audit", audit);
    }

    private static void check(String flag, Duration value) {
        if (value == null || value.isNegative() || (!value.isZero() && value.compareTo(MINIMUM) < 0)) {
            throw new IllegalArgumentException(flag + " must be at least " + MINIMUM.toHours() + "h, or 0 to keep "
                    + "everything, was " + value);
        }
    }
}
