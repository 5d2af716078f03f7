package dev.tether.server.dispatch;

import dev.tether.server.dispatch.CommandRecord.State;
import dev.tether.server.dispatch.JobStore.Tally;
import dev.tether.server.dispatch.JobTransitions.Ending;
import dev.tether.server.store.Database;
import dev.tether.server.store.Dialect;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves a command forward after its jobs changed, in one transaction per
 * command that first locks the command's row (so two reconciles of a command
 * never both see room): when failures exceed max_errors its held-back jobs are
 * cancelled; otherwise held-back jobs are released while fewer than
 * max_concurrency are sent and not final; when every job is final the command
 * is completed (or stays cancelled) with {@code finished_at}.
 *
 * <p>It runs apart from the transactions that finish jobs (the agent's apply,
 * expiry, cancel), which never lock a command or another agent, so they cannot
 * deadlock with it. Those schedule it after they commit; the housekeeper also
 * reconciles every unfinished command periodically, which recovers from a crash
 * between the two.
 *
 * <p>Bounds: {@link #pending} holds each command id at most once, and at most
 * one drain task is queued on the database executor. Thread safe.
 */
final class Reconciler {

    static final String MAX_ERRORS_EXCEEDED = "max_errors exceeded";
    private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);

    private final Database db;
    private final Executor executor;
    private final Consumer<AfterCommit> committed;
    private final Set<String> pending = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean scheduled = new AtomicBoolean();

    Reconciler(Database db, Executor executor, Consumer<AfterCommit> committed) {
        this.db = db;
        this.executor = executor;
        this.committed = committed;
    }

    /** Queues the commands for reconciling; never blocks. */
    void schedule(Collection<String> commandIds) {
        pending.addAll(commandIds);
        if (!pending.isEmpty() && scheduled.compareAndSet(false, true)) {
            try {
                executor.execute(this::drain);
            } catch (RejectedExecutionException e) {
                scheduled.set(false);
            }
        }
    }

    private void drain() {
        try {
            for (String commandId : List.copyOf(pending)) {
                pending.remove(commandId);
                reconcileLogged(commandId);
            }
        } finally {
            scheduled.set(false);
        }
        schedule(List.of());
    }

    private void reconcileLogged(String commandId) {
        try {
            reconcile(commandId);
        } catch (RuntimeException e) {
            LOG.warn("could not reconcile command {}; the housekeeper will retry", commandId, e);
        }
    }

    /** Reconciles one command now, blocking. */
    void reconcile(String commandId) {
        Dialect dialect = db.dialect();
        long now = System.currentTimeMillis();
        committed.accept(db.inTransaction("reconcile command", connection -> {
            AfterCommit after = new AfterCommit(db.outboxTails());
            reconcileIn(connection, dialect, commandId, now, after);
            after.writeEventsIn(connection, dialect);
            return after;
        }));
    }

    private static void reconcileIn(Connection connection, Dialect dialect, String commandId, long nowMillis,
            AfterCommit after) throws SQLException {
        CommandRecord command = CommandStore.lockIn(connection, dialect, commandId);
        if (command == null || command.finishedAt() != null) {
            return;
        }
        Tally tally = JobStore.tallyIn(connection, commandId);
        if (command.state() == State.RUNNING && tally.heldBack() > 0) {
            if (command.maxErrors() >= 0 && tally.failures() > command.maxErrors()) {
                cancelHeldBack(connection, dialect, command, nowMillis, after);
            } else {
                release(connection, dialect, command, tally, nowMillis, after);
            }
            tally = JobStore.tallyIn(connection, commandId);
        }
        if (tally.unfinished() == 0) {
            State end = command.state() == State.RUNNING ? State.COMPLETED : command.state();
            CommandStore.updateIn(connection, commandId, end, nowMillis);
            after.commandState(command, end, true, null, CommandStore.countsIn(connection, commandId), nowMillis);
        }
    }

    private static void cancelHeldBack(Connection connection, Dialect dialect, CommandRecord command, long nowMillis,
            AfterCommit after) throws SQLException {
        List<JobRecord> held = JobStore.lockHeldBackIn(connection, dialect, command.id(), Integer.MAX_VALUE);
        for (JobRecord job : held) {
            JobTransitions.finishIn(connection, job, Ending.byServer(JobState.CANCELLED, MAX_ERRORS_EXCEEDED, false),
                    nowMillis, after);
        }
        LOG.info("command {}: more than {} failures, {} held-back jobs cancelled", command.id(), command.maxErrors(),
                held.size());
    }

    /** Sends held-back jobs while there is room; jobs that expire on the way leave their room to the next. */
    private static void release(Connection connection, Dialect dialect, CommandRecord command, Tally tally,
            long nowMillis, AfterCommit after) throws SQLException {
        long room = command.maxConcurrency() == 0 ? tally.heldBack()
                : Math.min(tally.heldBack(), command.maxConcurrency() - tally.active());
        while (room > 0) {
            List<JobRecord> next = JobStore.lockHeldBackIn(connection, dialect, command.id(), (int) room);
            if (next.isEmpty()) {
                return;
            }
            room -= Release.sendIn(connection, dialect, command, next, nowMillis, after);
        }
    }
}
