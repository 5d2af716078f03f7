package dev.tether.agent.jobs;

import dev.tether.agent.JobResult;
import dev.tether.protocol.v1.JobFinished.Outcome;
import java.time.Clock;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run of a job on a worker, after it left the queue: reports its start
 * (unless its work does), runs the work with an output ticker and its timeout
 * armed, decides the outcome and reports it.
 *
 * <p>The outcome: a stop request (cancel, timeout, agent stopping) wins over what
 * the work returned, keeping its exit code and result; otherwise the
 * {@link JobResult} says; an exception is FAILED with its message. A job still
 * waiting when its deadline passed is EXPIRED without running.
 *
 * <p>Not thread safe: confined to the worker that runs it.
 */
final class JobRun {

    private static final Logger log = LoggerFactory.getLogger(JobRun.class);

    /** How a job ended, as reported in JobFinished. */
    private record Ending(Outcome outcome, int exitCode, String error, String resultJson) {
    }

    private final LiveJob job;
    private final JobWork work;
    private final JobLedger ledger;
    private final JobPool pool;
    private final Clock clock;

    JobRun(LiveJob job, JobWork work, JobLedger ledger, JobPool pool, Clock clock) {
        this.job = job;
        this.work = work;
        this.ledger = ledger;
        this.pool = pool;
        this.clock = clock;
    }

    /** @param stopping the agent is stopping: the job is stopped before it starts */
    void run(boolean stopping) {
        if (stopping) {
            job.requestStop(Outcome.CANCELLED, Jobs.STOPPING_ERROR);
        }
        long flushMillis = Jobs.OUTPUT_FLUSH_INTERVAL.toMillis();
        ScheduledFuture<?> ticker = pool.timers().scheduleWithFixedDelay(this::flush, flushMillis, flushMillis,
                TimeUnit.MILLISECONDS);
        ScheduledFuture<?> timeout = armTimeout();
        Ending ending;
        try {
            ending = execute();
        } finally {
            ticker.cancel(false);
            if (timeout != null) {
                timeout.cancel(false);
            }
        }
        closeOutput();
        boolean reported = ending != null && report(ending);
        job.ended();
        if (reported) {
            job.afterEndActions().forEach(Runnable::run);
        }
    }

    private ScheduledFuture<?> armTimeout() {
        long seconds = Integer.toUnsignedLong(job.request().getTimeoutS());
        if (seconds == 0) {
            return null;
        }
        return pool.timers().schedule(() -> {
            log.info("{} timed out after {} s; stopping it", job, seconds);
            job.requestStop(Outcome.TIMED_OUT, "timed out after " + seconds + " s");
        }, seconds, TimeUnit.SECONDS);
    }

    private Ending execute() {
        long deadline = job.request().getDeadlineMs();
        long late = clock.millis() - deadline;
        if (deadline > 0 && late > 0) {
            return new Ending(Outcome.EXPIRED, 0, "it waited for a free job slot until " + late
                    + " ms after its deadline", "");
        }
        JobResult result = null;
        Throwable failure = null;
        try {
            if (job.stopRequested() == null) {
                if (!work.reportsStart() && !job.started(0)) {
                    return null;
                }
                result = work.run(job);
            }
        } catch (Throwable e) {
            failure = e;
        }
        return ending(result, failure);
    }

    private Ending ending(JobResult result, Throwable failure) {
        int exitCode = result == null ? 0 : result.exitCode();
        String json = result == null ? "" : result.resultJson();
        LiveJob.Stop stop = job.stopRequested();
        if (stop != null) {
            return new Ending(stop.outcome(), exitCode, stop.error(), json);
        }
        if (failure != null) {
            log.warn("{} failed", job, failure);
            return new Ending(Outcome.FAILED, 0, describe(failure), "");
        }
        return new Ending(result.succeeded() ? Outcome.SUCCEEDED : Outcome.FAILED, exitCode, result.error(), json);
    }

    private static String describe(Throwable failure) {
        String message = failure.getMessage();
        String error = message == null || message.isBlank() ? failure.getClass().getName()
                : failure.getClass().getSimpleName() + ": " + message;
        return error.length() <= JobResult.MAX_ERROR_LENGTH ? error
                : error.substring(0, JobResult.MAX_ERROR_LENGTH - 3) + "...";
    }

    private boolean report(Ending ending) {
        try {
            boolean reported = ledger.end(0, job.jobId(), ending.outcome(), ending.exitCode(), ending.error(),
                    ending.resultJson());
            if (reported) {
                log.info("{} {}{}", job, ending.outcome().name().toLowerCase(),
                        ending.error().isEmpty() ? "" : ": " + ending.error());
            }
            return reported;
        } catch (RuntimeException e) {
            log.error("{} ended {} but the report could not be stored; it is reported lost at the next start",
                    job, ending.outcome(), e);
            return false;
        }
    }

    private void flush() {
        try {
            job.output().flush();
        } catch (RuntimeException e) {
            log.error("{}: cannot store its output", job, e);
        }
    }

    private void closeOutput() {
        try {
            job.output().close();
        } catch (RuntimeException e) {
            log.error("{}: cannot store the last of its output", job, e);
        }
    }
}
