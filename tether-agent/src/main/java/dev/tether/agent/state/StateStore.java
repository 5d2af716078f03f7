package dev.tether.agent.state;

import dev.tether.protocol.v1.Envelope;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The agent's durable state: one SQLite database, {@code <state-dir>/agent.db}.
 *
 * <h2>On-disk format</h2>
 * SQLite 3 in WAL mode with {@code synchronous=FULL}, so a commit is on disk when
 * it returns; file mode 0600 (SQLite gives the {@code -wal} and {@code -shm}
 * files the same mode). {@code PRAGMA user_version} holds the schema version, 4: the
 * oldest schema an agent must know to use the file (version 1 had no {@code job} table,
 * version 2 no stamps and no host id, version 3 no {@code job.start_ticks} and
 * {@code job.boot_id}; opening an older file adds what it lacks). What an agent of the
 * same version can ignore is added without raising it (the connection's history of
 * {@link LinkJournal}), so an agent rolled back after a self-update opens its successor's
 * state:
 * <pre>
 * agent  (id                 INTEGER PRIMARY KEY CHECK (id = 1), -- exactly one row
 *         agent_id           TEXT,              -- from the last Welcome; NULL before the first
 *         agent_name         TEXT,
 *         session_id         TEXT,
 *         config_version     INTEGER NOT NULL,  -- last applied configuration, 0: none
 *         config_json        TEXT,              -- its JSON document
 *         applied_server_seq INTEGER NOT NULL,  -- highest server-to-agent seq applied
 *         last_seq           INTEGER NOT NULL,  -- highest agent-to-server seq ever assigned
 *         applied_server_stamp INTEGER NOT NULL, -- the stamp of the payload at applied_server_seq, 0: unknown
 *         acked_seq          INTEGER NOT NULL,  -- highest agent-to-server seq the server acknowledged
 *         acked_stamp        INTEGER NOT NULL,  -- that payload's stamp, 0: unknown
 *         host_id            TEXT,              -- the machine this state belongs to; NULL until first checked
 *         server_url, connected_ms, disconnected_ms) -- the last session, see {@link LinkJournal}
 * outbox (seq                INTEGER PRIMARY KEY,
 *         envelope           BLOB NOT NULL,     -- a protobuf Envelope, seq and stamp set, ack and ts_ms unset
 *         stamp              INTEGER NOT NULL)  -- the envelope's stamp (random, non-zero; 0: stored by schema 2)
 * boot   (started_ms         INTEGER NOT NULL,  -- the last 20 process starts, for diagnosis
 *         boot_id            TEXT NOT NULL,
 *         agent_version      TEXT NOT NULL)
 * job    (...)                                  -- the jobs this agent accepted, see {@link JobStore}
 * link_error (...)                              -- why the last connections ended, see {@link LinkJournal}
 * </pre>
 * The applied seq is only ever written in the same transaction as the effect of
 * the payload it numbers; an outbox row is written before its payload is sent and
 * deleted only once the server acknowledged it.
 *
 * <p>Beside it in the state dir: {@code agent.lock} (held while an agent runs on
 * the dir, so two processes never share one outbox), the config files written
 * by {@link ConfigFiles}, and while the agent runs SQLite's native library ({@link SqliteNative}).
 *
 * <h2>Threads</h2>
 * Thread safe: every method is one transaction, or one read, of the {@link Database}.
 */
public final class StateStore implements AutoCloseable {

    public static final String DATABASE_FILE = "agent.db";
    public static final String LOCK_FILE = "agent.lock";

    /**
     * The oldest schema an agent must know to use this file. Changes an older agent can live with (a table or a
     * column it does not read) are added without raising it, so that an agent rolled back after a self-update
     * still opens the state its successor wrote; see {@link #addCompatible}.
     */
    static final int SCHEMA_VERSION = 4;
    private static final int BOOTS_KEPT = 20;

    private final Path stateDir;
    private final Database database;
    private final FileChannel lockChannel;
    private final FileLock instanceLock;
    private final SqliteOutbox outbox;
    private final JobStore jobs;
    private final LinkJournal link;
    private final AppliedSeq applied = new AppliedSeq();

