package dev.tether.server.cluster;

import dev.tether.server.store.Database;
import dev.tether.server.store.Dialect;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which node runs the cluster's periodic work (job expiry, command reconciliation, event pruning): the one
 * holding a session-level PostgreSQL advisory lock on a connection of its own. The lock goes with its
 * session: when the node dies, or stalls long enough for its lease to expire (another node then ends its
 * database sessions, see {@link NodeRegistry#terminateSessions}), a live node takes it at its next
 * {@link #check}. On SQLite there is one node, always the leader.
 *
 * <p>{@link #check} runs on the cluster's sweep task, one at a time; {@link #leader} may be read anywhere.
 */
final class Leadership implements AutoCloseable {

    /** The advisory lock's key: "tether" and 1 in ASCII. */
    static final long LOCK_KEY = 0x74657468657201L;
    private static final Duration VALIDATE_TIMEOUT = Duration.ofSeconds(2);
    private static final Logger LOG = LoggerFactory.getLogger(Leadership.class);

    private final Database db;
    /** The sweep task only. */
    private Connection connection;
    private volatile boolean leader;

    Leadership(Database db) {
        this.db = db;
        this.leader = db.dialect() == Dialect.SQLITE;
    }

    boolean leader() {
        return leader;
    }

    /** Takes the lock if free, or checks that the session holding it is still alive. */
    void check() {
        if (db.dialect() != Dialect.POSTGRESQL) {
            return;
        }
        try {
            if (connection == null) {
                connection = db.openDedicated();
            }
            if (leader) {
                if (!connection.isValid((int) VALIDATE_TIMEOUT.toSeconds())) {
                    throw new SQLException("the session holding the housekeeping lock is gone");
                }
                return;
            }
            leader = tryLock();
            if (leader) {
                LOG.info("this node now runs the cluster's periodic work (job expiry, reconciliation, pruning)");
            }
        } catch (SQLException e) {
            if (leader) {
                LOG.warn("lost the housekeeping lock: {}", e.getMessage());
            }
            release();
        }
    }

    private boolean tryLock() throws SQLException {
        try (PreparedStatement lock = connection.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
            lock.setLong(1, LOCK_KEY);
            try (ResultSet row = lock.executeQuery()) {
                return row.next() && row.getBoolean(1);
            }
        }
    }

    private void release() {
        leader = db.dialect() == Dialect.SQLITE;
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                LOG.debug("closing the housekeeping lock's connection failed", e);
            }
            connection = null;
        }
    }

    @Override
    public void close() {
        release();
    }
}
