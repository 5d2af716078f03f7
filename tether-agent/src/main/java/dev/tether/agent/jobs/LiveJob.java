package dev.tether.agent.jobs;

import dev.tether.agent.JobContext;
import dev.tether.protocol.v1.CommandRequest;
import dev.tether.protocol.v1.JobFinished.Outcome;
import dev.tether.protocol.v1.JobOutput.Stream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A job of this agent process, from acceptance until it ends: its request, its
 * phase, why it is being stopped (cancel, timeout, agent stopping), and the
 * {@link JobContext} its command runs with.
 *
 * <p>The phase moves QUEUED → RUNNING → ENDED or QUEUED → ENDED, each step by
 * compare-and-set, so a job is either started by a worker or cancelled while
 * waiting, never both. A stop request is recorded once (the first reason wins);
 * it runs the cancel actions and, for handlers that asked for it, interrupts the
 * job's thread.
 *
 * <p>Thread safe: the phase and stop are atomic, the cancel actions and the
 * worker thread are guarded by this object's monitor, the rest is final or volatile.
 */
final class LiveJob implements JobContext {

    private static final Logger log = LoggerFactory.getLogger(LiveJob.class);

    enum Phase { QUEUED, RUNNING, ENDED }

    /** Why a job ends other than by its work's result (stopped, or refused before it ran), and the error reported. */
    record Stop(Outcome outcome, String error) {
    }

    private final CommandRequest request;
    private final Exec exec;
    private final String params;
    private final JobLedger ledger;
    private final OutputCoalescer output;
    private final AtomicReference<Phase> phase = new AtomicReference<>(Phase.QUEUED);
    private final AtomicReference<Stop> stop = new AtomicReference<>();
    /** Guarded by this; null once the actions ran (later ones run at once). */
    private List<Runnable> cancelActions = new ArrayList<>();
    /** Run by the worker after the job's final report is durable; confined to the worker. */
    private final List<Runnable> afterEnd = new ArrayList<>();
    /** The worker running the job; set by {@link #begin}, cleared by {@link #ended}; guarded by this. */
    private Thread thread;
    /** Whether a stop interrupts {@link #thread}: true for SDK handlers, false for built-ins. */
    private volatile boolean interruptOnStop;
    /** When the execution timeout runs out; null without one or before {@link #begin}. */
    private volatile Instant deadline;

    LiveJob(CommandRequest request, JobLedger ledger) {
        this.request = request;
        this.ledger = ledger;
        this.exec = new Exec(request.getExec().getArgvList(), request.getExec().getEnvMap(),
                request.getExec().getCwd().isEmpty() ? null : request.getExec().getCwd());
        this.params = request.getParamsJson().isEmpty() ? "{}" : request.getParamsJson().toStringUtf8();
        this.output = new OutputCoalescer(request.getJobId(), ledger::output);
    }

    CommandRequest request() {
        return request;
    }

    OutputCoalescer output() {
        return output;
    }

    /** Takes the job from the queue to a worker; false when it was ended while waiting. */
    boolean begin(Instant now, boolean interruptible) {
        if (!phase.compareAndSet(Phase.QUEUED, Phase.RUNNING)) {
            return false;
        }
        interruptOnStop = interruptible;
        synchronized (this) {
            thread = Thread.currentThread();
        }
        if (request.getTimeoutS() > 0) {
            deadline = now.plusSeconds(Integer.toUnsignedLong(request.getTimeoutS()));
        }
        return true;
    }

    /** Ends a job still waiting for a worker; false when a worker already took it. */
    boolean endQueued() {
        return phase.compareAndSet(Phase.QUEUED, Phase.ENDED);
    }

    /**
     * Marks a running job ended; called by its worker, which may then take another
     * job. Clears an interrupt a late stop request may have left on the worker.
     */
    void ended() {
        synchronized (this) {
            phase.set(Phase.ENDED);
            thread = null;
        }
        Thread.interrupted();
    }

    Phase phase() {
        return phase.get();
    }

    /** The stop requested, null when none. */
    Stop stopRequested() {
        return stop.get();
    }

    /**
     * Asks the job to stop: records why (the first request wins), runs the cancel
     * actions and interrupts an SDK handler's thread. Safe to call in any phase.
     */
    void requestStop(Outcome outcome, String error) {
        if (!stop.compareAndSet(null, new Stop(outcome, error))) {
            return;
        }
        List<Runnable> actions;
        synchronized (this) {
            actions = cancelActions;
            cancelActions = null;
        }
        actions.forEach(LiveJob::runQuietly);
        synchronized (this) {
            // Under the monitor, so the worker cannot have moved on to another job (see ended()).
            if (interruptOnStop && thread != null && phase.get() == Phase.RUNNING) {
                thread.interrupt();
            }
        }
    }

    /** Runs {@code action} once the job's final report is durable (called by the job's own work only). */
    void afterEnd(Runnable action) {
        afterEnd.add(action);
    }

    /** The actions registered with {@link #afterEnd}, for the worker. */
    List<Runnable> afterEndActions() {
        return List.copyOf(afterEnd);
    }

    /** Records the intent to spawn the job's process, marked by {@code spawnToken}: see {@link JobLedger#starting}. */
    boolean starting(String spawnToken) {
        return ledger.starting(jobId(), spawnToken);
    }

    /** Reports the job started: see {@link JobLedger#started}. */
    boolean started(long pid) {
        return ledger.started(jobId(), pid);
    }

    private static void runQuietly(Runnable action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            log.warn("a job's cancel action failed", e);
        }
    }

    // ------------------------------------------------------------------ JobContext

    @Override
    public String jobId() {
        return request.getJobId();
    }

    @Override
    public String commandId() {
        return request.getCommandId();
    }

    @Override
    public String type() {
        return request.getType();
    }

    @Override
    public String params() {
        return params;
    }

    @Override
    public Exec exec() {
        return exec;
    }

    @Override
    public Optional<Instant> deadline() {
        return Optional.ofNullable(deadline);
    }

    @Override
    public void stdout(String text) {
        stdout(text.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void stdout(byte[] data) {
        output.write(Stream.STDOUT, data, 0, data.length);
    }

    @Override
    public void stderr(String text) {
        stderr(text.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void stderr(byte[] data) {
        output.write(Stream.STDERR, data, 0, data.length);
    }

    @Override
    public boolean cancelled() {
        return stop.get() != null;
    }

    @Override
    public void onCancel(Runnable action) {
        synchronized (this) {
            if (cancelActions != null) {
                cancelActions.add(action);
                return;
            }
        }
        runQuietly(action);
    }

    @Override
    public String toString() {
        return "job " + jobId() + " (" + type() + ")";
    }
}
