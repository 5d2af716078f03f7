package dev.tether.server.store;

import dev.tether.protocol.v1.ConfigApplied;
import dev.tether.protocol.v1.Hello;
import dev.tether.protocol.v1.StatusReport;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What live agent connections write to an agent's row: the Hello, the status
 * report, the applied config version, the applied seq and, in batches,
 * {@code last_seen}.
 *
 * <p>Blocking; thread safe (state lives in the database).
 */
public final class AgentSessionStore {

    /** Longest hostname, OS, arch, version or boot id kept from a Hello. */
    static final int MAX_REPORTED_LENGTH = 255;

    private final Database db;
    private final String nodeName;

    /** The store of the node named {@code nodeName}: handshakes here make it the agent's holder. */
    public AgentSessionStore(Database db, String nodeName) {
        this.db = db;
        this.nodeName = nodeName;
    }

    /**
     * Records the Hello of a new connection and reads what the handshake needs, in one transaction. The
     * connection takes the agent over: this node becomes its holder, and the connection epoch is bumped, which
     * fences every older connection of the agent, here or on another node (see {@link Fence}).
     *
     * @return null when the agent no longer exists
     */
    public SessionStart beginSession(String agentId, Hello hello, long nowMillis) {
        return db.inTransaction("begin agent session", connection -> {
            String previousHolder = holderIn(connection, agentId);
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE agents SET hostname = ?, os = ?, arch = ?, agent_version = ?, boot_id = ?,"
                            + " reported_labels = ?, capabilities = ?, connected_at = ?, last_seen = ?,"
                            + " holder_node = ?, connection_epoch = connection_epoch + 1 WHERE id = ?")) {
                update.setString(1, bounded(hello.getHostname()));
                update.setString(2, bounded(hello.getOs()));
                update.setString(3, bounded(hello.getArch()));
                update.setString(4, bounded(hello.getAgentVersion()));
                update.setString(5, bounded(hello.getBootId()));
                update.setString(6, JsonColumns.encodeMap(hello.getLabelsMap()));
                update.setString(7, JsonColumns.encodeList(hello.getCapabilitiesList()));
                update.setLong(8, nowMillis);
                update.setLong(9, nowMillis);
                update.setString(10, nodeName);
                update.setString(11, agentId);
                update.executeUpdate();
            }
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT name, applied_agent_seq, config_version, config_json, revoked_at, applied_agent_stamp,"
                            + " connection_epoch FROM agents WHERE id = ?")) {
                select.setString(1, agentId);
                try (ResultSet row = select.executeQuery()) {
                    if (!row.next()) {
                        return null;
                    }
                    return new SessionStart(row.getString(1), row.getLong(2), row.getLong(6), row.getLong(3),
                            row.getString(4), AgentStore.nullableLong(row, "revoked_at") != null,
                            new Fence(agentId, row.getLong(7)), previousHolder);
                }
            }
        });
    }

    /** The node holding the agent, its row locked until the transaction ends; null when none does. */
    private String holderIn(Connection connection, String agentId) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT holder_node FROM agents WHERE id = ?" + db.dialect().forUpdate())) {
            select.setString(1, agentId);
            try (ResultSet row = select.executeQuery()) {
                return row.next() ? row.getString(1) : null;
            }
        }
    }

    /**
     * The connection holding {@code fence} ended: the agent has no holder any more, unless a newer connection
     * (here or on another node) took it over meanwhile.
     *
     * @return true when the agent went offline: the fence was still current
     */
    public boolean release(Fence fence) {
        return db.inTransaction("release agent", connection -> {
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE agents SET holder_node = NULL WHERE id = ? AND connection_epoch = ? AND holder_node = ?")) {
                update.setString(1, fence.agentId());
                update.setLong(2, fence.epoch());
                update.setString(3, nodeName);
                return update.executeUpdate() == 1;
            }
        });
    }

    /** Hello strings are the agent's to choose: keep at most {@link #MAX_REPORTED_LENGTH} characters. */
    private static String bounded(String reported) {
        return reported.length() <= MAX_REPORTED_LENGTH ? reported : reported.substring(0, MAX_REPORTED_LENGTH);
    }

    /** Stores a status report on the agent row, in the caller's transaction. */
    public static void recordStatusIn(Connection connection, String agentId, StatusReport status, long nowMillis)
            throws SQLException {
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE agents SET status_state = ?, status_message = ?, status_details = ?, status_at = ?"
                        + " WHERE id = ?")) {
            update.setString(1, status.getState());
            update.setString(2, status.getMessage());
            update.setString(3, JsonColumns.encodeMap(status.getDetailsMap()));
            update.setLong(4, nowMillis);
            update.setString(5, agentId);
            update.executeUpdate();
        }
    }

    /**
     * Records the outcome of applying a configuration, in the caller's transaction.
     * The applied version only moves forward, so a late report of an older version changes nothing.
     */
    public static void recordConfigAppliedIn(Connection connection, String agentId, ConfigApplied applied)
            throws SQLException {
        String sql = applied.getOk()
                ? "UPDATE agents SET config_applied_version = ?, config_error_version = NULL, config_error = NULL"
                        + " WHERE id = ? AND config_applied_version < ?"
                : "UPDATE agents SET config_error_version = ?, config_error = ?"
                        + " WHERE id = ? AND config_applied_version < ?";
        try (PreparedStatement update = connection.prepareStatement(sql)) {
            int index = 1;
            update.setLong(index++, applied.getVersion());
            if (!applied.getOk()) {
                update.setString(index++, applied.getError().isEmpty() ? "failed" : applied.getError());
            }
            update.setString(index++, agentId);
            update.setLong(index, applied.getVersion());
            update.executeUpdate();
        }
    }

    /**
     * Moves the agent's applied seq from {@code expected} to {@code applied}, with the stamp of the payload
     * at {@code applied}, in the transaction of the effects. Compare-and-set: a mismatch means another
     * connection applied in between, and the transaction must roll back.
     *
     * @throws FencedException when the connection holding {@code fence} was taken over
     */
    public static void advanceAppliedIn(Connection connection, Fence fence, long expected, long applied,
            long appliedStamp) throws SQLException {
        String agentId = fence.agentId();
        try (PreparedStatement update = connection.prepareStatement("UPDATE agents SET applied_agent_seq = ?,"
                + " applied_agent_stamp = ? WHERE id = ? AND applied_agent_seq = ?"
                + " AND (? < 0 OR connection_epoch = ?)")) {
            update.setLong(1, applied);
            update.setLong(2, appliedStamp);
            update.setString(3, agentId);
            update.setLong(4, expected);
            update.setLong(5, fence.epoch());
            update.setLong(6, fence.epoch());
            if (update.executeUpdate() != 1) {
                if (fence.checked()) {
                    FencedException stale = fence.stale(connection);
                    if (stale.currentEpoch() != fence.epoch()) {
                        throw stale;
                    }
                }
                throw new SQLException("applied seq of agent " + agentId + " is no longer " + expected
                        + ": another connection applied payloads concurrently");
            }
        }
    }

    /**
     * Writes {@code last_seen} of many agents in one transaction (never earlier than stored), in agent id order:
     * the order every transaction that writes many agents' rows takes them in (a fan-out's counters in
     * {@code outbox_counters} too), so two of them never wait for each other's rows in a cycle. Unordered, a
     * flush and a fan-out to tens of thousands of agents (which then took the agent rows) deadlocked on
     * PostgreSQL.
     */
    public void flushLastSeen(Map<String, Long> lastSeenByAgent) {
        if (lastSeenByAgent.isEmpty()) {
            return;
        }
        SortedMap<String, Long> inLockOrder = new TreeMap<>(lastSeenByAgent);
        db.inTransaction("flush last_seen", connection -> {
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE agents SET last_seen = ? WHERE id = ? AND (last_seen IS NULL OR last_seen < ?)")) {
                for (Map.Entry<String, Long> entry : inLockOrder.entrySet()) {
                    update.setLong(1, entry.getValue());
                    update.setString(2, entry.getKey());
                    update.setLong(3, entry.getValue());
                    update.addBatch();
                }
                update.executeBatch();
            }
            return null;
        });
    }

    /**
     * What a handshake needs from the agent row.
     *
     * @param appliedAgentSeq highest agent seq applied
     * @param appliedAgentStamp the stamp of the agent payload at {@code appliedAgentSeq}, 0 when unknown
     * @param configJson null when no configuration was ever set
     * @param fence this connection's claim on the agent
     * @param previousHolder the node that held the agent before this handshake, null when none did
     */
    public record SessionStart(String name, long appliedAgentSeq, long appliedAgentStamp, long configVersion,
            String configJson, boolean revoked, Fence fence, String previousHolder) {
    }
}
