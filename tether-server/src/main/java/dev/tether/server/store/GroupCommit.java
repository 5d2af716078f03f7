package dev.tether.server.store;

import com.zaxxer.hikari.HikariDataSource;
import dev.tether.server.store.Database.SqlWork;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SQLite's write transactions, committed in groups: one writer thread takes
 * every transaction waiting when it is free, runs them one after the other in
 * a single SQLite transaction and commits (one fsync) for all of them. SQLite
 * has one writer at a time anyway, so this loses no parallelism; what it saves
 * is a WAL fsync per caller, which is what bounds a herd of agents each
 * committing its own small transaction (10,000 agents acknowledging a command,
 * or reconnecting after a restart).
 *
 * <h2>Transaction rules</h2>
 * <ul>
 * <li>A group is {@code BEGIN IMMEDIATE}, each member inside its own {@code SAVEPOINT}, then one
 * {@code COMMIT}, all as explicit statements on an auto-commit connection ({@link WriterConnection} says why
 * the driver's own transaction calls are not used).
 * <li>A member whose work throws anything (an {@code Error} too) is rolled back to its savepoint and fails
 * alone; the others commit. Nothing is ever run twice: a member that may have committed is never re-run.
 * <li>When the write lock cannot be had within the busy timeout (another connection holds it) or the commit
 * fails, every member fails with a {@link StoreUnavailableException} that says whether anything could have
 * been committed. When a member's failure cost the whole transaction (its savepoint could not be rolled back),
 * the others fail with one too: nothing of theirs was committed.
 * <li>A caller's future completes only after its group's {@code COMMIT} returned.
 * </ul>
 *
 * <p>Thread safe. Called from the database executor's threads, which block
 * until their unit's group is committed.
 */
final class GroupCommit implements AutoCloseable {

    /** Units in one transaction at most, so one group's commit never waits for an unbounded amount of work. */
    static final int MAX_GROUP = 256;
    /**
     * Page cache of the writer's connection, KiB. Every write goes through this one connection, so its cache
     * holds the pages writes touch (a command's jobs and outbox rows land all over the B-trees); SQLite's
     * default of 2 MiB made large writes read the same pages again and again.
     */
    static final int WRITER_CACHE_KIB = 32 * 1024;
    private static final Logger LOG = LoggerFactory.getLogger(GroupCommit.class);

    private final BlockingQueue<Unit<?>> queue = new LinkedBlockingQueue<>();
    private final Thread writer;
    private final AtomicLong groups = new AtomicLong();
    private final AtomicLong units = new AtomicLong();
    private volatile boolean closed;
    /** Writer thread only (and {@link #close} once the thread has ended). */
    private final WriterConnection connection;
    /** Writer thread only. */
    private final GroupStats stats = new GroupStats();
    /** Copies the log into the database file after commits, off the writer's path. */
    private final Checkpointer checkpointer;

    private GroupCommit(HikariDataSource pool) {
        this.connection = new WriterConnection(pool, WRITER_CACHE_KIB);
        this.checkpointer = Checkpointer.start(pool);
        this.writer = Thread.ofPlatform().daemon().name("tether-db-writer").unstarted(this::run);
    }

    static GroupCommit start(HikariDataSource pool) {
        GroupCommit group = new GroupCommit(pool);
        group.writer.start();
        return group;
    }

    /** Runs {@code work} in the next group and returns its result once the group committed. */
    <T> T inTransaction(String operation, SqlWork<T> work) {
        if (Thread.currentThread() == writer) {
            throw new IllegalStateException(operation + ": a transaction inside a transaction");
        }
        if (closed) {
            throw new StoreException(operation, new SQLException("the database is closed"));
        }
        Unit<T> unit = new Unit<>(operation, work);
        queue.add(unit);
        try {
            return unit.result.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            // The unit may still commit: the caller cannot know, exactly as when a connection drops mid-commit.
            throw new StoreException(operation, new SQLException("interrupted waiting for the commit", e));
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new StoreException(operation, cause instanceof SQLException sql ? sql : new SQLException(cause));
        }
    }

    /** Transactions committed (or tried) so far, each holding one group. */
    long groups() {
        return groups.get();
    }

    /** Callers' units run so far. */
    long units() {
        return units.get();
    }

    /** Units waiting for the writer. */
    int waiting() {
        return queue.size();
    }

    private void run() {
        List<Unit<?>> group = new ArrayList<>();
        while (!closed || !queue.isEmpty()) {
            try {
                Unit<?> first = queue.take();
                if (first == Unit.POISON) {
                    continue;
                }
                group.add(first);
                queue.drainTo(group, MAX_GROUP - 1);
                group.removeIf(unit -> unit == Unit.POISON);
                commit(group);
            } catch (InterruptedException e) {
                if (closed) {
                    break;
                }
            } catch (Throwable e) {
                // A failure of the writer's own code: whatever was open is dropped with the connection.
                LOG.error("database writer: unexpected failure; the group's transaction is dropped", e);
                connection.evict();
                group.forEach(unit -> unit.result.completeExceptionally(e));
            } finally {
                group.clear();
            }
        }
        for (Unit<?> left; (left = queue.poll()) != null; ) {
            left.result.completeExceptionally(new StoreException(left.operation,
                    new SQLException("the database closed before this transaction ran")));
        }
    }

    private void commit(List<Unit<?>> group) {
        groups.incrementAndGet();
        units.addAndGet(group.size());
        try {
            connection.begin();
        } catch (SQLException e) {
            connection.rollback();
            group.forEach(unit -> unit.fail(StoreUnavailableException.notCommitted(unit.operation,
                    "the database is busy or failed", e)));
            return;
        }
        long startNanos = System.nanoTime();
        for (Unit<?> unit : group) {
            if (!runMember(unit)) {
                abandon(group, unit);
                return;
            }
        }
        long ranNanos = System.nanoTime();
        try {
            connection.commit();
            checkpointer.committed();
            stats.record(group.size(), ranNanos - startNanos, System.nanoTime() - ranNanos);
        } catch (SQLException e) {
            boolean rolledBack = connection.rollback();
            group.forEach(unit -> unit.fail(rolledBack
                    ? StoreUnavailableException.notCommitted(unit.operation, "the commit failed", e)
                    : StoreUnavailableException.outcomeUnknown(unit.operation, e)));
            return;
        }
        group.forEach(Unit::finish);
    }

    /**
     * Runs one member inside a savepoint; on any failure rolls it back to the savepoint, so its work is undone
     * and the group's transaction goes on.
     *
     * @return false when the group's transaction is lost (the savepoint could not be rolled back)
     */
    private boolean runMember(Unit<?> unit) {
        try {
            connection.savepoint();
        } catch (SQLException e) {
            unit.failed(StoreUnavailableException.notCommitted(unit.operation, "its savepoint failed", e));
            return false;
        }
        try {
            unit.ran(unit.work.run(connection.get()));
            connection.releaseSavepoint();
            return true;
        } catch (Throwable e) {
            unit.failed(e);
            return connection.rollbackToSavepoint();
        }
    }

    /** {@code failing} cost the group its transaction: it fails with its own error, the others as not committed. */
    private void abandon(List<Unit<?>> group, Unit<?> failing) {
        connection.rollback();
        SQLException lost = new SQLException("another transaction in its group failed and took the group's "
                + "transaction with it: " + failing.failure);
        for (Unit<?> unit : group) {
            if (unit == failing) {
                unit.finish();
            } else {
                unit.fail(StoreUnavailableException.notCommitted(unit.operation, "its group was rolled back", lost));
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        queue.add(Unit.POISON);
        try {
            writer.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        checkpointer.close();
        if (!writer.isAlive()) {
            connection.close();
        }
    }

    /**
     * One caller's transaction and its result. {@link #value} and {@link #failure} are written by the writer
     * thread while the group runs and handed to the caller by {@link #finish} only once the group committed.
     */
    private static final class Unit<T> {
        static final Unit<Object> POISON = new Unit<>("close", connection -> null);

        final String operation;
        final SqlWork<T> work;
        final CompletableFuture<T> result = new CompletableFuture<>();
        /** Writer thread only. */
        private Object value;
        /** Writer thread only; null while the work has not failed. */
        private Throwable failure;

        Unit(String operation, SqlWork<T> work) {
            this.operation = operation;
            this.work = work;
        }

        void ran(Object result) {
            value = result;
        }

        void failed(Throwable e) {
            failure = e;
        }

        /** The group committed (or was abandoned): the caller gets its result or its own failure. */
        @SuppressWarnings("unchecked")
        void finish() {
            if (failure != null) {
                result.completeExceptionally(failure);
            } else {
                result.complete((T) value);
            }
        }

        /** The group did not commit: a member that failed on its own keeps that failure, the rest get {@code e}. */
        void fail(StoreUnavailableException e) {
            result.completeExceptionally(failure != null ? failure : e);
        }
    }
}
