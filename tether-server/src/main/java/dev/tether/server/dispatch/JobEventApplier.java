package dev.tether.server.dispatch;

import dev.tether.protocol.v1.JobEvent;
import dev.tether.protocol.v1.JobFinished;
import dev.tether.protocol.v1.JobOutput;
import dev.tether.server.dispatch.JobTransitions.Ending;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The job state machine as fed by the agent: applies one {@link JobEvent}
 * inside the agent's apply transaction (with the applied seq), so each event
 * takes effect exactly once.
 *
 * <ul>
 *   <li>started: queued or delivered → running, with {@code started_at};</li>
 *   <li>output: a {@code job_output} row (up to {@link JobOutputStore#MAX_BYTES_PER_JOB} per job);</li>
 *   <li>finished: → the outcome's final state with exit code, error and result.</li>
 * </ul>
 * Final states do not change: a later event is ignored and counted. The one
 * exception is a job the server ended {@code unconfirmed} (expired, or
 * cancelled before the agent acknowledged it): the agent received it in time by
 * its own account, so its started or finished report wins, with a warning.
 * Events for jobs this agent was never sent are ignored and counted.
 *
 * <p>Stateless and thread safe.
 */
public final class JobEventApplier {

    private static final Logger LOG = LoggerFactory.getLogger(JobEventApplier.class);

    public void applyIn(Connection connection, String agentId, JobEvent event, long nowMillis, AfterCommit after)
            throws SQLException {
        JobHead job = JobStore.headIn(connection, event.getJobId());
        if (job == null || !job.agentId().equals(agentId) || job.outboxSeq() == null) {
            LOG.debug("agent {}: ignoring an event for job '{}', which was never sent to it", agentId,
                    event.getJobId());
            after.ignored("unknown_job");
            return;
        }
        switch (event.getEventCase()) {
            case STARTED -> started(connection, job, nowMillis, after);
            case OUTPUT -> output(connection, job, event.getOutput(), nowMillis, after);
            case FINISHED -> finished(connection, job, event.getFinished(), nowMillis, after);
            case EVENT_NOT_SET -> after.ignored("empty");
        }
    }

    private static void started(Connection connection, JobHead job, long nowMillis, AfterCommit after)
            throws SQLException {
        if (job.state() == JobState.QUEUED || job.state() == JobState.DELIVERED) {
            JobTransitions.startIn(connection, job, nowMillis, after);
        } else if (job.state().isFinal() && job.unconfirmed()) {
            LOG.warn("job {}: the agent started it although the server had ended it as {}; following the agent",
                    job.id(), job.state().wire());
            JobTransitions.startIn(connection, job, nowMillis, after);
        } else {
            after.ignored(job.state().isFinal() ? "final" : "duplicate");
        }
    }

    private static void output(Connection connection, JobHead job, JobOutput output, long nowMillis,
            AfterCommit after) throws SQLException {
        if (job.state().isFinal() && !job.unconfirmed()) {
            after.ignored("final");
        } else if (job.outputBytes() + output.getData().size() > JobOutputStore.MAX_BYTES_PER_JOB) {
            after.ignored("output_limit");
        } else {
            String stream = output.getStream() == JobOutput.Stream.STDERR ? "stderr" : "stdout";
            JobOutputStore.appendIn(connection, job, stream, output.getData().toByteArray(), nowMillis);
            after.outputAdded(job.commandId());
        }
    }

    private static void finished(Connection connection, JobHead job, JobFinished finished, long nowMillis,
            AfterCommit after) throws SQLException {
        Ending ending = ending(finished);
        if (!job.state().isFinal()) {
            JobTransitions.finishIn(connection, job, ending, nowMillis, after);
        } else if (job.unconfirmed() && ending.state() != job.state()) {
            LOG.warn("job {}: the agent reports it {} although the server had ended it as {}; following the agent",
                    job.id(), ending.state().wire(), job.state().wire());
            JobTransitions.finishIn(connection, job, ending, nowMillis, after);
        } else if (job.unconfirmed()) {
            // The agent confirms the server's decision: later reports (a replay) no longer reopen the job.
            JobTransitions.confirmIn(connection, job.id());
            after.ignored("final");
        } else {
            after.ignored("final");
        }
    }

    private static Ending ending(JobFinished finished) {
        JobState state = JobState.of(finished.getOutcome());
        // proto3 cannot tell an exit code of 0 from none: 0 counts only when the job succeeded.
        Integer exitCode = finished.getExitCode() != 0 || state == JobState.SUCCEEDED ? finished.getExitCode() : null;
        String error = finished.getError().isEmpty() ? null : finished.getError();
        if (error == null && finished.getOutcome() == JobFinished.Outcome.OUTCOME_UNSPECIFIED) {
            error = "the agent reported no outcome";
        }
        String result = finished.getResultJson().isEmpty() ? null
                : finished.getResultJson().toString(StandardCharsets.UTF_8);
        return new Ending(state, exitCode, error, result, false, true);
    }
}
