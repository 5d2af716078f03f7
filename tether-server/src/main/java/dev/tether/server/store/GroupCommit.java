package dev.tether.server.store;

import dev.tether.server.store.Database.SqlWork;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
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
 * <p>Each caller still gets all-or-nothing: when one unit of a group throws,
 * the group is rolled back and each of its units runs again in a transaction
 * of its own, so the failing one fails alone and the others commit. Units must
 * therefore keep their effects inside the transaction, which
 * {@link Database#inTransaction} already asks of them. A caller returns only
 * after its group committed.
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

    private final DataSource pool;
    private final BlockingQueue<Unit<?>> queue = new LinkedBlockingQueue<>();
    private final Thread writer;
    private final AtomicLong groups = new AtomicLong();
    private final AtomicLong units = new AtomicLong();
    private volatile boolean closed;
    /** The writer's connection, kept across groups for its cache; writer thread only. */
    private Connection connection;

    private GroupCommit(DataSource pool) {
        this.pool = pool;
        this.writer = Thread.ofPlatform().daemon().name("tether-db-writer").unstarted(this::run);
    }

    static GroupCommit start(DataSource pool) {
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
            } catch (RuntimeException | Error e) {
                LOG.error("database writer: unexpected failure", e);
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
        Connection connection;
        try {
            connection = connection();
        } catch (SQLException e) {
            group.forEach(unit -> unit.result.completeExceptionally(e));
            return;
        }
        if (group.size() == 1) {
            group.getFirst().runAlone(connection);
            return;
        }
        List<Object> results = new ArrayList<>(group.size());
        try {
            connection.setAutoCommit(false);
            try {
                for (Unit<?> unit : group) {
                    results.add(unit.work.run(connection));
                }
                connection.commit();
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                results = null;
            } finally {
                connection.setAutoCommit(true);
            }
        } catch (SQLException e) {
            // The connection itself failed (or the commit did): let each unit find out on its own.
            results = null;
            discardIfBroken();
        }
        if (results == null) {
            // One of them failed, and it must fail alone.
            for (Unit<?> unit : group) {
                try {
                    unit.runAlone(connection());
                } catch (SQLException e) {
                    unit.result.completeExceptionally(e);
                }
            }
            return;
        }
        for (int i = 0; i < group.size(); i++) {
            group.get(i).complete(results.get(i));
        }
    }

    private Connection connection() throws SQLException {
        if (connection == null) {
            Connection fresh = pool.getConnection();
            try (Statement pragma = fresh.createStatement()) {
                pragma.execute("PRAGMA cache_size = -" + WRITER_CACHE_KIB);
            } catch (SQLException e) {
                fresh.close();
                throw e;
            }
            connection = fresh;
        }
        return connection;
    }

    /** After a failure of the connection itself, the next group takes another one. */
    private void discardIfBroken() {
        try {
            if (connection != null && !connection.isValid(1)) {
                Connection broken = connection;
                connection = null;
                broken.close();
            }
        } catch (SQLException e) {
            connection = null;
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
        if (!writer.isAlive() && connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                LOG.debug("closing the writer's connection", e);
            }
        }
    }

    /** One caller's transaction and its result. */
    private static final class Unit<T> {
        static final Unit<Object> POISON = new Unit<>("close", connection -> null);

        final String operation;
        final SqlWork<T> work;
        final CompletableFuture<T> result = new CompletableFuture<>();

        Unit(String operation, SqlWork<T> work) {
            this.operation = operation;
            this.work = work;
        }

        @SuppressWarnings("unchecked")
        void complete(Object value) {
            result.complete((T) value);
        }

        /** In a transaction of its own; its failure is its caller's. */
        void runAlone(Connection connection) {
            try {
                connection.setAutoCommit(false);
                try {
                    T value = work.run(connection);
                    connection.commit();
                    result.complete(value);
                } catch (SQLException | RuntimeException e) {
                    connection.rollback();
                    result.completeExceptionally(e);
                } catch (Error e) {
                    connection.rollback();
                    result.completeExceptionally(e);
                } finally {
                    connection.setAutoCommit(true);
                }
            } catch (SQLException e) {
                result.completeExceptionally(e);
            }
        }
    }
}
