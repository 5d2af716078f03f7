package dev.tether.server.dispatch;

import dev.tether.server.store.Database;
import dev.tether.server.store.Dialect;
import dev.tether.server.store.MultiRow;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Jobs in {@code jobs}: reads for the API (with the agent's name and the
 * command's type) and for state changes (the job row alone, optionally locked).
 * The state changes themselves are in {@link JobTransitions}.
 *
 * <p>Blocking; thread safe (state lives in the database).
 */
public final class JobStore {

    private static final String COLUMNS = "j.id, j.command_id, j.agent_id, %s, %s, j.position, j.state,"
            + " j.outbox_seq, j.unconfirmed, j.cancel_requested_at, j.exit_code, j.error, j.result, j.output_chunks,"
            + " j.output_bytes, j.deadline_at, j.created_at, j.delivered_at, j.started_at, j.finished_at";
    /** Jobs with the agent's name and the command's type. */
    private static final String VIEW = "SELECT " + COLUMNS.formatted("a.name", "c.type")
            + " FROM jobs j JOIN agents a ON a.id = j.agent_id JOIN commands c ON c.id = j.command_id";
    /** Job rows alone, which a FOR UPDATE locks without locking the agent or the command. */
    private static final String ROWS = "SELECT " + COLUMNS.formatted("NULL", "NULL") + " FROM jobs j";

    private final Database db;

    public JobStore(Database db) {
        this.db = db;
    }

    public Optional<JobRecord> find(String jobId) {
        return db.withConnection("find job", connection -> {
            try (PreparedStatement select = connection.prepareStatement(VIEW + " WHERE j.id = ?")) {
                select.setString(1, jobId);
                return readAll(select).stream().findFirst();
            }
        });
    }

    /** Every job of the command, in position order. */
    public List<JobRecord> forCommand(String commandId) {
        return db.withConnection("list jobs of command", connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    VIEW + " WHERE j.command_id = ? ORDER BY j.position")) {
                select.setString(1, commandId);
                return readAll(select);
            }
        });
    }

    /**
     * One page of an agent's jobs, newest first.
     *
     * @param beforeJobId only jobs created before this one, or from the newest when null
     */
    public List<JobRecord> pageForAgent(String agentId, int limit, String beforeJobId) {
        return db.withConnection("list jobs of agent", connection -> {
            JobRecord before = beforeJobId == null ? null : findIn(connection, beforeJobId);
            if (beforeJobId != null && (before == null || !before.agentId().equals(agentId))) {
                throw new DispatchException(DispatchException.Reason.NOT_FOUND, "no job '" + beforeJobId
                        + "' of this agent to page from: pass the next_before of the previous page");
            }
            String where = before == null ? " WHERE j.agent_id = ?"
                    : " WHERE j.agent_id = ? AND (j.created_at < ? OR (j.created_at = ? AND j.id < ?))";
            try (PreparedStatement select = connection.prepareStatement(
                    VIEW + where + " ORDER BY j.created_at DESC, j.id DESC LIMIT ?")) {
                int index = 1;
                select.setString(index++, agentId);
                if (before != null) {
                    select.setLong(index++, before.createdAt());
                    select.setLong(index++, before.createdAt());
                    select.setString(index++, before.id());
                }
                select.setInt(index, limit);
                return readAll(select);
            }
        });
    }

    /** Jobs whose deadline passed while still queued, oldest deadline first. */
    List<JobRecord> dueForExpiry(long nowMillis, int limit) {
        return db.withConnection("find expired jobs", connection -> {
            try (PreparedStatement select = connection.prepareStatement(ROWS + " WHERE j.state = 'queued'"
                    + " AND j.deadline_at IS NOT NULL AND j.deadline_at <= ? ORDER BY j.deadline_at LIMIT ?")) {
                select.setLong(1, nowMillis);
                select.setInt(2, limit);
                return readAll(select);
            }
        });
    }

    /**
     * An agent's jobs sent up to a seq and not acknowledged. The IN repeats the condition of the partial index
     * {@code jobs_unfinished} word for word: SQLite uses a partial index only for a query whose WHERE holds that
     * condition's terms as written, and without it reads the agent's whole job history.
     */
    static final String UNACKNOWLEDGED = "SELECT " + JobHead.COLUMNS + " FROM jobs WHERE agent_id = ?"
            + " AND state IN ('queued', 'delivered', 'running') AND state = 'queued' AND outbox_seq IS NOT NULL"
            + " AND outbox_seq <= ?";

    /**
     * Jobs of the agent whose CommandRequest has a seq up to {@code seq} and no acknowledgement recorded, in the
     * caller's transaction.
     */
    static List<JobHead> unacknowledgedIn(Connection connection, String agentId, long seq) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(UNACKNOWLEDGED)) {
            select.setString(1, agentId);
            select.setLong(2, seq);
            List<JobHead> jobs = new ArrayList<>();
            try (ResultSet row = select.executeQuery()) {
                while (row.next()) {
                    jobs.add(JobHead.read(row));
                }
            }
            return jobs;
        }
    }

    public long runningCount() {
        return db.withConnection("count running jobs", connection -> {
            try (PreparedStatement count = connection.prepareStatement(
                    "SELECT COUNT(*) FROM jobs WHERE state = 'running'"); ResultSet row = count.executeQuery()) {
                row.next();
                return row.getLong(1);
            }
        });
    }

    /** The job's {@link JobHead}, or null when there is no such job. */
    static JobHead headIn(Connection connection, String jobId) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT " + JobHead.COLUMNS
                + " FROM jobs WHERE id = ?")) {
            select.setString(1, jobId);
            try (ResultSet row = select.executeQuery()) {
                return row.next() ? JobHead.read(row) : null;
            }
        }
    }

    static JobRecord findIn(Connection connection, String jobId) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(ROWS + " WHERE j.id = ?")) {
            select.setString(1, jobId);
            List<JobRecord> found = readAll(select);
            return found.isEmpty() ? null : found.get(0);
        }
    }

    /** Reads the job and locks its row until the transaction ends; null when there is none. */
    static JobRecord lockIn(Connection connection, Dialect dialect, String jobId) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(ROWS + " WHERE j.id = ?" + dialect.forUpdate())) {
            select.setString(1, jobId);
            List<JobRecord> found = readAll(select);
            return found.isEmpty() ? null : found.get(0);
        }
    }

    /** The command's jobs that are not final, in position order, locked. */
    static List<JobRecord> lockUnfinishedIn(Connection connection, Dialect dialect, String commandId)
            throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(ROWS + " WHERE j.command_id = ?"
                + " AND j.state NOT IN " + JobState.FINAL_SQL + " ORDER BY j.position" + dialect.forUpdate())) {
            select.setString(1, commandId);
            return readAll(select);
        }
    }

    /** The command's held-back jobs in position order, at most {@code limit}, locked. */
    static List<JobRecord> lockHeldBackIn(Connection connection, Dialect dialect, String commandId, int limit)
            throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(ROWS + " WHERE j.command_id = ?"
                + " AND j.state = 'queued' AND j.outbox_seq IS NULL ORDER BY j.position LIMIT ?"
                + dialect.forUpdate())) {
            select.setString(1, commandId);
            select.setInt(2, limit);
            return readAll(select);
        }
    }

    /** What the command's release and completion depend on, counted in the caller's transaction. */
    static Tally tallyIn(Connection connection, String commandId) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT"
                + " COALESCE(SUM(CASE WHEN state NOT IN " + JobState.FINAL_SQL + " AND outbox_seq IS NOT NULL"
                + " THEN 1 ELSE 0 END), 0),"
                + " COALESCE(SUM(CASE WHEN state = 'queued' AND outbox_seq IS NULL THEN 1 ELSE 0 END), 0),"
                + " COALESCE(SUM(CASE WHEN state IN " + JobState.FAILURE_SQL + " THEN 1 ELSE 0 END), 0),"
                + " COALESCE(SUM(CASE WHEN state NOT IN " + JobState.FINAL_SQL + " THEN 1 ELSE 0 END), 0)"
                + " FROM jobs WHERE command_id = ?")) {
            select.setString(1, commandId);
            try (ResultSet row = select.executeQuery()) {
                row.next();
                return new Tally(row.getLong(1), row.getLong(2), row.getLong(3), row.getLong(4));
            }
        }
    }

    /**
     * Refuses a command when one of its targets already has {@code max} unfinished jobs.
     *
     * @throws DispatchException {@link DispatchException.Reason#TOO_MANY_PENDING} naming the agent
     */
    static void checkPendingIn(Connection connection, List<Targets.Target> targets, int max) throws SQLException {
        java.util.Map<String, String> names = new java.util.HashMap<>();
        targets.forEach(target -> names.put(target.agentId(), target.agentName()));
        try (PreparedStatement select = connection.prepareStatement("SELECT agent_id, COUNT(*) FROM jobs"
                + " WHERE state IN ('queued', 'delivered', 'running') GROUP BY agent_id HAVING COUNT(*) >= ?")) {
            select.setInt(1, max);
            try (ResultSet row = select.executeQuery()) {
                while (row.next()) {
                    String name = names.get(row.getString(1));
                    if (name != null) {
                        throw new DispatchException(DispatchException.Reason.TOO_MANY_PENDING, "agent " + name
                                + " already has " + row.getLong(2) + " unfinished jobs (at most " + max
                                + "): wait for them or cancel some");
                    }
                }
            }
        }
    }

    /**
     * Inserts the jobs with a few multi-row statements of {@link MultiRow}'s sizes (8 parameters a row, far below
     * SQLite's and PostgreSQL's limits): a command to 10,000 agents in ten.
     *
     * @param sentSeqs the seq of the request of each job sent already, by job id; the others are held back
     */
    static void insertIn(Connection connection, List<JobRecord> jobs, Map<String, Long> sentSeqs)
            throws SQLException {
        for (int from = 0, to; from < jobs.size(); from = to) {
            to = from + MultiRow.chunk(jobs.size() - from);
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO jobs (id, command_id, agent_id,"
                    + " position, state, outbox_seq, deadline_at, created_at) VALUES "
                    + "(?, ?, ?, ?, ?, ?, ?, ?), ".repeat(to - from - 1) + "(?, ?, ?, ?, ?, ?, ?, ?)")) {
                int index = 1;
                for (JobRecord job : jobs.subList(from, to)) {
                    insert.setString(index++, job.id());
                    insert.setString(index++, job.commandId());
                    insert.setString(index++, job.agentId());
                    insert.setInt(index++, job.position());
                    insert.setString(index++, job.state().wire());
                    NullableColumns.setLong(insert, index++, sentSeqs.get(job.id()));
                    NullableColumns.setLong(insert, index++, job.deadlineAt());
                    insert.setLong(index++, job.createdAt());
                }
                insert.executeUpdate();
            }
        }
    }

    private static List<JobRecord> readAll(PreparedStatement select) throws SQLException {
        List<JobRecord> jobs = new ArrayList<>();
        try (ResultSet row = select.executeQuery()) {
            while (row.next()) {
                jobs.add(read(row));
            }
        }
        return jobs;
    }

    private static JobRecord read(ResultSet row) throws SQLException {
        return new JobRecord(row.getString(1), row.getString(2), row.getString(3), row.getString(4),
                row.getString(5), row.getInt(6), JobState.parse(row.getString(7)), NullableColumns.getLong(row, 8),
                row.getInt(9) != 0, NullableColumns.getLong(row, 10), NullableColumns.getInt(row, 11),
                row.getString(12), row.getString(13), row.getLong(14), row.getLong(15),
                NullableColumns.getLong(row, 16), row.getLong(17), NullableColumns.getLong(row, 18),
                NullableColumns.getLong(row, 19), NullableColumns.getLong(row, 20));
    }

    /**
     * @param active sent (an outbox seq) and not final: what max_concurrency bounds
     * @param heldBack queued without an outbox seq
     * @param failures final in a state that counts against max_errors
     * @param unfinished not final
     */
    record Tally(long active, long heldBack, long failures, long unfinished) {
    }
}
