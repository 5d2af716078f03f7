package dev.tether.server.dispatch;

import dev.tether.protocol.v1.JobFinished;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The life of a job: {@code queued → delivered → running → succeeded | failed |
 * cancelled | timed_out}, plus {@code expired} (not started before its deadline)
 * and {@code lost} (the agent restarted while it ran). Any state may end early
 * (cancelled, expired). Final states never change again, except that the agent's
 * own report wins over an unconfirmed server decision (see {@code jobs.unconfirmed}).
 */
public enum JobState {
    QUEUED, DELIVERED, RUNNING, SUCCEEDED, FAILED, CANCELLED, TIMED_OUT, EXPIRED, LOST;

    /** SQL list of the final states' names, for {@code state IN ...}. */
    static final String FINAL_SQL = sqlList(true);
    /** SQL list of the states that count against a command's max_errors. */
    static final String FAILURE_SQL = "('failed', 'timed_out', 'lost', 'expired')";

    /** The name in the database and the API: lower case. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static JobState parse(String wire) {
        return valueOf(wire.toUpperCase(Locale.ROOT));
    }

    public boolean isFinal() {
        return ordinal() >= SUCCEEDED.ordinal();
    }

    /** Whether it counts against max_errors. */
    public boolean isFailure() {
        return this == FAILED || this == TIMED_OUT || this == LOST || this == EXPIRED;
    }

    /** The state an agent's outcome leads to; an outcome this server does not know is a failure. */
    static JobState of(JobFinished.Outcome outcome) {
        return switch (outcome) {
            case SUCCEEDED -> SUCCEEDED;
            case CANCELLED -> CANCELLED;
            case TIMED_OUT -> TIMED_OUT;
            case EXPIRED -> EXPIRED;
            case LOST -> LOST;
            case FAILED, OUTCOME_UNSPECIFIED, UNRECOGNIZED -> FAILED;
        };
    }

    private static String sqlList(boolean finalStates) {
        return Arrays.stream(values()).filter(state -> state.isFinal() == finalStates)
                .map(state -> "'" + state.wire() + "'").collect(Collectors.joining(", ", "(", ")"));
    }
}
