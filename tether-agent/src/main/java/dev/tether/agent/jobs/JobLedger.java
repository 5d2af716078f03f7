package dev.tether.agent.jobs;

import dev.tether.agent.process.ProcFs;
import dev.tether.agent.state.JobStore;
import dev.tether.agent.state.JobStore.State;
import dev.tether.agent.state.StateStore;
import dev.tether.protocol.ReliableChannel;
import dev.tether.protocol.v1.CommandRequest;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.JobFinished.Outcome;
import java.time.Clock;
import java.util.List;
import java.util.function.Function;

/**
 * Where jobs are recorded and reported: every change of a job's state goes to
 * the {@link JobStore} in one transaction with the {@code JobEvent} that reports
 * it, and the connection is woken to send it. Output goes straight to the
 * outbox. Everything here is durable when it returns.
 *
 * <p>Thread safe (the store is).
 */
final class JobLedger {

    private final StateStore store;
    private final JobStore jobs;
    private final ReliableChannel channel;
    private final Runnable wake;
    private final Clock clock;

    JobLedger(StateStore store, ReliableChannel channel, Runnable wake, Clock clock) {
        this.store = store;
        this.jobs = store.jobs();
        this.channel = channel;
        this.wake = wake;
        this.clock = clock;
    }

    long now() {
        return clock.millis();
    }

    /** Records the request's seq and the job as accepted; false when the job id is known (a no-op). */
    boolean accept(long seq, CommandRequest request) {
        return jobs.accept(seq, request.getJobId(), request.getCommandId(), request.getType(), now());
    }

    /** Records the request's seq and the job as ended at once, with its report; false when the job id is known. */
    boolean acceptEnded(long seq, CommandRequest request, Outcome outcome, String error) {
        boolean recorded = jobs.acceptEnded(seq, request.getJobId(), request.getCommandId(), request.getType(),
                stateOf(outcome), now(), JobEvents.finished(request.getJobId(), outcome, error));
        wake.run();
        return recorded;
    }

    /** Records a seq whose payload changes nothing (a duplicate job, a cancel of a running or ended job). */
    void applied(long seq) {
        store.applyNoOp(seq, List.of());
    }

    /** Records, durably, that the job's process is about to be spawned; false when the job has ended. */
    boolean starting(String jobId, String spawnToken) {
        return jobs.markStarting(jobId, spawnToken, ProcFs.bootId());
    }

    /**
     * Marks the job running with its report, and the process's start time as the kernel has it (not this
     * clock), so a later agent process can tell it from a process that reuses the pid; false when the job
     * has ended.
     */
    boolean started(String jobId, long pid) {
        long startTicks = pid > 0 ? ProcFs.startTicks(pid).orElse(0) : 0;
        boolean started = jobs.markRunning(jobId, pid, startTicks, now(), JobEvents.started(jobId, pid));
        wake.run();
        return started;
    }

    void output(List<Envelope> events) {
        channel.publish(events);
        wake.run();
    }

    /**
     * Ends the job with its final report, recording {@code seq} too (0: none).
     *
     * @return false when the job had already ended: nothing was reported
     */
    boolean end(long seq, String jobId, Outcome outcome, int exitCode, String error, String resultJson) {
        boolean ended = jobs.end(seq, jobId, stateOf(outcome), now(),
                JobEvents.finished(jobId, outcome, exitCode, error, resultJson));
        wake.run();
        return ended;
    }

    /** Records {@code seq} and a cancelled job this agent never received, with its report; false when known. */
    boolean cancelUnknown(long seq, String jobId) {
        boolean recorded = jobs.cancelUnknown(seq, jobId, now(),
                JobEvents.finished(jobId, Outcome.CANCELLED, "cancelled before this agent received it"));
        wake.run();
        return recorded;
    }

    /** The jobs the previous process left open. */
    List<JobStore.OpenJob> openJobs() {
        return jobs.openJobs();
    }

    /** Ends every job the previous process left open as lost, with {@code errorFor(jobId)}; returns them. */
    List<JobStore.OpenJob> endOpenJobsAsLost(Function<String, String> errorFor) {
        return jobs.endOpenJobs(now(), jobId -> JobEvents.finished(jobId, Outcome.LOST, errorFor.apply(jobId)));
    }

    private static State stateOf(Outcome outcome) {
        return outcome == Outcome.CANCELLED ? State.CANCELLED : State.FINISHED;
    }
}
