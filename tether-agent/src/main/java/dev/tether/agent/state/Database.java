package dev.tether.agent.state;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.sqlite.SQLiteConfig;

/**
 * One JDBC connection to {@code agent.db}, in WAL mode with
 * {@code synchronous=FULL} (a commit is on disk when it returns), and the
 * transaction plumbing around it. SQL failures become a
 * {@link StateStoreException} naming what was being done and the file.
 *
 * <p>Transactions are explicit {@code BEGIN IMMEDIATE} / {@code COMMIT} /
 * {@code ROLLBACK} statements on a connection left in JDBC auto-commit mode:
 * sqlite-jdbc's {@code setAutoCommit(false)} records the new mode before its
 * {@code begin} runs, so a lock held by another process (an operator's
 * {@code sqlite3}) past the busy timeout would leave it believing in a
 * transaction that never started, and the next write's statements would each
 * commit on their own (an effect without its applied seq). A write whose work
 * throws anything, an {@code Error} too, is rolled back; when even the
 * rollback fails, the connection is closed (SQLite rolls back what it had
 * open) and the next call opens a fresh one.
 *
 * <p>Statements that run for every event (the transaction's own {@code BEGIN} and {@code COMMIT}, the
 * outbox's inserts and reads) are prepared once per connection and kept ({@link #prepared}): preparing is a
 * parse and a plan each time, and it was an eighth of the agent's CPU under sixteen publishers.
 *
 * <p>Thread safe: the connection is used only with {@link #lock} held, so the
 * work of one transaction never interleaves with another's. A second connection,
 * opened on first use, only reads, under a lock of its own ({@link #readCommitted}).
 */
final class Database implements AutoCloseable {

    /** Work on the connection; runs with the lock held. */
    @FunctionalInterface
    interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    /** How long a write waits for the lock held by another connection. */
    static final Duration BUSY_TIMEOUT = Duration.ofSeconds(5);
    /** SQLite's message for a ROLLBACK outside a transaction. */
    private static final String NO_TRANSACTION = "no transaction is active";

    private final Path file;
    private final Duration busyTimeout;
    private final ReentrantLock lock = new ReentrantLock();
    /** Guarded by {@link #lock}; null after a failed rollback (reopened on next use) and once closed. */
    private Connection connection;
    /** Set with {@link #lock} held; read by {@link #readCommitted} too. */
    private volatile boolean closed;
    private final ReentrantLock readerLock = new ReentrantLock();
    /** Guarded by {@link #readerLock}: the connection of {@link #readCommitted}, opened on first use. */
    private Connection reader;
    /** Guarded by {@link #lock}: a write is running, so another one on this thread would nest. */
    private boolean writing;
    /** Guarded by {@link #lock}: statements kept for {@link #connection}, by SQL text; closed with it. */
    private final Map<String, PreparedStatement> kept = new HashMap<>();
    /** Guarded by {@link #lock}: what the running write's work asked to run once it commits ({@link #afterCommit}). */
    private final List<Runnable> onCommit = new ArrayList<>();

    private Database(Path file, Duration busyTimeout, Connection connection) {
        this.file = file;
        this.busyTimeout = busyTimeout;
        this.connection = connection;
    }

    static Database open(Path file) throws SQLException {
        return open(file, BUSY_TIMEOUT);
    }

    static Database open(Path file, Duration busyTimeout) throws SQLException {
        return new Database(file, busyTimeout, connect(file, busyTimeout));
    }

    private static Connection connect(Path file, Duration busyTimeout) throws SQLException {
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
        config.setBusyTimeout((int) busyTimeout.toMillis());
        // Otherwise sqlite-jdbc matches every statement against a regex and follows each INSERT with a SELECT
        // last_insert_rowid() of its own, for keys the agent never asks for.
        config.setGetGeneratedKeys(false);
        return config.createConnection("jdbc:sqlite:" + file);
    }

    Path file() {
        return file;
    }

    /**
     * Runs {@code work} in one transaction, committed (durably) before this returns; rolled back when anything
     * fails, the work ({@code Error}s included), the {@code BEGIN} (the lock is busy) or the {@code COMMIT}.
     */
    <T> T write(String what, Work<T> work) {
        return write(what, work, true, null);
    }

