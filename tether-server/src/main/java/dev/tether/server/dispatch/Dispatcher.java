package dev.tether.server.dispatch;

import dev.tether.server.RetentionSettings;
import dev.tether.server.dispatch.CommandRecord.State;
import dev.tether.server.dispatch.Targets.Target;
import dev.tether.server.events.EventBroadcaster;
import dev.tether.server.events.EventLog;
import dev.tether.server.hub.Hub;
import dev.tether.server.metrics.ServerMetrics;
import dev.tether.server.retention.RetentionSweep;
import dev.tether.server.store.AgentStore;
import dev.tether.server.store.Database;
import dev.tether.server.store.Dialect;
import io.vertx.core.Vertx;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commands and jobs: creates a command with one job per target and sends
 * them within max_concurrency, tracks their states (acknowledgements from the
 * agent's acks, everything else from its JobEvents), cancels, and expires.
 *
 * <p>Every change commits in one transaction with its server events and any
 * outbox rows; afterwards {@link #committed} wakes the agents' connections,
 * the event broadcaster and output followers, schedules the commands'
 * {@link Reconciler reconcile} and counts metrics, none of which blocks.
 *
 * <p>{@link #create}, {@link #cancelJob}, {@link #cancelCommand} and
 * {@link #acknowledgedIn} block (run them on the database executor). Thread safe.
 */
public final class Dispatcher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);

    private final Database db;
    private final Hub hub;
    private final ServerMetrics metrics;
    private final EventBroadcaster broadcaster;
    /** Unfinished jobs one agent may have; a command that would add one more is refused (429). */
    public static final int MAX_PENDING_JOBS_PER_AGENT = 1000;

    private final Targets targets;
    private final JobStore jobs;
    private final Reconciler reconciler;
    private final Housekeeper housekeeper;
    private final JobEventApplier jobEvents = new JobEventApplier();
    private final OutputWatchers watchers = new OutputWatchers();
    /** Vert.x and its timer id; set by start, read by close. */
    private volatile Vertx vertx;
    private volatile long timer = -1;

    public Dispatcher(Database db, Executor dbExecutor, Hub hub, ServerMetrics metrics, EventLog events,
            EventBroadcaster broadcaster, RetentionSettings retention) {
        this.db = db;
        this.hub = hub;
        this.metrics = metrics;
        this.broadcaster = broadcaster;
        this.targets = new Targets(new AgentStore(db));
        this.jobs = new JobStore(db);
        this.reconciler = new Reconciler(db, dbExecutor, this::committed);
        this.housekeeper = new Housekeeper(db, dbExecutor, reconciler, events, broadcaster,
                new RetentionSweep(db, retention), this::committed);
        metrics.gaugeJobsRunning(housekeeper::running);
        for (JobState state : JobState.values()) {
            if (state.isFinal()) {
                // Every final state is exported from the start, so a dashboard's rate() sees the first one.
                metrics.jobsFinished(state.wire(), 0);
            }
        }
    }

    /**
     * Starts the housekeeper (its first pass reconciles every unfinished command), expiring, reconciling and
     * pruning only while {@code leader} (in a cluster: while this node holds the housekeeping lock).
     */
    public void start(Vertx vertx, BooleanSupplier leader) {
        this.vertx = vertx;
        housekeeper.runOnlyWhen(leader);
        housekeeper.run();
        timer = vertx.setPeriodic(Housekeeper.PERIOD.toMillis(), id -> housekeeper.run());
    }

    public JobEventApplier jobEvents() {
        return jobEvents;
    }

    public OutputWatchers watchers() {
        return watchers;
    }

    /** A created command and its jobs, as they were when the creation committed. */
    public record Created(CommandRecord command, List<JobRecord> jobs) {
    }

    /**
     * Stores the command and a job per target, and sends the first max_concurrency of them, in one
     * transaction: either all of it is stored or nothing is.
     *
     * @throws DispatchException for an unknown or revoked agent, a selector matching nothing, or a target
     *     with {@link #MAX_PENDING_JOBS_PER_AGENT} unfinished jobs already
     */
    public Created create(NewCommand request) {
        return create(request, null);
    }

    /**
     * As {@link #create(NewCommand)}, for an operator whose scope every target must match.
     *
     * @param scope null: any agent
     * @throws DispatchException {@link DispatchException.Reason#OUT_OF_SCOPE} naming an agent outside it
     */
    public Created create(NewCommand request, Selector scope) {
        long startNanos = System.nanoTime();
        List<Target> resolved = targets.resolve(request, scope);
        long resolvedNanos = System.nanoTime();
        long now = System.currentTimeMillis();
        CommandRecord command = new CommandRecord(Ids.command(), request.type(), CommandRecord.spec(request),
                CommandRecord.target(request), request.timeoutSeconds(), request.deadlineSeconds(),
                request.maxConcurrency(), request.maxErrors(), request.createdBy(), now, State.RUNNING, null);
        Long deadline = request.deadlineSeconds() > 0 ? now + request.deadlineSeconds() * 1000 : null;
        List<JobRecord> queued = new ArrayList<>(resolved.size());
        for (Target target : resolved) {
            queued.add(JobRecord.queued(Ids.job(), command.id(), target.agentId(), target.agentName(),
                    command.type(), queued.size(), deadline, now));
        }
        int first = command.maxConcurrency() == 0 ? queued.size() : Math.min(command.maxConcurrency(), queued.size());
        Dialect dialect = db.dialect();
        long[] ranNanos = new long[2];
        committed(db.inTransaction("create command", connection -> {
            ranNanos[0] = System.nanoTime();
            JobStore.checkPendingIn(connection, resolved, MAX_PENDING_JOBS_PER_AGENT);
            AfterCommit after = new AfterCommit(db.outboxTails());
            CommandStore.insertIn(connection, command);
            // The first jobs' requests are appended before the jobs are stored, so each job is inserted with its
            // seq instead of being updated after. Nothing reads the new rows in between.
            Map<String, Long> sent = Release.sendNewIn(connection, dialect, command, queued.subList(0, first), now,
                    after);
            JobStore.insertIn(connection, queued, sent);
            after.commandState(command, State.RUNNING, false, queued.size(), null, now);
            after.commandCreated();
            after.writeEventsIn(connection, dialect);
            ranNanos[1] = System.nanoTime();
            return after;
        }));
        long doneNanos = System.nanoTime();
        metrics.fannedOut(doneNanos - startNanos);
        if (LOG.isDebugEnabled()) {
            LOG.debug("command {}: {} jobs ({} sent) resolved in {} ms, waited {} ms for the writer, stored in {} ms, "
                    + "committed in {} ms", command.id(), queued.size(), first, millis(resolvedNanos - startNanos),
                    millis(ranNanos[0] - resolvedNanos), millis(ranNanos[1] - ranNanos[0]),
                    millis(doneNanos - ranNanos[1]));
        }
        return new Created(command, queued);
    }

    /**
     * Cancels a job (see {@link Cancellation}).
     *
     * @return the job after the cancel
     * @throws DispatchException when there is no such job, or it is final
     */
    public JobRecord cancelJob(String jobId) {
        Dialect dialect = db.dialect();
        long now = System.currentTimeMillis();
        committed(db.inTransaction("cancel job", connection -> {
            AfterCommit after = new AfterCommit(db.outboxTails());
            Cancellation.cancelJobIn(connection, dialect, jobId, now, after);
            after.writeEventsIn(connection, dialect);
            return after;
        }));
        return jobs.find(jobId).orElseThrow();
    }

    /**
     * Cancels every unfinished job of a command and marks it cancelled.
     *
     * @throws DispatchException when there is no such command, or every job is final
     */
    public void cancelCommand(String commandId) {
        Dialect dialect = db.dialect();
        long now = System.currentTimeMillis();
        committed(db.inTransaction("cancel command", connection -> {
            AfterCommit after = new AfterCommit(db.outboxTails());
            Cancellation.cancelCommandIn(connection, dialect, commandId, now, after);
            after.writeEventsIn(connection, dialect);
            return after;
        }));
    }

    /**
     * The agent acknowledged every server → agent seq up to {@code upToSeq}: its jobs sent up to there and still
     * queued become delivered, in the caller's transaction, which hands {@code after} to {@link #committed} (an
     * agent's session marks them with the payloads it applies). Cheap when there are none (one indexed read).
     */
    public void acknowledgedIn(Connection connection, String agentId, long upToSeq, AfterCommit after)
            throws SQLException {
        long now = System.currentTimeMillis();
        for (JobHead job : JobStore.unacknowledgedIn(connection, agentId, upToSeq)) {
            JobTransitions.deliverIn(connection, job, now, after);
        }
    }

    private static long millis(long nanos) {
        return nanos / 1_000_000;
    }

    /** Tells everyone concerned what a committed transaction changed; never blocks. */
    public void committed(AfterCommit after) {
        // The tails first: a woken session then sends what was just committed without reading it back.
        after.outboxAppends().committed();
        if (after.hasEvents()) {
            broadcaster.wake();
        }
        after.agentsToWake().forEach(hub::wake);
        watchers.changed(after.commandsChanged());
        reconciler.schedule(after.commandsToReconcile());
        for (int i = 0; i < after.commandsCreated(); i++) {
            metrics.commandCreated();
        }
        after.finalTransitions().forEach((state, count) -> metrics.jobsFinished(state.wire(), count));
        after.ignoredJobEvents().forEach(metrics::jobEventsIgnored);
    }

    /** Stops the housekeeper's timer; work already queued finishes with the database executor. */
    @Override
    public void close() {
        if (vertx != null) {
            vertx.cancelTimer(timer);
        }
    }
}
