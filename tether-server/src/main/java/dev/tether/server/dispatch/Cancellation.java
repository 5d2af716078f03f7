package dev.tether.server.dispatch;

import dev.tether.server.dispatch.CommandRecord.State;
import dev.tether.server.dispatch.DispatchException.Reason;
import dev.tether.server.dispatch.JobTransitions.Ending;
import dev.tether.server.store.Dialect;
import dev.tether.server.store.ServerOutbox;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Comparator;
import java.util.List;

/**
 * Cancelling jobs and commands, in the caller's transaction, by how far the job got:
 * <ul>
 *   <li>held back (never sent): cancelled at once;</li>
 *   <li>in the agent's outbox, not acknowledged: that outbox row is rewritten, same seq, to
 *       {@code CancelJob}, and the job is cancelled at once. Because the agent may have received the
 *       CommandRequest just before the rewrite (its ack still on the way), a second {@code CancelJob} is
 *       appended and the job is marked unconfirmed: if the agent did start it, its reports win and the
 *       job ends as the agent says (normally cancelled);</li>
 *   <li>delivered or running: a {@code CancelJob} is appended; the job becomes cancelled when the agent
 *       reports it. Asking again sends nothing more.</li>
 * </ul>
 * A job in a final state cannot be cancelled ({@link Reason#ALREADY_FINAL}). Stateless.
 */
final class Cancellation {

    static final String HELD_BACK = "cancelled before it was sent";
    static final String UNACKNOWLEDGED = "cancelled before the agent acknowledged it";

    private Cancellation() {
    }

    /** @throws DispatchException when there is no such job, or it is final */
    static void cancelJobIn(Connection connection, Dialect dialect, String jobId, long nowMillis, AfterCommit after)
            throws SQLException {
        JobRecord job = JobStore.lockIn(connection, dialect, jobId);
        if (job == null) {
            throw new DispatchException(Reason.NOT_FOUND, "no job '" + jobId + "'");
        }
        if (job.state().isFinal()) {
            throw new DispatchException(Reason.ALREADY_FINAL, "job " + jobId + " is already " + job.state().wire()
                    + ": there is nothing to cancel");
        }
        cancelIn(connection, job, nowMillis, after);
        after.reconcile(job.commandId());
    }

    /**
     * Cancels every unfinished job and marks the command cancelled, so no held-back job starts.
     *
     * @throws DispatchException when there is no such command, or all its jobs are final
     */
    static CommandRecord cancelCommandIn(Connection connection, Dialect dialect, String commandId, long nowMillis,
            AfterCommit after) throws SQLException {
        CommandRecord command = CommandStore.lockIn(connection, dialect, commandId);
        if (command == null) {
            throw new DispatchException(Reason.NOT_FOUND, "no command '" + commandId + "'");
        }
        List<JobRecord> unfinished = JobStore.lockUnfinishedIn(connection, dialect, commandId);
        if (unfinished.isEmpty()) {
            throw new DispatchException(Reason.ALREADY_FINAL, "command " + commandId + " has finished: every job"
                    + " is final, there is nothing to cancel");
        }
        // Agents' rows are locked in id order, as everywhere outboxes grow.
        for (JobRecord job : unfinished.stream().sorted(Comparator.comparing(JobRecord::agentId)).toList()) {
            cancelIn(connection, job, nowMillis, after);
        }
        if (command.state() == State.RUNNING) {
            CommandStore.updateIn(connection, commandId, State.CANCELLED, null);
            after.commandState(command, State.CANCELLED, false, null, null, nowMillis);
        }
        after.reconcile(commandId);
        return command;
    }

    private static void cancelIn(Connection connection, JobRecord job, long nowMillis, AfterCommit after)
            throws SQLException {
        if (job.outboxSeq() == null) {
            JobTransitions.finishIn(connection, job, Ending.byServer(JobState.CANCELLED, HELD_BACK, false), nowMillis,
                    after);
        } else if (job.state() == JobState.QUEUED && ServerOutbox.rewriteIn(connection, after.outboxAppends(),
                job.agentId(), job.outboxSeq(), Release.cancel(job).build())) {
            JobTransitions.finishIn(connection, job, Ending.byServer(JobState.CANCELLED, UNACKNOWLEDGED, true),
                    nowMillis, after);
            Release.sendCancelIn(connection, job, nowMillis, after);
        } else if (job.cancelRequestedAt() == null) {
            Release.sendCancelIn(connection, job, nowMillis, after);
            JobTransitions.cancelRequestedIn(connection, job.id(), nowMillis);
            after.commandChanged(job.commandId());
        }
    }
}
