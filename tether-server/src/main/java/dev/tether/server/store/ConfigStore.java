package dev.tether.server.store;

import com.google.protobuf.ByteString;
import dev.tether.protocol.v1.ConfigUpdate;
import dev.tether.protocol.v1.Envelope;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/**
 * Agent configuration: each PUT stores the next version on the agent row and
 * appends a reliable {@link ConfigUpdate} to the agent's outbox, in one
 * transaction, so the update is delivered live or replayed on reconnect.
 *
 * <p>Blocking; thread safe (state lives in the database).
 */
public final class ConfigStore {

    private final Database db;

    public ConfigStore(Database db) {
        this.db = db;
    }

    /** Stores {@code json} as the agent's next configuration version and queues it for delivery. */
    public ConfigState put(String agentId, String json, long nowMillis) {
        Stored stored = db.inTransaction("store config", connection -> {
            OutboxTails.Appends appends = db.outboxTails().appends();
            long version = storeNextVersionIn(connection, agentId, json, nowMillis);
            Envelope envelope = Envelope.newBuilder().setConfigUpdate(update(version, json)).build();
            ServerOutbox.appendIn(connection, appends, agentId, List.of(envelope), nowMillis);
            return new Stored(select(connection, agentId).orElseThrow(), appends);
        });
        stored.appends().committed();
        return stored.state();
    }

    private record Stored(ConfigState state, OutboxTails.Appends appends) {
    }

    /**
     * Stores {@code json} as the agent's next configuration version in the caller's transaction, without
     * queueing anything: the caller delivers it (a {@code config} command's job does).
     *
     * @return the new version
     */
    public static long storeNextVersionIn(Connection connection, String agentId, String json, long nowMillis)
            throws SQLException {
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE agents SET config_version = config_version + 1, config_json = ?, config_updated_at = ?"
                        + " WHERE id = ?")) {
            update.setString(1, json);
            update.setLong(2, nowMillis);
            update.setString(3, agentId);
            if (update.executeUpdate() != 1) {
                throw new SQLException("no agent " + agentId);
            }
        }
        return select(connection, agentId).orElseThrow().version();
    }

    /** The agent's configuration state, empty when the agent does not exist. */
    public Optional<ConfigState> get(String agentId) {
        return db.withConnection("read config", connection -> select(connection, agentId));
    }

    /** The wire form of a configuration version. */
    public static ConfigUpdate update(long version, String json) {
        return ConfigUpdate.newBuilder()
                .setVersion(version)
                .setConfigJson(ByteString.copyFrom(json, StandardCharsets.UTF_8))
                .build();
    }

    private static Optional<ConfigState> select(Connection connection, String agentId) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT config_version, config_json, config_applied_version, config_error_version, config_error"
                        + " FROM agents WHERE id = ?")) {
            select.setString(1, agentId);
            try (ResultSet row = select.executeQuery()) {
                if (!row.next()) {
                    return Optional.empty();
                }
                return Optional.of(new ConfigState(row.getLong(1), row.getString(2), row.getLong(3),
                        AgentStore.nullableLong(row, "config_error_version"), row.getString(5)));
            }
        }
    }

    /**
     * @param version current version, 0 when never set
     * @param json the current document, null when never set
     * @param appliedVersion highest version the agent reported applied
     * @param errorVersion version whose apply failed last, null when the last report was a success
     */
    public record ConfigState(long version, String json, long appliedVersion, Long errorVersion, String error) {

        public boolean applied() {
            return version > 0 && appliedVersion >= version;
        }
    }
}
