package dev.tether.agent.state;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.locks.ReentrantLock;
import org.sqlite.SQLiteConfig;

/**
 * One JDBC connection to {@code agent.db}, in WAL mode with
 * {@code synchronous=FULL} (a commit is on disk when it returns), and the
 * transaction plumbing around it. SQL failures become a
 * {@link StateStoreException} naming what was being done and the file.
 *
 * <p>Thread safe: the connection is used only with {@link #lock} held, so the
 * work of one transaction never interleaves with another's.
 */
final class Database implements AutoCloseable {

    /** Work on the connection; runs with the lock held. */
    @FunctionalInterface
    interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    private final Path file;
    private final ReentrantLock lock = new ReentrantLock();
    /** Guarded by {@link #lock}; null once closed. */
    private Connection connection;

    private Database(Path file, Connection connection) {
        this.file = file;
        this.connection = connection;
    }

    static Database open(Path file) throws SQLException {
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
        config.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
        config.setBusyTimeout(5_000);
        return new Database(file, config.createConnection("jdbc:sqlite:" + file));
    }

    Path file() {
        return file;
    }

    /** Runs {@code work} in one transaction, committed (durably) before this returns; rolled back on failure. */
    <T> T write(String what, Work<T> work) {
        lock.lock();
        try {
            Connection c = connection();
            try {
                c.setAutoCommit(false);
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(c, e);
                throw failure(what, e);
            } finally {
                restoreAutoCommit(c, what);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Runs {@code work} outside an explicit transaction (each statement is its own). */
    <T> T read(String what, Work<T> work) {
        lock.lock();
        try {
            return work.run(connection());
        } catch (SQLException e) {
            throw failure(what, e);
        } finally {
            lock.unlock();
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

    private Connection connection() {
        if (connection == null) {
            throw new IllegalStateException("the agent state store is closed");
        }
        return connection;
    }

    private RuntimeException failure(String what, Exception e) {
        if (e instanceof RuntimeException runtime && !(e instanceof UnsupportedOperationException)) {
            return runtime;
        }
        return new StateStoreException("could not " + what + " in " + file + ": " + e.getMessage(), e);
    }

    private static void rollbackQuietly(Connection c, Exception cause) {
        try {
            c.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }

    private void restoreAutoCommit(Connection c, String what) {
        try {
            c.setAutoCommit(true);
        } catch (SQLException e) {
            throw failure("end the transaction to " + what, e);
        }
    }

    /** Idempotent. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (connection != null) {
                connection.close();
            }
        } catch (SQLException e) {
            throw failure("close the database", e);
        } finally {
            connection = null;
            lock.unlock();
        }
    }
}
