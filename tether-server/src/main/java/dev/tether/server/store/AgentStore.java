package dev.tether.server.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The registry of agents: enrolment, lookup, key authentication and revocation.
 * What a live connection writes lives in {@link AgentSessionStore}.
 *
 * <p>Blocking; thread safe (state lives in the database).
 */
public final class AgentStore {

    private static final String COLUMNS = "id, name, labels, created_at, revoked_at, last_seen, connected_at,"
            + " hostname, os, arch, agent_version, reported_labels, capabilities, status_state, status_message,"
            + " config_version, config_applied_version, approval, holder_node";

    private final Database db;

    public AgentStore(Database db) {
        this.db = db;
    }

    /**
     * Enrols an agent.
     *
     * @param keyHash hex SHA-256 of its key
     * @throws NameTakenException when the name is in use
     */
    public AgentRecord create(String name, Map<String, String> labels, String keyHash, long nowMillis) {
        String id = UUID.randomUUID().toString();
        try {
            db.inTransaction("create agent", connection -> {
                try (PreparedStatement insert = connection.prepareStatement(
                        "INSERT INTO agents (id, name, labels, key_hash, created_at) VALUES (?, ?, ?, ?, ?)")) {
                    insert.setString(1, id);
                    insert.setString(2, name);
                    insert.setString(3, JsonColumns.encodeMap(labels));
                    insert.setString(4, keyHash);
                    insert.setLong(5, nowMillis);
                    insert.executeUpdate();
                }
                ServerOutbox.openIn(connection, id);
                return null;
            });
        } catch (StoreException e) {
            if (e.getCause() instanceof SQLException sql && db.dialect().isUniqueViolation(sql)) {
                throw new NameTakenException(name);
            }
            throw e;
        }
        return find(id).orElseThrow();
    }

    /** The agent with this id, or else with this name. */
    public Optional<AgentRecord> find(String idOrName) {
        return db.withConnection("find agent", connection -> {
            Optional<AgentRecord> byId = selectOne(connection, "id", idOrName);
            return byId.isPresent() ? byId : selectOne(connection, "name", idOrName);
        });
    }