    /**
     * {@link #write(String, Work)}, then {@code committed} with the work's result once the commit returned, the
     * lock still held: what it records follows the order of the commits. Not called when anything failed.
     */
    <T> T write(String what, Work<T> work, Consumer<T> committed) {
        return write(what, work, true, committed);
    }

    /**
     * Runs {@code work} in one transaction that is committed without waiting for the disk
     * ({@code synchronous=NORMAL} for this transaction only): a crash or power loss may undo it, never half of
     * it, and the next durable commit makes it durable too (the WAL is synced as a whole). For writes whose
     * loss only repeats work, such as deleting payloads the peer acknowledged: a lost delete replays them and
     * the peer drops them as duplicates.
     */
    <T> T writeLazily(String what, Work<T> work) {
        return write(what, work, false, null);
    }

    /** {@link #writeLazily(String, Work)}, then {@code committed} as {@link #write(String, Work, Consumer)} has it. */
    <T> T writeLazily(String what, Work<T> work, Consumer<T> committed) {
        return write(what, work, false, committed);
    }

    /**
     * {@link #writeLazily(String, Work, Consumer)} when no other thread holds the store; false at once, with
     * nothing done, when one does. For work that may wait for a later moment and must not wait behind a write
     * that could be stalled on the disk.
     */
    <T> boolean tryWriteLazily(String what, Work<T> work, Consumer<T> committed) {
        if (!lock.tryLock()) {
            return false;
        }
        try {
            write(what, work, false, committed);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Runs {@code action} once the write whose work calls this commits, with the lock still held (so in commit
     * order) and before that write's {@code committed}; never when it rolls back. Only from inside a write's
     * work, on its thread; the action must not throw.
     */
    void afterCommit(Runnable action) {
        if (!lock.isHeldByCurrentThread() || !writing) {
            throw new IllegalStateException("afterCommit outside a write's work");
        }
        onCommit.add(action);
    }

    private <T> T write(String what, Work<T> work, boolean durable, Consumer<T> committed) {
        lock.lock();
        try {
            if (writing) {
                throw new IllegalStateException("could not " + what + ": a write inside a write");
            }
            Connection c = connection();
            T result;
            writing = true;
            try {
                if (!durable) {
                    executeOnce(c, "PRAGMA synchronous = NORMAL");
                }
                execute(c, "BEGIN IMMEDIATE");
                result = work.run(c);
                execute(c, "COMMIT");
            } catch (SQLException | RuntimeException e) {
                onCommit.clear();
                rollback(c, e);
                throw failure(what, e);
            } catch (Error e) {
                onCommit.clear();
                rollback(c, e);
                throw e;
            } finally {
                writing = false;
                if (!durable) {
                    restoreFullSync(c);
                }
            }
            // Past the commit: one of these throwing leaves the transaction committed, nothing to roll back.
            try {
                for (Runnable action : onCommit) {
                    action.run();
                }
            } finally {
                onCommit.clear();
            }
            if (committed != null) {
                committed.accept(result);
            }
            return result;
        } catch (SQLException e) {
            throw failure(what, e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Back to {@code synchronous=FULL} after a lazy write. When even that fails the connection is dropped: a
     * fresh one starts in FULL, and no later durable write may run on one left in NORMAL.
     */
    private void restoreFullSync(Connection c) {
        if (connection != c) {
            return;
        }
        try {
            executeOnce(c, "PRAGMA synchronous = FULL");
        } catch (SQLException | RuntimeException | Error e) {
            drop(c);
        }
    }

    /** The connection's {@code synchronous} setting: 2 is FULL (tests). */
    int synchronousMode() {
        return read("read the sync mode", c -> Database.queryLong(c, "PRAGMA synchronous").intValue());
    }

    /** Runs {@code work} outside an explicit transaction (each statement is its own). */
    <T> T read(String what, Work<T> work) {
        lock.lock();
        try {
            return work.run(connection());
        } catch (SQLException e) {
            forgetStatements();
            throw failure(what, e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Runs {@code work} on a second connection that only reads, without the store's lock: in WAL mode it sees
     * what was committed last and never waits behind a write in progress, one stalled on the disk included. For
     * the connection's writer reading payloads back (a replay). Opened on first use, so an agent that never
     * replays from the file never opens it; dropped after a failure and opened again on the next use.
     */
    <T> T readCommitted(String what, Work<T> work) {
        readerLock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("the agent state store is closed");
            }
            if (reader == null) {
                reader = connect(file, busyTimeout);
            }
            return work.run(reader);
        } catch (SQLException e) {
            closeReader();
            throw failure(what, e);
        } finally {
            readerLock.unlock();
        }
    }

    /** Guarded by {@link #readerLock}. */
    private void closeReader() {
        if (reader != null) {
            try {
                reader.close();
            } catch (SQLException e) {
                // Closing is all that was left to do with it.
            }
            reader = null;
        }
    }

    /** The first column of the first row, or null when there is no row or the value is NULL. */
    static Long queryLong(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            if (!r.next()) {
                return null;
            }
            long value = r.getLong(1);
            return r.wasNull() ? null : value;
        }
    }

    /**
     * A statement for {@code sql} on {@code c}, prepared on first use and kept while the connection lives: the
     * caller neither closes it nor keeps it past its work, sets every parameter, and closes the result sets it
     * opens (which resets the statement). For a fixed set of statements only, not for SQL text built from data.
     *
     * @param c the connection handed to the work running now
     */
    PreparedStatement prepared(Connection c, String sql) throws SQLException {
        if (!lock.isHeldByCurrentThread() || c != connection) {
            throw new IllegalStateException("a kept statement outside the work on the current connection");
        }
        PreparedStatement statement = kept.get(sql);
        if (statement == null || statement.isClosed()) {
            statement = c.prepareStatement(sql);
            kept.put(sql, statement);
        }
        return statement;
    }

    /** Closes the kept statements; the next use prepares them again. */
    private void forgetStatements() {
        for (PreparedStatement statement : kept.values()) {
            try {
                statement.close();
            } catch (SQLException e) {
                // Finalising is all that was left to do with it.
            }
        }
        kept.clear();
    }

    /** The connection, opened again when a failed rollback dropped it. */
    private Connection connection() throws SQLException {
        if (closed) {
            throw new IllegalStateException("the agent state store is closed");
        }
        if (connection == null) {
            connection = connect(file, busyTimeout);
        }
        return connection;
    }

    private RuntimeException failure(String what, Exception e) {
        if (e instanceof RuntimeException runtime && !(e instanceof UnsupportedOperationException)) {
            return runtime;
        }
        return new StateStoreException("could not " + what + " in " + file + ": " + e.getMessage(), e);
    }

    /**
     * Ends whatever transaction may be open without committing it. A ROLLBACK that finds none is fine (the BEGIN
     * failed, or SQLite ended it itself); any other failure leaves the state unknown, so the connection is
     * closed, which makes SQLite roll back what it had open.
     */
    private void rollback(Connection c, Throwable cause) {
        // A statement whose step failed may be left in any state: prepare afresh from here on.
        forgetStatements();
        try {
            // Not a kept statement: after a failure, the less this depends on, the better.
            executeOnce(c, "ROLLBACK");
        } catch (SQLException e) {
            if (!String.valueOf(e.getMessage()).contains(NO_TRANSACTION)) {
                cause.addSuppressed(e);
                drop(c);
            }
        } catch (RuntimeException | Error e) {
            cause.addSuppressed(e);
            drop(c);
        }
    }

    private void drop(Connection c) {
        forgetStatements();
        connection = null;
        try {
            c.close();
        } catch (SQLException e) {
            // Closing is all that was left to do with it.
        }
    }

    /**
     * Runs {@code BEGIN} or {@code COMMIT} with a kept statement. Not a {@code PRAGMA}: SQLite may run a pragma
     * when it prepares it rather than at each step, so a kept one could silently do nothing the second time.
     */
    private void execute(Connection c, String sql) throws SQLException {
        prepared(c, sql).execute();
    }

    /** Runs {@code sql} with a statement prepared for this one time. */
    private static void executeOnce(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /** Idempotent. */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            forgetStatements();
            if (connection != null) {
                connection.close();
            }
        } catch (SQLException e) {
            throw failure("close the database", e);
        } finally {
            connection = null;
            lock.unlock();
            readerLock.lock();
            try {
                closeReader();
            } finally {
                readerLock.unlock();
            }
        }
    }
}
