package dev.tether.agent.jobs;

import dev.tether.agent.CommandHandler;
import dev.tether.agent.HealthCheck;
import dev.tether.agent.config.ConfigApplier;
import dev.tether.agent.connection.AgentIdentity;
import dev.tether.agent.metrics.HostMetrics;
import dev.tether.agent.process.ChildEnvironment;
import dev.tether.agent.process.LeftOvers;
import dev.tether.agent.process.ProcessGroup;
import dev.tether.agent.state.JobStore.OpenJob;
import dev.tether.agent.state.JobStore.State;
import dev.tether.agent.state.StateStore;
import dev.tether.protocol.ReliableChannel;
import dev.tether.protocol.v1.CancelJob;
import dev.tether.protocol.v1.CommandRequest;
import dev.tether.protocol.v1.JobFinished.Outcome;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's jobs: accepts {@code CommandRequest}s and {@code CancelJob}s
 * from the connection, runs jobs on a bounded pool ({@link JobPool}) and reports
 * them through the {@link JobLedger}.
 *
 * <h2>At most once, reported exactly once</h2>
 * <ul>
 * <li>A request is recorded (job accepted, seq applied) in one transaction before
 * any work starts; a request for a known job id is a no-op.
 * <li>A request whose {@code deadline_ms} has passed ends EXPIRED; one of a type
 * with no handler ends FAILED "unknown command type"; while the agent stops, a new
 * request ends CANCELLED "agent stopping". None of them runs.
 * <li>A job still waiting for a worker when its deadline passes ends EXPIRED.
 * <li>At start ({@link #endLeftOverJobs}), every job the previous process left
 * accepted, starting or running is reported LOST and never run again; the
 * processes it left running (those carrying its {@code TETHER_SPAWN_TOKEN}, and the
 * recorded pid if its start time is the recorded one) are stopped first, and the
 * report says which.
 * </ul>
 *
 * <h2>Cancel</h2>
 * A job waiting for a worker ends CANCELLED in the cancel's own transaction. A
 * running job is asked to stop (its group gets SIGTERM, then SIGKILL; an SDK
 * handler is interrupted and its cancel actions run) and ends CANCELLED when its
 * work returns. A cancel for an unknown job records it cancelled and reports
 * CANCELLED (a later request for it is a no-op); for an ended job it is ignored.
 *
 * <h2>Stop</h2>
 * {@link #stop()} cancels waiting jobs, asks running ones to stop with "agent
 * stopping" and waits up to {@link #STOP_WAIT}; a handler still running then is
 * reported CANCELLED anyway. So a graceful stop leaves no job to be reported LOST.
 *
 * <p>Thread safe. {@link #accept} and {@link #cancel} are called by the
 * connection's reader, one at a time; the rest from any thread.
 */
public final class Jobs {

    /** Reported for the jobs of a process that died. */
    public static final String LOST_ERROR = "agent restarted while the job was running";
    static final String STOPPING_ERROR = "agent stopping";
    /** How often a job's pending output is published. */
    static final Duration OUTPUT_FLUSH_INTERVAL = Duration.ofMillis(100);
    /** How long {@link #stop()} waits for running jobs: the SIGKILL grace and time to report. */
    static final Duration STOP_WAIT = ProcessGroup.KILL_GRACE.plusSeconds(2);

    private static final Logger log = LoggerFactory.getLogger(Jobs.class);

    /**
     * What the jobs need from the agent.
     *
     * @param wake tells the connection new reports are in the outbox
     * @param children the key kept out of exec jobs' environments, and the user they run as
     * @param restart exits for a restart after a self-update (waits for the outbox to drain first)
     */
    public record Setup(StateStore store, ReliableChannel channel, Runnable wake, Clock clock,
            ConfigApplier configs, AgentIdentity identity, HostMetrics metrics, ChildEnvironment children, Runnable restart) {
    }

    private final JobLedger ledger;
    private final Clock clock;
    private final JobPool pool;
    private final CommandRegistry commands;
    private final HealthCheckCommand healthChecks;
    /** Jobs of this process not yet ended, by id; entries removed when they end. */
    private final ConcurrentMap<String, LiveJob> live = new ConcurrentHashMap<>();
    /** Set once by {@link #stop()}. */
    private volatile boolean stopping;

    private Jobs(Setup setup) {
        this.ledger = new JobLedger(setup.store(), setup.channel(), setup.wake(), setup.clock());
        this.clock = setup.clock();
        this.pool = new JobPool();
        this.healthChecks = new HealthCheckCommand(setup.identity(), setup.metrics(), setup.store().stateDir(),
                setup.channel()::depth);
        Map<String, JobWork> builtIns = new LinkedHashMap<>();
        builtIns.put(CommandRegistry.EXEC, new ExecCommand(pool.timers(), setup.children()));
        builtIns.put(CommandRegistry.HEALTH_CHECK, healthChecks);
        builtIns.put(CommandRegistry.CONFIG, new ConfigCommand(setup.configs()));
        builtIns.put(CommandRegistry.SELF_UPDATE,
                new SelfUpdateCommand(setup.store().stateDir(), SelfUpdateCommand::codeSource, setup.restart()));
        this.commands = new CommandRegistry(builtIns);
    }

    public static Jobs create(Setup setup) {
        return new Jobs(setup);
    }

    /** @see dev.tether.agent.Agent#registerCommand */
    public void register(String type, CommandHandler handler) {
        commands.register(type, handler);
    }

    /** @see dev.tether.agent.Agent#registerHealthCheck */
    public void registerHealthCheck(String name, HealthCheck check) {
        healthChecks.register(name, check);
    }

    /** {@code cmd:<type>} for every type this agent runs, for the Hello. */
    public List<String> capabilities() {
        return commands.capabilities();
    }

    /**
     * Stops whatever the jobs the previous process left open left running, then reports them LOST (saying
     * what was stopped), in that order: an agent killed meanwhile finds them open again at its next start.
     * Call once, before connecting; blocks while left-over processes stop (up to the SIGKILL grace).
     */
    public void endLeftOverJobs() {
        Map<String, List<Long>> found = new HashMap<>();
        for (OpenJob job : ledger.openJobs()) {
            found.put(job.jobId(), findLeftOvers(job));
        }
        // All at once, so the SIGKILL grace is waited for once, however many jobs were lost.
        List<Long> stopped = LeftOvers.stop(found.values().stream().flatMap(List::stream).toList(),
                ProcessGroup.KILL_GRACE);
        for (OpenJob job : ledger.endOpenJobsAsLost(id -> lostError(found.getOrDefault(id, List.of()).stream()
                .filter(stopped::contains).toList()))) {
            log.warn("job {} ({}) was {} when the previous agent process ended: reported lost, not run again",
                    job.jobId(), job.type(), job.state().name().toLowerCase());
        }
    }

    private static List<Long> findLeftOvers(OpenJob job) {
        boolean legacy = job.spawnToken().isEmpty() && job.state() == State.RUNNING && job.pid() > 0;
        List<Long> found = LeftOvers.find(new LeftOvers.Trace(job.jobId(), job.pid(), job.startTicks(),
                job.bootId(), job.startedMs(), job.spawnToken(), legacy));
        if (!found.isEmpty()) {
            log.warn("job {} left processes running (pids {}): stopping them", job.jobId(), found);
        }
        return found;
    }

    static String lostError(List<Long> stopped) {
        return stopped.isEmpty() ? LOST_ERROR : LOST_ERROR + "; stopped the processes it left running (pids "
                + stopped.stream().map(String::valueOf).collect(Collectors.joining(", ")) + ")";
    }

    /** Applies a CommandRequest with its seq; starts the job unless it is known, expired or unknown. */
    public void accept(long seq, CommandRequest request) {
        String jobId = request.getJobId();
        if (jobId.isEmpty()) {
            ledger.applied(seq);
            log.warn("the server sent a command request without a job id (seq {}); ignored", seq);
            return;
        }
        JobWork work = commands.work(request.getType());
        LiveJob.Stop refusal = refusal(request, work);
        boolean recorded = refusal != null
                ? ledger.acceptEnded(seq, request, refusal.outcome(), refusal.error())
                : ledger.accept(seq, request);
        if (!recorded) {
            log.info("job {} is already known to this agent; the repeated request is ignored", jobId);
        } else if (refusal != null) {
            log.info("job {} ({}) not run: {}", jobId, request.getType(), refusal.error());
        } else {
            start(new LiveJob(request, ledger), work);
        }
    }

    private LiveJob.Stop refusal(CommandRequest request, JobWork work) {
        if (stopping) {
            return new LiveJob.Stop(Outcome.CANCELLED, STOPPING_ERROR);
        }
        long late = clock.millis() - request.getDeadlineMs();
        if (request.getDeadlineMs() > 0 && late > 0) {
            return new LiveJob.Stop(Outcome.EXPIRED, "its deadline passed " + late + " ms before this agent "
                    + "received it");
        }
        if (work == null) {
            return new LiveJob.Stop(Outcome.FAILED, "unknown command type '" + request.getType()
                    + "' on this agent");
        }
        return null;
    }

    private void start(LiveJob job, JobWork work) {
        live.put(job.jobId(), job);
        log.info("job {} ({}) accepted", job.jobId(), job.type());
        if (!pool.submit(() -> run(job, work)) && job.endQueued()) {
            endQueued(job, 0, stopping ? Outcome.CANCELLED : Outcome.FAILED, stopping ? STOPPING_ERROR
                    : "agent busy: " + JobPool.MAX_RUNNING + " jobs running and " + JobPool.MAX_WAITING
                    + " waiting; try again later");
        }
    }

    /** Applies a CancelJob with its seq. */
    public void cancel(long seq, CancelJob cancel) {
        String jobId = cancel.getJobId();
        LiveJob job = live.get(jobId);
        if (jobId.isEmpty()) {
            ledger.applied(seq);
            log.warn("the server sent a job cancel without a job id (seq {}); ignored", seq);
        } else if (job == null) {
            if (ledger.cancelUnknown(seq, jobId)) {
                log.info("job {} cancelled before this agent received it", jobId);
            }
        } else if (job.endQueued()) {
            endQueued(job, seq, Outcome.CANCELLED, "cancelled");
        } else {
            ledger.applied(seq);
            log.info("cancelling {}", job);
            job.requestStop(Outcome.CANCELLED, "cancelled");
        }
    }

    /** Reports a job that {@link LiveJob#endQueued() left the queue} without running. */
    private void endQueued(LiveJob job, long seq, Outcome outcome, String error) {
        ledger.end(seq, job.jobId(), outcome, 0, error, "");
        live.remove(job.jobId());
        log.info("{} ended before it started: {}", job, error);
    }

    // ------------------------------------------------------------------ running

    /** On a worker. */
    private void run(LiveJob job, JobWork work) {
        if (!job.begin(clock.instant(), work.interruptible())) {
            return;
        }
        new JobRun(job, work, ledger, pool, clock).run(stopping);
        live.remove(job.jobId());
    }

    // ------------------------------------------------------------------ stopping

    /**
     * Graceful stop: no new job runs; waiting ones end CANCELLED, running ones are
     * asked to stop and waited for up to {@link #STOP_WAIT}; any still running then
     * is reported CANCELLED anyway. Idempotent.
     */
    public void stop() {
        stopping = true;
        for (LiveJob job : live.values()) {
            if (job.endQueued()) {
                endQueued(job, 0, Outcome.CANCELLED, STOPPING_ERROR);
            } else {
                job.requestStop(Outcome.CANCELLED, STOPPING_ERROR);
            }
        }
        if (!pool.shutdown(STOP_WAIT)) {
            for (LiveJob job : live.values()) {
                if (ledger.end(0, job.jobId(), Outcome.CANCELLED, 0, STOPPING_ERROR
                        + " (its handler did not return within " + STOP_WAIT.toSeconds() + " s)", "")) {
                    log.warn("{} did not stop within {} s; reported cancelled", job, STOP_WAIT.toSeconds());
                }
            }
        }
        live.clear();
    }
}
