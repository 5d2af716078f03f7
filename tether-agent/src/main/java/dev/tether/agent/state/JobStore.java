package dev.tether.agent.state;

import dev.tether.protocol.v1.Envelope;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * The jobs this agent has accepted: the {@code job} table of {@code agent.db},
 * added by schema version 2, with {@code spawn_token}, {@code start_ticks} and
 * {@code boot_id} added by version 4 (see {@link StateStore}).
 *
 * <h2>On-disk format</h2>
 * <pre>
 * job (job_id      TEXT PRIMARY KEY,   -- the server's id, "job_..."
 *      command_id  TEXT NOT NULL,
 *      type        TEXT NOT NULL,      -- "exec", "health_check", ... or a custom type
 *      state       TEXT NOT NULL,      -- accepted | starting | running | finished | cancelled
 *      pid         INTEGER NOT NULL,   -- the exec process (and its group) once started; 0 otherwise
 *      accepted_ms INTEGER NOT NULL,   -- agent clock, Unix ms
 *      started_ms  INTEGER,            -- NULL until running
 *      finished_ms INTEGER,            -- NULL until finished or cancelled
 *      start_ticks INTEGER,            -- the process's start, clock ticks since boot (/proc/PID/stat); NULL: unknown
 *      boot_id     TEXT,               -- the kernel's boot id when the spawn was intended; NULL: unknown
 *      spawn_token TEXT)               -- random, in the process's TETHER_SPAWN_TOKEN; NULL: not spawned by this version
 * </pre>
 *
 * <h2>Nothing runs unrecorded</h2>
 * An exec job is marked {@code starting} (durably) before its process is
 * spawned, and {@code running} with the pid and the process's start time right
 * after; the process carries the row's {@code spawn_token} in its environment. An agent
 * killed between the two leaves the job {@code starting}, and the next start
 * finds what it left running by that token (see
 * {@link dev.tether.agent.process.LeftOvers}) before reporting it lost.
 *
 * <h2>At most once</h2>
 * A job row is inserted in the same transaction that records its
 * CommandRequest's seq as applied, before any work starts; a CommandRequest for
 * a job id already in the table is a no-op. Every change of state is one
 * transaction with the {@code JobEvent} that reports it (appended to the
 * outbox), and a job leaves accepted/running exactly once, so it is reported
 * finished exactly once whatever races (cancel against completion, stop against
 * both). Rows of jobs that ended are kept for {@link #RETENTION_MS} (longer than
 * any delivery deadline the server allows), so a late redelivery is still known.
 *
 * <p>Thread safe: every method is one transaction of the store's database.
 */
public final class JobStore {

    /** How long the rows of ended jobs are kept: 35 days, beyond the server's 30-day deadline limit. */
    public static final long RETENTION_MS = 35L * 24 * 60 * 60 * 1000;

    /** A job's state in the table. */
    public enum State {
        ACCEPTED, STARTING, RUNNING, FINISHED, CANCELLED;

        String column() {
            return name().toLowerCase(Locale.ROOT);
        }

        static State of(String column) {
            return valueOf(column.toUpperCase(Locale.ROOT));
        }
    }

    /**
     * A job that was accepted, starting or running when the previous agent process ended.
     *
     * @param startTicks 0 when unknown
     * @param bootId "" when unknown
     * @param spawnToken "" when none was recorded (not an exec job, or an older agent's)
     */
    public record OpenJob(String jobId, String type, State state, long pid, long startedMs, long startTicks,
            String bootId, String spawnToken) {
    }

    private final Database database;
    private final SqliteOutbox outbox;
    private final AppliedSeq applied;

    JobStore(Database database, SqliteOutbox outbox, AppliedSeq applied) {
        this.applied = applied;
        this.database = database;
        this.outbox = outbox;
    }

