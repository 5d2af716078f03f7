package dev.tether.agent.state;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.tether.protocol.v1.Envelope;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What {@code agent.db} says about the agent at one moment, for {@code tether agent status}: who it is, the
 * configuration applied, the outbox, the connection's history and the recent process starts.
 *
 * @param state the agent row
 * @param outboxDepth payloads stored and not yet acknowledged by the server
 * @param oldestPending the oldest of them, null when there is none
 * @param link the connection's history; empty when the state was written by an agent from before it
 * @param boots the last process starts, newest first
 */
public record StateSnapshot(StoredState state, long outboxDepth, Pending oldestPending, LinkJournal.Link link,
        List<Boot> boots) {

    /**
     * A payload waiting for the server's acknowledgement.
     *
     * @param kind what it is: {@code agent_event}, {@code job_event}, {@code config_applied}, ...
     * @param eventType an event's type, null for other kinds
     * @param occurredMs when an event happened (Unix ms), null for other kinds
     */
    public record Pending(long seq, String kind, String eventType, Long occurredMs) {
    }

    /** One process start. */
    public record Boot(long startedMs, String bootId, String version) {
    }

    /**
     * Reads the state of a stopped agent (or a running one, without its lock: SQLite's WAL lets a reader in
     * beside the writer). Changes nothing: an older schema is read as it is, not migrated.
     *
     * @throws StateStoreException when there is no state there, it cannot be read, or a newer agent wrote it
     */
    public static StateSnapshot read(Path stateDir) {
        Path file = stateDir.toAbsolutePath().resolve(StateStore.DATABASE_FILE);
        if (!Files.isDirectory(stateDir)) {
            throw new StateStoreException("no agent state in " + stateDir + ": it is not a directory; pass the "
                    + "agent's --state-dir (the installed agent's is /var/lib/tether-agent)");
        }
        if (!Files.isReadable(stateDir) || !Files.isExecutable(stateDir)) {
            throw new StateStoreException("cannot read " + stateDir + ": permission denied; run this as the agent's "
                    + "user or as root (sudo -u tether tether-agent status)");
        }
        if (!Files.exists(file)) {
            throw new StateStoreException("no agent state in " + stateDir + " (no " + StateStore.DATABASE_FILE
                    + "): has an agent ever run with this --state-dir?");
        }
        if (!Files.isReadable(file) || !Files.isWritable(stateDir)) {
            throw new StateStoreException("cannot read " + file + ": run this as the agent's user or as root "
                    + "(sudo -u tether tether-agent status)");
        }
        SqliteNative.unpackIn(stateDir);
        try (Database database = Database.open(file, Duration.ofSeconds(2))) {
            return database.read("read the agent state", StateSnapshot::read);
        } catch (SQLException e) {
            String nativeLibrary = SqliteNative.describeFailure(e);
            throw new StateStoreException("cannot open " + file + ": "
                    + (nativeLibrary != null ? nativeLibrary : e.getMessage()), e);
        }
    }

    static StateSnapshot read(Connection c) throws SQLException {
        long version = Database.queryLong(c, "PRAGMA user_version");
        if (version > StateStore.SCHEMA_VERSION) {
            throw new StateStoreException("the agent state was written by a newer agent (schema " + version
                    + ", this program knows " + StateStore.SCHEMA_VERSION + "): use the same version as the agent");
        }
        if (version < 1) {
            throw new StateStoreException("the agent state is empty: the agent stopped before it first started");
        }
        StoredState state = StateStore.readState(c);
        long depth = Database.queryLong(c, "SELECT COUNT(*) FROM outbox");
        return new StateSnapshot(state, depth, oldestPending(c),
                LinkJournal.present(c) ? LinkJournal.read(c) : LinkJournal.Link.NONE, boots(c));
    }

    private static Pending oldestPending(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT seq, envelope FROM outbox ORDER BY seq LIMIT 1")) {
            if (!r.next()) {
                return null;
            }
            long seq = r.getLong(1);
            try {
                Envelope envelope = Envelope.parseFrom(r.getBytes(2));
                String kind = envelope.getPayloadCase().name().toLowerCase(Locale.ROOT);
                return envelope.hasAgentEvent()
                        ? new Pending(seq, kind, envelope.getAgentEvent().getType(),
                                envelope.getAgentEvent().getOccurredMs())
                        : new Pending(seq, kind, null, null);
            } catch (InvalidProtocolBufferException e) {
                return new Pending(seq, "unreadable", null, null);
            }
        }
    }

    private static List<Boot> boots(Connection c) throws SQLException {
        List<Boot> boots = new ArrayList<>();
        try (Statement s = c.createStatement();
                ResultSet r = s.executeQuery(
                        "SELECT started_ms, boot_id, agent_version FROM boot ORDER BY rowid DESC")) {
            while (r.next()) {
                boots.add(new Boot(r.getLong(1), r.getString(2), r.getString(3)));
            }
        }
        return List.copyOf(boots);
    }
}