    private StateStore(Path stateDir, Database database, FileChannel lockChannel, FileLock instanceLock) {
        this.stateDir = stateDir;
        this.database = database;
        this.lockChannel = lockChannel;
        this.instanceLock = instanceLock;
        this.outbox = new SqliteOutbox(database);
        this.jobs = new JobStore(database, outbox, applied);
        this.link = new LinkJournal(database);
    }

    /**
     * Opens (creating if needed) the state in {@code stateDir}.
     *
     * @throws StateStoreException when the dir or database cannot be created or read, or another
     *     agent is running on the same state dir
     */
    public static StateStore open(Path stateDir) {
        Path dir = stateDir.toAbsolutePath();
        FileChannel lockChannel = null;
        try {
            FileModes.createPrivateDirectory(dir);
            Path lockFile = dir.resolve(LOCK_FILE);
            FileModes.createPrivateFile(lockFile);
            lockChannel = FileChannel.open(lockFile, StandardOpenOption.WRITE);
            FileLock instanceLock = tryLock(lockChannel, dir);
            Path database = dir.resolve(DATABASE_FILE);
            FileModes.createPrivateFile(database);
            FileModes.restrict(Path.of(database + "-wal"));
            FileModes.restrict(Path.of(database + "-shm"));
            SqliteNative.unpackIn(dir);
            StateStore store = new StateStore(dir, Database.open(database), lockChannel, instanceLock);
            try {
                store.migrate();
            } catch (RuntimeException e) {
                store.close();
                throw e;
            }
            return store;
        } catch (IOException | SQLException e) {
            closeQuietly(lockChannel);
            throw new StateStoreException("cannot open the agent state in " + dir + ": " + describe(e), e);
        } catch (RuntimeException e) {
            closeQuietly(lockChannel);
            throw e;
        }
    }

    private static String describe(Exception e) {
        String nativeLibrary = SqliteNative.describeFailure(e);
        if (nativeLibrary != null) {
            return nativeLibrary;
        }
        return switch (e) {
            case AccessDeniedException denied -> "permission denied on " + denied.getFile()
                    + " (does the agent's user own the state dir?)";
            case FileSystemException fs -> fs.getFile() + (fs.getReason() == null ? "" : ": " + fs.getReason());
            default -> e.getMessage();
        };
    }