    static void createTable(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.executeUpdate("""
                    CREATE TABLE job (
                      job_id TEXT PRIMARY KEY,
                      command_id TEXT NOT NULL,
                      type TEXT NOT NULL,
                      state TEXT NOT NULL,
                      pid INTEGER NOT NULL,
                      accepted_ms INTEGER NOT NULL,
                      started_ms INTEGER,
                      finished_ms INTEGER)""");
            s.executeUpdate("CREATE INDEX job_by_state ON job (state)");
        }
    }

    /** Schema version 4: where a job's process came from, to find it after the agent died. */
    static void addSpawnColumns(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.executeUpdate("ALTER TABLE job ADD COLUMN start_ticks INTEGER");
            s.executeUpdate("ALTER TABLE job ADD COLUMN boot_id TEXT");
            s.executeUpdate("ALTER TABLE job ADD COLUMN spawn_token TEXT");
        }
    }

    /**
     * Accepts a job to run: records {@code seq} as applied and the job as accepted, in one transaction.
     *
     * @return false when the job id is already known (the seq is still recorded; nothing else changes)
     */
    public boolean accept(long seq, String jobId, String commandId, String type, long nowMs) {
        return database.write("accept job " + jobId, c -> {
            applied.record(c, seq);
            return insert(c, jobId, commandId, type, State.ACCEPTED, nowMs);
        });
    }

    /**
     * Accepts a job that ends at once (expired, unknown type, agent stopping): records {@code seq}, the job
     * in its final state and publishes {@code report}, in one transaction.
     *
     * @return false when the job id is already known (only the seq is recorded)
     */
    public boolean acceptEnded(long seq, String jobId, String commandId, String type, State state, long nowMs,
            Envelope report) {
        return database.write("record job " + jobId + " as " + state.column(), c -> {
            applied.record(c, seq);
            if (!insert(c, jobId, commandId, type, state, nowMs)) {
                return false;
            }
            outbox.append(c, List.of(report));
            return true;
        });
    }

    /**
     * Records the intent to spawn an accepted job's process, durably, before it is spawned.
     *
     * @param spawnToken put in the process's environment, to find it by
     * @param bootId the kernel's boot id, "" when unknown
     * @return false when the job is no longer accepted (it ended meanwhile): it must not be spawned
     */
    public boolean markStarting(String jobId, String spawnToken, String bootId) {
        return database.write("mark job " + jobId + " starting", c -> {
            try (PreparedStatement s = c.prepareStatement("UPDATE job SET state = 'starting', spawn_token = ?, "
                    + "boot_id = ? WHERE job_id = ? AND state = 'accepted'")) {
                s.setString(1, spawnToken);
                s.setString(2, bootId);
                s.setString(3, jobId);
                return s.executeUpdate() == 1;
            }
        });
    }

    /**
     * Marks an accepted or starting job running and publishes {@code started}, in one transaction.
     *
     * @param startTicks the process's start time ({@code /proc/PID/stat}), 0 when unknown or no process
     * @return false when the job is no longer accepted or starting (it ended meanwhile); nothing changes
     */
    public boolean markRunning(String jobId, long pid, long startTicks, long nowMs, Envelope started) {
        return database.write("mark job " + jobId + " running", c -> {
            try (PreparedStatement s = c.prepareStatement("UPDATE job SET state = 'running', pid = ?, "
                    + "start_ticks = ?, started_ms = ? WHERE job_id = ? AND state IN ('accepted', 'starting')")) {
                s.setLong(1, pid);
                s.setLong(2, startTicks);
                s.setLong(3, nowMs);
                s.setString(4, jobId);
                if (s.executeUpdate() == 0) {
                    return false;
                }
            }
            outbox.append(c, List.of(started));
            return true;
        });
    }

    /**
     * Ends an accepted, starting or running job and publishes {@code report}, in one transaction, recording
     * {@code seq} as applied too (0: no seq, the job ended by itself).
     *
     * @param state {@link State#FINISHED} or {@link State#CANCELLED}
     * @return false when the job had already ended (or is unknown): only the seq is recorded
     */
    public boolean end(long seq, String jobId, State state, long nowMs, Envelope report) {
        return database.write("end job " + jobId, c -> {
            applied.record(c, seq);
            if (!end(c, jobId, state, nowMs)) {
                return false;
            }
            outbox.append(c, List.of(report));
            return true;
        });
    }

    /**
     * Cancels a job this agent never received: records {@code seq}, the job as cancelled and publishes
     * {@code report}, in one transaction, so a CommandRequest that arrives later is a no-op.
     *
     * @return false when the job is known: only the seq is recorded
     */
    public boolean cancelUnknown(long seq, String jobId, long nowMs, Envelope report) {
        return acceptEnded(seq, jobId, "", "", State.CANCELLED, nowMs, report);
    }

    /**
     * Ends every job left accepted, starting or running by an earlier process, publishing {@code reportFor(jobId)}
     * for each, all in one transaction; forgets ended jobs older than the retention.
     *
     * @return the jobs that were open
     */
    public List<OpenJob> endOpenJobs(long nowMs, Function<String, Envelope> reportFor) {
        return database.write("end the jobs of the previous run", c -> {
            List<OpenJob> open = openJobs(c);
            List<Envelope> reports = new ArrayList<>(open.size());
            for (OpenJob job : open) {
                end(c, job.jobId(), State.FINISHED, nowMs);
                reports.add(reportFor.apply(job.jobId()));
            }
            outbox.append(c, reports);
            prune(c, nowMs - RETENTION_MS);
            return open;
        });
    }

    /** The job's state, null when the job is unknown. */
    public State state(String jobId) {
        return database.read("read job " + jobId, c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT state FROM job WHERE job_id = ?")) {
                s.setString(1, jobId);
                try (ResultSet r = s.executeQuery()) {
                    return r.next() ? State.of(r.getString(1)) : null;
                }
            }
        });
    }

    private static boolean insert(Connection c, String jobId, String commandId, String type, State state,
            long nowMs) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO job (job_id, command_id, type, state, pid, "
                + "accepted_ms, finished_ms) VALUES (?, ?, ?, ?, 0, ?, ?) ON CONFLICT (job_id) DO NOTHING")) {
            s.setString(1, jobId);
            s.setString(2, commandId);
            s.setString(3, type);
            s.setString(4, state.column());
            s.setLong(5, nowMs);
            if (state == State.FINISHED || state == State.CANCELLED) {
                s.setLong(6, nowMs);
            } else {
                s.setNull(6, Types.INTEGER);
            }
            return s.executeUpdate() == 1;
        }
    }

    private static boolean end(Connection c, String jobId, State state, long nowMs) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("UPDATE job SET state = ?, finished_ms = ? "
                + "WHERE job_id = ? AND state IN ('accepted', 'starting', 'running')")) {
            s.setString(1, state.column());
            s.setLong(2, nowMs);
            s.setString(3, jobId);
            return s.executeUpdate() == 1;
        }
    }

    /** The jobs left accepted, starting or running (by an earlier process, when called at start). */
    public List<OpenJob> openJobs() {
        return database.read("read the open jobs", JobStore::openJobs);
    }

    private static List<OpenJob> openJobs(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT job_id, type, state, pid, started_ms, start_ticks, boot_id, "
                        + "spawn_token FROM job WHERE state IN ('accepted', 'starting', 'running') ORDER BY accepted_ms")) {
            List<OpenJob> open = new ArrayList<>();
            while (r.next()) {
                open.add(new OpenJob(r.getString(1), r.getString(2), State.of(r.getString(3)), r.getLong(4),
                        r.getLong(5), r.getLong(6), orEmpty(r.getString(7)), orEmpty(r.getString(8))));
            }
            return open;
        }
    }

    private static String orEmpty(String text) {
        return text == null ? "" : text;
    }

    private static void prune(Connection c, long endedBeforeMs) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("DELETE FROM job WHERE state IN ('finished', 'cancelled') "
                + "AND finished_ms < ?")) {
            s.setLong(1, endedBeforeMs);
            s.executeUpdate();
        }
    }
}
