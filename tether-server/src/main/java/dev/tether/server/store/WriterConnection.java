package dev.tether.server.store;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The group-commit writer's SQLite connection, and the transaction statements it runs on it.
 *
 * <p>The connection stays in JDBC auto-commit mode and every transaction boundary is an explicit statement
 * ({@code BEGIN IMMEDIATE}, {@code SAVEPOINT}, {@code COMMIT}, {@code ROLLBACK}). sqlite-jdbc's own
 * transaction handling is never used because it cannot be trusted after a failure: {@code setAutoCommit(false)}
 * records the new mode before its {@code begin immediate} runs (a busy lock leaves the driver believing in a
 * transaction SQLite never started, and later statements commit one by one), and {@code commit()} runs
 * {@code commit} and then {@code begin immediate} again (a busy lock makes a committed transaction look
 * failed). Here SQLite's answer to each statement is the state.
 *
 * <p>After any failure of a transaction statement the writer calls {@link #rollback()}. When even that leaves
 * the state unknown, the connection is evicted from the pool (closing it makes SQLite roll back whatever was
 * open) and the next group takes a fresh one.
 *
 * <p>Not thread safe: owned by the writer thread.
 */
final class WriterConnection implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WriterConnection.class);
    /** SQLite's message for a ROLLBACK or COMMIT outside a transaction. */
    private static final String NO_TRANSACTION = "no transaction is active";

    private final HikariDataSource pool;
    private final int cacheKib;
    /** Null until first used and after an eviction. */
    private Connection connection;
    /** The statements kept on {@link #connection}; null with it. */
    private StatementCache statements;

    WriterConnection(HikariDataSource pool, int cacheKib) {
        this.pool = pool;
        this.cacheKib = cacheKib;
    }

    /**
     * The connection for the members' work, taken from the pool (with the writer's page cache) when there is
     * none; it keeps their prepared statements ({@link StatementCache}).
     */
    Connection get() throws SQLException {
        if (connection == null) {
            Connection fresh = pool.getConnection();
            try {
                execute(fresh, "PRAGMA cache_size = -" + cacheKib);
                // The Checkpointer copies the log on its own thread, so no commit here waits for it.
                execute(fresh, "PRAGMA wal_autocheckpoint = 0");
            } catch (SQLException | RuntimeException | Error e) {
                pool.evictConnection(fresh);
                throw e;
            }
            connection = fresh;
            statements = new StatementCache(fresh);
        }
        return statements.connection();
    }

    /** Takes the write lock, waiting up to the busy timeout; throws (SQLITE_BUSY) when it is still held. */
    void begin() throws SQLException {
        executeKept("BEGIN IMMEDIATE");
    }

    void savepoint() throws SQLException {
        executeKept("SAVEPOINT member");
    }

    void releaseSavepoint() throws SQLException {
        executeKept("RELEASE member");
    }

    /**
     * Undoes a member's work and leaves the group's transaction open.
     *
     * @return false when that failed: the whole transaction is lost (SQLite may have rolled it back itself)
     */
    boolean rollbackToSavepoint() {
        try {
            execute(get(), "ROLLBACK TO member");
            execute(get(), "RELEASE member");
            return true;
        } catch (SQLException | RuntimeException | Error e) {
            LOG.warn("database writer: could not roll a failed member back to its savepoint", e);
            return false;
        }
    }

    void commit() throws SQLException {
        executeKept("COMMIT");
    }

    /**
     * Ends whatever transaction the connection may be in, without committing it.
     *
     * @return true when this ROLLBACK undid an open transaction; false when none was open (SQLite had ended it
     *     already) or the state was unknown, in which case the connection is evicted
     */
    boolean rollback() {
        if (connection == null) {
            return false;
        }
        try {
            execute(connection, "ROLLBACK");
            return true;
        } catch (SQLException e) {
            if (String.valueOf(e.getMessage()).contains(NO_TRANSACTION)) {
                return false;
            }
            LOG.warn("database writer: ROLLBACK failed; taking a fresh connection", e);
        } catch (RuntimeException | Error e) {
            LOG.warn("database writer: ROLLBACK failed; taking a fresh connection", e);
        }
        evict();
        return false;
    }

    /** Drops the connection without returning it to the pool; SQLite rolls back what it had open. */
    void evict() {
        Connection dropped = connection;
        dropStatements();
        connection = null;
        if (dropped != null) {
            try {
                pool.evictConnection(dropped);
            } catch (RuntimeException e) {
                LOG.debug("evicting the writer's connection", e);
            }
        }
    }

    @Override
    public void close() {
        if (connection != null) {
            rollback();
        }
        if (connection != null) {
            dropStatements();
            try {
                connection.close();
            } catch (SQLException e) {
                LOG.debug("closing the writer's connection", e);
            }
            connection = null;
        }
    }

    private void dropStatements() {
        if (statements != null) {
            statements.close();
            statements = null;
        }
    }

    /** Runs one of the writer's fixed statements, kept prepared: a group runs two per member. */
    private void executeKept(String sql) throws SQLException {
        try (PreparedStatement statement = get().prepareStatement(sql)) {
            statement.execute();
        }
    }

    private static void execute(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }
}
