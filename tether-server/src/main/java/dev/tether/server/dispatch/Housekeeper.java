package dev.tether.server.dispatch;

import dev.tether.server.dispatch.JobTransitions.Ending;
import dev.tether.server.events.EventBroadcaster;
import dev.tether.server.events.EventLog;
import dev.tether.server.retention.RetentionSweep;
import dev.tether.server.store.Database;
import dev.tether.server.store.Dialect;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dispatcher's one periodic task, every {@link #PERIOD}, on the database
 * executor (at most one queued or running):
 * <ul>
 *   <li>expires jobs still queued (not acknowledged by the agent) past their deadline; one sent to
 *       the agent is marked unconfirmed, since the agent may yet report it started in time;</li>
 *   <li>refreshes the {@code tether_jobs_running} gauge;</li>
 *   <li>every {@link #FULL_PASS_PERIOD}, reconciles every unfinished command (what a crash between a
 *       job's end and its command's reconcile left behind), prunes the event stream and deletes what is past
 *       its retention ({@link RetentionSweep});</li>
 *   <li>wakes the event broadcaster, in case a wake was lost.</li>
 * </ul>
 * In a cluster only the node holding the housekeeping lock expires, reconciles, prunes and deletes
 * ({@link #runOnlyWhen}); every node counts its gauge and wakes its own broadcaster.
 * Logs failures and carries on. Thread safe.
 */
final class Housekeeper implements Runnable {

    static final Duration PERIOD = Duration.ofSeconds(1);
    static final Duration FULL_PASS_PERIOD = Duration.ofMinutes(1);
    /** Jobs expired per transaction. */
    static final int EXPIRY_BATCH = 500;
    /** Unfinished commands reconciled per full pass at most. */
    static final int MAX_RECONCILED_PER_PASS = 10_000;
    private static final Logger LOG = LoggerFactory.getLogger(Housekeeper.class);

    private final Database db;
    private final Executor executor;
    private final JobStore jobs;
    private final CommandStore commands;
    private final Reconciler reconciler;
    private final EventLog events;
    private final EventBroadcaster broadcaster;
    private final RetentionSweep retention;
    private final Consumer<AfterCommit> committed;
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final AtomicLong running = new AtomicLong();
    /** Whether this node runs the cluster's periodic work; set once at start-up. */
    private volatile BooleanSupplier leader = () -> true;
    /** Time of the last full pass; written by the single running pass. */
    private volatile long lastFullPass;

    Housekeeper(Database db, Executor executor, Reconciler reconciler, EventLog events, EventBroadcaster broadcaster,
            RetentionSweep retention, Consumer<AfterCommit> committed) {
        this.db = db;
        this.executor = executor;
        this.jobs = new JobStore(db);
        this.commands = new CommandStore(db);
        this.reconciler = reconciler;
        this.events = events;
        this.broadcaster = broadcaster;
        this.retention = retention;
        this.committed = committed;
    }

    void runOnlyWhen(BooleanSupplier value) {
        this.leader = value;
    }

    /** Jobs running, as of the last pass. */
    long running() {
        return running.get();
    }

    /** Queues a pass unless one is queued or running; never blocks. */
    @Override
    public void run() {
        if (scheduled.compareAndSet(false, true)) {
            try {
                executor.execute(this::pass);
            } catch (RejectedExecutionException e) {
                scheduled.set(false);
            }
        }
    }

    private void pass() {
        try {
            long now = System.currentTimeMillis();
            step("count running jobs", () -> running.set(jobs.runningCount()));
            if (!leader.getAsBoolean()) {
                return;
            }
            step("expire jobs", () -> expire(now));
            if (now - lastFullPass >= FULL_PASS_PERIOD.toMillis()) {
                lastFullPass = now;
                step("reconcile commands", () -> reconciler.schedule(commands.unfinishedIds(MAX_RECONCILED_PER_PASS)));
                step("prune events", () -> events.prune(now));
                step("delete what is past its retention", () -> retention.sweep(now));
            }
        } finally {
            broadcaster.wakeLocal();
            scheduled.set(false);
        }
    }

    private static void step(String name, Runnable work) {
        try {
            work.run();
        } catch (RuntimeException e) {
            LOG.warn("housekeeping failed to {}; will retry", name, e);
        }
    }

    private void expire(long nowMillis) {
        List<JobRecord> due;
        do {
            due = jobs.dueForExpiry(nowMillis, EXPIRY_BATCH);
            if (!due.isEmpty()) {
                committed.accept(expireAll(due, nowMillis));
            }
        } while (due.size() == EXPIRY_BATCH);
    }

    private AfterCommit expireAll(List<JobRecord> due, long nowMillis) {
        Dialect dialect = db.dialect();
        return db.inTransaction("expire jobs", connection -> {
            AfterCommit after = new AfterCommit(db.outboxTails());
            for (JobRecord job : due) {
                boolean sent = job.outboxSeq() != null;
                JobTransitions.finishIn(connection, job,
                        Ending.byServer(JobState.EXPIRED, Release.DEADLINE_PASSED, sent), nowMillis, after);
            }
            after.writeEventsIn(connection, dialect);
            return after;
        });
    }
}
