package dev.tether.server.cluster;

import dev.tether.server.events.EventLog;
import dev.tether.server.events.ServerEvent;
import dev.tether.server.store.Database;
import dev.tether.server.store.Dialect;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The {@code nodes} table and the agents' holders: registering a node, renewing its lease, and sweeping the
 * nodes whose lease expired (their agents go offline). Every time is the database's clock
 * ({@link Dialect#nowMillis()}), never a node's.
 *
 * <p>Blocking; thread safe (state lives in the database).
 */
final class NodeRegistry {

    /** Close code recorded in the {@code agent.offline} event of an agent whose node died. */
    /** 1006, abnormal closure: the node died without closing the connection. */
    static final int NODE_LOST_CODE = 1006;
    /** Agents taken offline per transaction when a node is swept. */
    static final int SWEEP_BATCH = 500;

    private final Database db;
    private final String now;

    NodeRegistry(Database db) {
        this.db = db;
        this.now = db.dialect().nowMillis();
    }

    /** What a node writes about itself. */
    record Self(String name, String incarnation, String advertiseUrl, String version, long leaseMillis) {
    }

    /**
     * Enters this node in the table. A row of an earlier process with the same name whose lease expired is
     * taken over, and the agents it held go offline first.
     *
     * @return the live node that already holds the name; empty when this node is registered
     */
    Optional<NodeRow> register(Self self) {
        return db.inTransaction("register node", connection -> {
            Optional<NodeRow> rival = rivalIn(connection, self);
            if (rival.isPresent()) {
                return rival;
            }
            offlineIn(connection, self.name());
            try (PreparedStatement delete = connection.prepareStatement("DELETE FROM nodes WHERE name = ?")) {
                delete.setString(1, self.name());
                delete.executeUpdate();
            }
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO nodes (name, incarnation,"
                    + " advertise_url, version, started_at, renewed_at, lease_ms) VALUES (?, ?, ?, ?, " + now + ", "
                    + now + ", ?)")) {
                insert.setString(1, self.name());
                insert.setString(2, self.incarnation());
                insert.setString(3, self.advertiseUrl());
                insert.setString(4, self.version());
                insert.setLong(5, self.leaseMillis());
                insert.executeUpdate();
            }
            return Optional.empty();
        });
    }

    /**
     * A live node with this name. On SQLite there is none: one process holds the database's lock file
     * ({@code SqliteLock}), so a row left by an earlier process is a crash's, and is taken over at once.
     */
    private Optional<NodeRow> rivalIn(Connection connection, Self self) throws SQLException {
        if (db.dialect() == Dialect.SQLITE) {
            return Optional.empty();
        }
        for (NodeRow row : listIn(connection)) {
            if (row.name().equals(self.name()) && !row.state().equals("expired")) {
                return Optional.of(row);
            }
        }
        return Optional.empty();
    }

    /**
     * Renews this node's lease and reports its agent count and draining flag.
     *
     * @return false when the row is gone or was swept: another node found the lease expired and took this
     *     node's agents offline
     */
    boolean renew(Self self, int agents, boolean draining) {
        if (db.dialect() == Dialect.POSTGRESQL) {
            return db.inTransaction("renew node lease", connection -> {
                // Not made durable before it returns: a renewal lost in a database crash is renewed again two
                // seconds later, and waiting for the WAL flush behind a fan-out's writes starved leases.
                try (Statement asynchronous = connection.createStatement()) {
                    asynchronous.execute("SET LOCAL synchronous_commit TO OFF");
                }
                return renewIn(connection, self, agents, draining);
            });
        }
        return db.withConnection("renew node lease", connection -> renewIn(connection, self, agents, draining));
    }

    private boolean renewIn(Connection connection, Self self, int agents, boolean draining) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement("UPDATE nodes SET renewed_at = " + now
                + ", agents = ?, draining = ? WHERE name = ? AND incarnation = ? AND expired = 0")) {
            update.setInt(1, agents);
            update.setInt(2, draining ? 1 : 0);
            update.setString(3, self.name());
            update.setString(4, self.incarnation());
            // A renewal stuck past the lease (a half-open connection) must not hold up the next one.
            update.setQueryTimeout((int) Math.max(1, self.leaseMillis() / 1000));
            return update.executeUpdate() == 1;
        }
    }

    /** Updates this node's advertise URL. */
    void advertise(Self self) {
        db.withConnection("advertise node", connection -> {
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE nodes SET advertise_url = ? WHERE name = ? AND incarnation = ?")) {
                update.setString(1, self.advertiseUrl());
                update.setString(2, self.name());
                update.setString(3, self.incarnation());
                return update.executeUpdate();
            }
        });
    }

    /** Names of nodes whose lease expired and that were not swept yet. */
    List<String> expired() {
        return db.withConnection("find expired nodes", connection -> {
            List<String> names = new ArrayList<>();
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT name FROM nodes WHERE expired = 0 AND renewed_at + lease_ms < " + now);
                    ResultSet row = select.executeQuery()) {
                while (row.next()) {
                    names.add(row.getString(1));
                }
            }
            return names;
        });
    }

    /**
     * Marks an expired node swept, then takes its agents offline ({@link #offline}). Nodes sweep concurrently:
     * only one of them finds the node still unswept.
     *
     * @return the number of agents taken offline, or -1 when the node renewed or was swept meanwhile
     */
    int sweep(String name) {
        boolean marked = db.inTransaction("mark an expired node", connection -> {
            try (PreparedStatement mark = connection.prepareStatement("UPDATE nodes SET expired = 1"
                    + " WHERE name = ? AND expired = 0 AND renewed_at + lease_ms < " + now)) {
                mark.setString(1, name);
                return mark.executeUpdate() == 1;
            }
        });
        return marked ? offline(name) : -1;
    }

    /**
     * Clears the holder of every agent the (expired) node still holds, with an {@code agent.offline} event each,
     * in transactions of {@link #SWEEP_BATCH} agents. Never one transaction for them all: it would keep every
     * swept row locked until the last, and each of those agents' handshakes on the other nodes (they are
     * re-homing right now) would wait for it, with the threads it ran on. Rows a handshake holds are passed over
     * first (that handshake is taking the agent), then waited for, in case it rolled back.
     *
     * @return the number of agents taken offline
     */
    int offline(String node) {
        int total = 0;
        for (boolean skipLocked : new boolean[] {true, false}) {
            int batch;
            do {
                batch = db.inTransaction("take an expired node's agents offline",
                        connection -> offlineBatch(connection, node, skipLocked));
                total += batch;
            } while (batch > 0);
        }
        return total;
    }

    /** Expired nodes that still hold agents: their sweeper died before it finished. */
    List<String> unfinishedSweeps() {
        return db.withConnection("find unfinished sweeps", connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT name FROM nodes WHERE expired = 1"
                    + " AND EXISTS (SELECT 1 FROM agents WHERE holder_node = nodes.name)");
                    ResultSet row = select.executeQuery()) {
                List<String> names = new ArrayList<>();
                while (row.next()) {
                    names.add(row.getString(1));
                }
                return names;
            }
        });
    }

    private int offlineBatch(Connection connection, String node, boolean skipLocked) throws SQLException {
        List<ServerEvent> events = new ArrayList<>();
        long at = System.currentTimeMillis();
        try (PreparedStatement select = connection.prepareStatement(
                // In id order, as every transaction that locks many agents' rows takes them (see offlineIn).
                "SELECT id, name FROM agents WHERE holder_node = ? ORDER BY id LIMIT " + SWEEP_BATCH
                        + (skipLocked ? db.dialect().forUpdateSkipLocked() : db.dialect().forUpdate()))) {
            select.setString(1, node);
            try (ResultSet row = select.executeQuery()) {
                while (row.next()) {
                    events.add(offlineEvent(row.getString(1), row.getString(2), node, at));
                }
            }
        }
        if (events.isEmpty()) {
            return 0;
        }
        try (PreparedStatement clear = connection.prepareStatement(
                "UPDATE agents SET holder_node = NULL WHERE id = ? AND holder_node = ?")) {
            for (ServerEvent event : events) {
                clear.setString(1, event.agentId());
                clear.setString(2, node);
                clear.addBatch();
            }
            clear.executeBatch();
        }
        EventLog.insertIn(connection, db.dialect(), events);
        return events.size();
    }

    private static ServerEvent offlineEvent(String agentId, String agentName, String node, long at) {
        return ServerEvent.create(ServerEvent.AGENT_OFFLINE, agentId, new JsonObject()
                .put("agent_id", agentId).put("agent_name", agentName)
                .put("code", NODE_LOST_CODE).put("node", node)
                .put("at", Instant.ofEpochMilli(at).toString()), at);
    }

    /** Clears the holder of every agent {@code node} held, with an offline event each; the events go last. */
    private int offlineIn(Connection connection, String node) throws SQLException {
        List<ServerEvent> events = new ArrayList<>();
        long at = System.currentTimeMillis();
        try (PreparedStatement select = connection.prepareStatement(
                // Locked in id order, as every transaction that writes many agents' rows takes them, so this and
                // a fan-out never wait for each other in a cycle (AgentSessionStore.flushLastSeen says more).
                "SELECT id, name FROM agents WHERE holder_node = ? ORDER BY id" + db.dialect().forUpdate())) {
            select.setString(1, node);
            try (ResultSet row = select.executeQuery()) {
                while (row.next()) {
                    events.add(offlineEvent(row.getString(1), row.getString(2), node, at));
                }
            }
        }
        try (PreparedStatement clear = connection.prepareStatement(
                "UPDATE agents SET holder_node = NULL WHERE holder_node = ?")) {
            clear.setString(1, node);
            clear.executeUpdate();
        }
        EventLog.insertIn(connection, db.dialect(), events);
        return events.size();
    }

    /** Rows of nodes swept longer ago than {@code olderThanMillis} are deleted. */
    int purge(long olderThanMillis) {
        return db.withConnection("purge old nodes", connection -> {
            try (PreparedStatement delete = connection.prepareStatement(
                    "DELETE FROM nodes WHERE expired = 1 AND renewed_at < " + now + " - ?")) {
                delete.setLong(1, olderThanMillis);
                return delete.executeUpdate();
            }
        });
    }

    /**
     * Ends the database sessions of a node whose lease expired (PostgreSQL): a paused node's transactions
     * and its advisory lock die with them, so housekeeping moves to a live node. Needs the same database role
     * on every node (or {@code pg_signal_backend}).
     *
     * @return the number of sessions ended
     */
    int terminateSessions(String name) {
        if (db.dialect() != Dialect.POSTGRESQL) {
            return 0;
        }
        return db.withConnection("end an expired node's sessions", connection -> {
            try (PreparedStatement terminate = connection.prepareStatement("SELECT COUNT(pg_terminate_backend(pid))"
                    + " FROM pg_stat_activity WHERE application_name = ? AND pid <> pg_backend_pid()")) {
                terminate.setString(1, ClusterSettings.applicationName(name));
                try (ResultSet row = terminate.executeQuery()) {
                    return row.next() ? row.getInt(1) : 0;
                }
            }
        });
    }

    List<NodeRow> list() {
        return db.withConnection("list nodes", this::listIn);
    }

    private List<NodeRow> listIn(Connection connection) throws SQLException {
        List<NodeRow> nodes = new ArrayList<>();
        try (PreparedStatement select = connection.prepareStatement("SELECT name, advertise_url, version,"
                + " started_at, renewed_at, lease_ms, agents, draining, expired, " + now + " - renewed_at"
                + " FROM nodes ORDER BY name");
                ResultSet row = select.executeQuery()) {
            while (row.next()) {
                nodes.add(new NodeRow(row.getString(1), row.getString(2), row.getString(3), row.getLong(4),
                        row.getLong(5), row.getLong(6), row.getInt(7), row.getInt(8) == 1, row.getInt(9) == 1,
                        row.getLong(10)));
            }
        }
        return nodes;
    }
}