    private static FileLock tryLock(FileChannel channel, Path dir) throws IOException {
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            throw new StateStoreException("another agent is already running with state dir " + dir
                    + " (it holds " + LOCK_FILE + "); stop it or use another --state-dir");
        }
        return lock;
    }

    private void migrate() {
        int version = database.read("read the schema version", c -> Database.queryLong(c, "PRAGMA user_version"))
                .intValue();
        if (version > SCHEMA_VERSION) {
            throw new StateStoreException(database.file() + " was written by a newer agent (schema " + version
                    + ", this agent knows " + SCHEMA_VERSION + "); upgrade this agent");
        }
        if (version == SCHEMA_VERSION) {
            addCompatible();
            return;
        }
        database.write("migrate the schema from version " + version + " to " + SCHEMA_VERSION, c -> {
            if (version < 1) {
                createVersion1(c);
            }
            if (version < 2) {
                JobStore.createTable(c);
            }
            if (version < 3) {
                addVersion3(c);
            }
            if (version < 4) {
                JobStore.addSpawnColumns(c);
            }
            try (Statement s = c.createStatement()) {
                s.executeUpdate("PRAGMA user_version = " + SCHEMA_VERSION);
            }
            return null;
        });
        addCompatible();
    }

    /**
     * Adds what an older agent of the same {@link #SCHEMA_VERSION} can live with, when it is missing: the
     * connection's history of {@link LinkJournal} (an agent of before it ignores it).
     */
    private void addCompatible() {
        if (!database.read("look for the connection's history", LinkJournal::present)) {
            database.write("add the connection's history", c -> {
                LinkJournal.addTables(c);
                return null;
            });
        }
    }

    private static void createVersion1(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.executeUpdate("""
                    CREATE TABLE agent (
                      id INTEGER PRIMARY KEY CHECK (id = 1),
                      agent_id TEXT,
                      agent_name TEXT,
                      session_id TEXT,
                      config_version INTEGER NOT NULL,
                      config_json TEXT,
                      applied_server_seq INTEGER NOT NULL,
                      last_seq INTEGER NOT NULL)""");
            s.executeUpdate("INSERT INTO agent (id, config_version, applied_server_seq, last_seq) "
                    + "VALUES (1, 0, 0, 0)");
            s.executeUpdate("CREATE TABLE outbox (seq INTEGER PRIMARY KEY, envelope BLOB NOT NULL)");
            s.executeUpdate("CREATE TABLE boot (started_ms INTEGER NOT NULL, boot_id TEXT NOT NULL, "
                    + "agent_version TEXT NOT NULL)");
        }
    }

    private static void addVersion3(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.executeUpdate("ALTER TABLE outbox ADD COLUMN stamp INTEGER NOT NULL DEFAULT 0");
            s.executeUpdate("ALTER TABLE agent ADD COLUMN applied_server_stamp INTEGER NOT NULL DEFAULT 0");
            s.executeUpdate("ALTER TABLE agent ADD COLUMN acked_seq INTEGER NOT NULL DEFAULT 0");
            s.executeUpdate("ALTER TABLE agent ADD COLUMN acked_stamp INTEGER NOT NULL DEFAULT 0");
            s.executeUpdate("ALTER TABLE agent ADD COLUMN host_id TEXT");
        }
    }

    public Path stateDir() {
        return stateDir;
    }

    /** This store's outbox of agent-to-server reliable payloads. */
    public SqliteOutbox outbox() {
        return outbox;
    }

    /** The jobs this agent accepted, in the same database. */
    public JobStore jobs() {
        return jobs;
    }

    /** The connection's history, kept for {@code tether agent status}. */
    public LinkJournal link() {
        return link;
    }

    public StoredState state() {
        return database.read("read the agent state", StateStore::readState);
    }

    static StoredState readState(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT agent_id, agent_name, session_id, config_version, "
                        + "config_json, applied_server_seq, applied_server_stamp FROM agent WHERE id = 1")) {
            r.next();
            return new StoredState(r.getString(1), r.getString(2), r.getString(3), r.getLong(4),
                    r.getString(5), r.getLong(6), r.getLong(7));
        }
    }

    /** What the state says now, for {@code tether agent status}. */
    public StateSnapshot snapshot() {
        // What it counts as pending is what the file holds: acknowledgements only recorded are carried out first.
        outbox.deleteAcknowledgedNow();
        return database.read("read the agent state", StateSnapshot::read);
    }

    /** Records who the server says this agent is, from a Welcome. */
    public void recordSession(String agentId, String agentName, String sessionId) {
        database.write("record the session", c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "UPDATE agent SET agent_id = ?, agent_name = ?, session_id = ? WHERE id = 1")) {
                s.setString(1, agentId);
                s.setString(2, agentName);
                s.setString(3, sessionId);
                s.executeUpdate();
            }
            return null;
        });
    }

    /**
     * Checks that this state belongs to the machine {@code hostId} and records it on first use. A state dir
     * copied to another machine (a golden image with a state dir baked in, a cloned VM, a backup restored
     * elsewhere) would run two agents on one identity and one outbox: refused unless {@code acceptMoved}.
     *
     * @param hostId this machine's id ({@link HostId#detect()}); null: no id to compare, nothing is checked
     * @throws StateStoreException when the state was written on another machine and the move is not accepted
     */
    public void claimHost(String hostId, boolean acceptMoved) {
        if (hostId == null) {
            return;
        }
        database.write("check the state's machine", c -> {
            String recorded;
            try (Statement s = c.createStatement();
                    ResultSet r = s.executeQuery("SELECT host_id FROM agent WHERE id = 1")) {
                r.next();
                recorded = r.getString(1);
            }
            if (recorded != null && !recorded.equals(hostId) && !acceptMoved) {
                throw new StateStoreException("the state dir " + stateDir + " was written on another machine "
                        + "(machine id " + recorded + ", this one is " + hostId + "): it was copied or cloned. Two "
                        + "agents on copies of one state dir confuse the server. To run a new agent here, start it "
                        + "with an empty --state-dir and its own key (a new agent or an enrollment token); if this "
                        + "state really moved here and the old machine no longer runs it, start once with "
                        + "--accept-moved-state");
            }
            try (PreparedStatement s = c.prepareStatement("UPDATE agent SET host_id = ? WHERE id = 1")) {
                s.setString(1, hostId);
                s.executeUpdate();
            }
            return null;
        });
    }

    /** Records a process start, keeping the last {@value #BOOTS_KEPT}. */
    public void recordBoot(String bootId, String agentVersion, long startedMs) {
        database.write("record the boot", c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "INSERT INTO boot (started_ms, boot_id, agent_version) VALUES (?, ?, ?)")) {
                s.setLong(1, startedMs);
                s.setString(2, bootId);
                s.setString(3, agentVersion);
                s.executeUpdate();
            }
            try (PreparedStatement s = c.prepareStatement("DELETE FROM boot WHERE rowid NOT IN "
                    + "(SELECT rowid FROM boot ORDER BY rowid DESC LIMIT ?)")) {
                s.setInt(1, BOOTS_KEPT);
                s.executeUpdate();
            }
            return null;
        });
    }

    /** Boot ids of the last process starts, newest first. */
    public List<String> bootIds() {
        return database.read("read the boots", c -> {
            try (Statement s = c.createStatement();
                    ResultSet r = s.executeQuery("SELECT boot_id FROM boot ORDER BY rowid DESC")) {
                List<String> ids = new ArrayList<>();
                while (r.next()) {
                    ids.add(r.getString(1));
                }
                return ids;
            }
        });
    }

    /**
     * Applies a payload that has no effect on the agent (yet): records {@code seq}
     * as applied and publishes {@code envelopes}, in one transaction.
     */
    public List<Envelope> applyNoOp(long seq, List<Envelope> envelopes) {
        return database.write("record server seq " + seq + " as applied", c -> {
            applied.record(c, seq);
            return outbox.append(c, envelopes);
        });
    }

    /**
     * Applies a configuration, in one transaction: when {@code version} is newer
     * than the stored one, stores it and publishes {@code envelopes}; in every case
     * records {@code seq} as applied ({@code seq} 0: the config came in a Welcome,
     * no seq to record).
     *
     * @return whether the configuration was newer and is now the agent's
     */
    public boolean applyConfig(long seq, long version, String json, List<Envelope> envelopes) {
        return database.write("apply config version " + version, c -> {
            applied.record(c, seq);
            if (version <= configVersion(c)) {
                return false;
            }
            try (PreparedStatement s = c.prepareStatement(
                    "UPDATE agent SET config_version = ?, config_json = ? WHERE id = 1")) {
                s.setLong(1, version);
                s.setString(2, json);
                s.executeUpdate();
            }
            outbox.append(c, envelopes);
            return true;
        });
    }

    /**
     * Refuses a configuration the agent cannot use, in one transaction: when
     * {@code version} is newer than the stored one, publishes {@code envelopes} (the
     * report of the refusal); records {@code seq} as applied. The stored
     * configuration does not change.
     *
     * @return whether the refused version was newer than the stored one (so a report was published)
     */
    public boolean refuseConfig(long seq, long version, List<Envelope> envelopes) {
        return database.write("refuse config version " + version, c -> {
            applied.record(c, seq);
            if (version <= configVersion(c)) {
                return false;
            }
            outbox.append(c, envelopes);
            return true;
        });
    }

    /**
     * The server payload numbered {@code seq}, stamped {@code stamp}, is about to be applied: the transaction
     * that records its seq as applied records its stamp with it.
     */
    public void receiving(long seq, long stamp) {
        applied.receiving(seq, stamp);
    }

    private static long configVersion(Connection c) throws SQLException {
        return Database.queryLong(c, "SELECT config_version FROM agent WHERE id = 1");
    }

    /** Closes the database and releases the state dir. Idempotent. */
    @Override
    public void close() {
        try {
            deleteAcknowledgedQuietly();
            database.close();
        } finally {
            try {
                if (instanceLock.isValid()) {
                    instanceLock.release();
                }
            } catch (IOException e) {
                // Closing the channel below releases it as well.
            }
            closeQuietly(lockChannel);
        }
    }

    /** Acknowledgements only recorded, carried out before closing; left to the next start when that fails. */
    private void deleteAcknowledgedQuietly() {
        try {
            outbox.deleteAcknowledgedNow();
        } catch (RuntimeException e) {
            // The rows stay; the next handshake acknowledges them again, and the server drops any sent again.
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel == null) {
            return;
        }
        try {
            channel.close();
        } catch (IOException e) {
            // Nothing to do: the lock dies with the process anyway.
        }
    }
}