    /** Every agent, by name. */
    public List<AgentRecord> list() {
        return db.withConnection("list agents", connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT " + COLUMNS + " FROM agents ORDER BY name")) {
                return readAll(select);
            }
        });
    }

    /**
     * Up to {@code limit} agents matching {@code filter}, in name order, after the agent named {@code afterName}
     * (null: from the first). Keyset paging: an agent added or removed between pages moves no other agent
     * between pages, so a client following the pages sees every agent that existed throughout exactly once.
     */
    public List<AgentRecord> page(AgentFilter filter, String afterName, int limit) {
        AgentFilter.Sql where = filter.toSql(db.dialect());
        return db.withConnection("list agents", connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT " + COLUMNS + " FROM agents"
                    + " WHERE " + (afterName == null ? "1 = 1" : "name > ?") + where.conditions()
                    + " ORDER BY name LIMIT ?")) {
                int index = 1;
                if (afterName != null) {
                    select.setString(index++, afterName);
                }
                for (String parameter : where.parameters()) {
                    select.setString(index++, parameter);
                }
                select.setInt(index, limit);
                return readAll(select);
            }
        });
    }

    /**
     * Sets and removes server-assigned labels in one transaction (a JSON merge: the rest are kept).
     *
     * @param set labels to add or change
     * @param remove keys to remove
     * @param maxLabels how many labels the agent may have afterwards
     * @return the agent afterwards, empty when it does not exist
     * @throws IllegalArgumentException when the agent would have more than {@code maxLabels} labels (nothing
     *     is changed)
     */
    public Optional<AgentRecord> updateLabels(String id, Map<String, String> set, Set<String> remove,
            int maxLabels) {
        return db.inTransaction("update agent labels", connection -> {
            Map<String, String> labels;
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT labels FROM agents WHERE id = ?" + db.dialect().forUpdate())) {
                select.setString(1, id);
                try (ResultSet row = select.executeQuery()) {
                    if (!row.next()) {
                        return Optional.empty();
                    }
                    labels = new TreeMap<>(JsonColumns.decodeMap(row.getString(1)));
                }
            }
            labels.keySet().removeAll(remove);
            labels.putAll(set);
            if (labels.size() > maxLabels) {
                throw new IllegalArgumentException("an agent has at most " + maxLabels + " labels; this would leave "
                        + labels.size() + ": remove some with \"key\": null");
            }
            try (PreparedStatement update = connection.prepareStatement("UPDATE agents SET labels = ? WHERE id = ?")) {
                update.setString(1, JsonColumns.encodeMap(labels));
                update.setString(2, id);
                update.executeUpdate();
            }
            return selectOne(connection, "id", id);
        });
    }

    /**
     * Every agent as a command target: only what choosing targets needs, so resolving a command to
     * 10,000 agents reads five columns, not every agent's whole record.
     */
    public List<Candidate> candidates() {
        return db.withConnection("list command targets", connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT id, name, labels, revoked_at, approval FROM agents ORDER BY name");
                    ResultSet row = select.executeQuery()) {
                List<Candidate> all = new ArrayList<>();
                while (row.next()) {
                    all.add(new Candidate(row.getString(1), row.getString(2),
                            JsonColumns.decodeMap(row.getString(3)), nullableLong(row, "revoked_at") != null,
                            row.getString(5)));
                }
                return all;
            }
        });
    }

    /**
     * An agent as a command target.
     *
     * @param labels its server-assigned labels
     * @param approval null (approved) or why it may not run commands yet
     */
    public record Candidate(String id, String name, Map<String, String> labels, boolean revoked, String approval) {
    }

    /**
     * How many agents have each status, one status per agent, first that applies: {@code rejected} (enrolment
     * refused, which revokes too), {@code revoked}, {@code pending} (awaiting approval), {@code online} (some
     * node of the cluster holds its connection), else {@code offline}. One grouped read of the whole table.
     */
    public Map<String, Long> countByStatus() {
        return db.withConnection("count agents by status", connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT CASE"
                    + " WHEN approval = '" + AgentRecord.REJECTED + "' THEN 'rejected'"
                    + " WHEN revoked_at IS NOT NULL THEN 'revoked'"
                    + " WHEN approval = '" + AgentRecord.PENDING + "' THEN 'pending'"
                    + " WHEN holder_node IS NOT NULL THEN 'online'"
                    + " ELSE 'offline' END AS status, COUNT(*) AS agents FROM agents GROUP BY 1");
                    ResultSet rows = select.executeQuery()) {
                Map<String, Long> counts = new HashMap<>();
                while (rows.next()) {
                    counts.put(rows.getString(1), rows.getLong(2));
                }
                return counts;
            }
        });
    }

    /** The agent whose key hashes to {@code keyHash}, revoked or not. */
    public Optional<KeyOwner> findByKeyHash(String keyHash) {
        return db.withConnection("authenticate agent", connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT id, name, key_hash, revoked_at, approval FROM agents WHERE key_hash = ?")) {
                select.setString(1, keyHash);
                try (ResultSet row = select.executeQuery()) {
                    if (!row.next()) {
                        return Optional.empty();
                    }
                    return Optional.of(new KeyOwner(row.getString("id"), row.getString("name"),
                            row.getString("key_hash"), nullableLong(row, "revoked_at") != null,
                            row.getString("approval")));
                }
            }
        });
    }

    /** Marks the agent revoked (idempotent: the first revocation time is kept). */
    public void revoke(String id, long nowMillis) {
        db.withConnection("revoke agent", connection -> {
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE agents SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")) {
                update.setLong(1, nowMillis);
                update.setString(2, id);
                return update.executeUpdate();
            }
        });
    }

    /** Gives the agent a new key; the old one stops working. */
    public void replaceKey(String id, String keyHash) {
        db.withConnection("replace agent key", connection -> {
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE agents SET key_hash = ? WHERE id = ?")) {
                update.setString(1, keyHash);
                update.setString(2, id);
                return update.executeUpdate();
            }
        });
    }

    private static Optional<AgentRecord> selectOne(Connection connection, String column, String value)
            throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT " + COLUMNS + " FROM agents WHERE " + column + " = ?")) {
            select.setString(1, value);
            List<AgentRecord> found = readAll(select);
            return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
        }
    }

    private static List<AgentRecord> readAll(PreparedStatement select) throws SQLException {
        List<AgentRecord> agents = new ArrayList<>();
        try (ResultSet row = select.executeQuery()) {
            while (row.next()) {
                agents.add(read(row));
            }
        }
        return agents;
    }

    private static AgentRecord read(ResultSet row) throws SQLException {
        return new AgentRecord(
                row.getString("id"),
                row.getString("name"),
                JsonColumns.decodeMap(row.getString("labels")),
                row.getLong("created_at"),
                nullableLong(row, "revoked_at"),
                nullableLong(row, "last_seen"),
                nullableLong(row, "connected_at"),
                row.getString("hostname"),
                row.getString("os"),
                row.getString("arch"),
                row.getString("agent_version"),
                JsonColumns.decodeMap(row.getString("reported_labels")),
                JsonColumns.decodeList(row.getString("capabilities")),
                row.getString("status_state"),
                row.getString("status_message"),
                row.getLong("config_version"),
                row.getLong("config_applied_version"),
                row.getString("approval"),
                row.getString("holder_node"));
    }

    static Long nullableLong(ResultSet row, String column) throws SQLException {
        long value = row.getLong(column);
        return row.wasNull() ? null : value;
    }

    /**
     * The owner of a presented key.
     *
     * @param keyHash the stored hash, for a constant-time comparison by the caller
     */
    public record KeyOwner(String id, String name, String keyHash, boolean revoked, String approval) {
    }

    /**
     * Inserts an agent enrolled with a token, in the caller's transaction.
     *
     * @param approval null (approved) or {@link AgentRecord#PENDING}
     * @return false when the name is taken (nothing inserted)
     */
    public static boolean insertEnrolledIn(Connection connection, String id, String name, Map<String, String> labels,
            String keyHash, String approval, String tokenId, long nowMillis) throws SQLException {
        try (PreparedStatement taken = connection.prepareStatement("SELECT 1 FROM agents WHERE name = ?")) {
            taken.setString(1, name);
            try (ResultSet row = taken.executeQuery()) {
                if (row.next()) {
                    return false;
                }
            }
        }
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO agents (id, name, labels, key_hash,"
                + " created_at, approval, enrolled_with) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            insert.setString(1, id);
            insert.setString(2, name);
            insert.setString(3, JsonColumns.encodeMap(labels));
            insert.setString(4, keyHash);
            insert.setLong(5, nowMillis);
            insert.setString(6, approval);
            insert.setString(7, tokenId);
            insert.executeUpdate();
        }
        ServerOutbox.openIn(connection, id);
        return true;
    }

    /**
     * Approves ({@code approval} null) or rejects a pending agent; a rejected agent is revoked too.
     *
     * @return false when the agent was not pending
     */
    public boolean decide(String id, String approval, long nowMillis) {
        return db.withConnection("decide on agent", connection -> {
            try (PreparedStatement update = connection.prepareStatement("UPDATE agents SET approval = ?,"
                    + " revoked_at = CASE WHEN ? = 'rejected' THEN ? ELSE revoked_at END"
                    + " WHERE id = ? AND approval = 'pending'")) {
                update.setString(1, approval);
                update.setString(2, approval);
                update.setLong(3, nowMillis);
                update.setString(4, id);
                return update.executeUpdate() == 1;
            }
        });
    }
}
