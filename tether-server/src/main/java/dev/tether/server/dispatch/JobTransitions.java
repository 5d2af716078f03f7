package dev.tether.server.dispatch;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;

/**
 * Every change of a job row, in the caller's transaction. State changes are
 * compare-and-set on the state the caller read, so a change that raced with
 * another one does nothing and returns false; each that happens is recorded in
 * the {@link AfterCommit} (a {@code job.state} event, followers, reconcile).
 * Stateless.
 */
final class JobTransitions {

    private JobTransitions() {
    }

    /**
     * How a job ends.
     *
     * @param exitCode the process's exit code, or null
     * @param result result_json of a non-exec job, or null
     * @param unconfirmed decided by the server while the agent may hold the job: its report will win
     * @param byAgent reported by the agent, which therefore received the job
     */
    record Ending(JobState state, Integer exitCode, String error, String result, boolean unconfirmed,
            boolean byAgent) {

        static Ending byServer(JobState state, String error, boolean unconfirmed) {
            return new Ending(state, null, error, null, unconfirmed, false);
        }
    }

    /** queued → delivered: the agent acknowledged the CommandRequest. */
    static boolean deliverIn(Connection connection, JobKey job, long nowMillis, AfterCommit after)
            throws SQLException {
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE jobs SET state = 'delivered', delivered_at = ? WHERE id = ? AND state = 'queued'")) {
            update.setLong(1, nowMillis);
            update.setString(2, job.id());
            return changed(update.executeUpdate(), job, JobState.DELIVERED, null, null, nowMillis, after);
        }
    }

    /** The agent reported the final state the server had decided: the decision is no longer unconfirmed. */
    static void confirmIn(Connection connection, String jobId) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE jobs SET unconfirmed = 0 WHERE id = ? AND unconfirmed = 1")) {
            update.setString(1, jobId);
            update.executeUpdate();
        }
    }

    /** → running: the agent started it (from queued, delivered, or an unconfirmed final state). */
    static boolean startIn(Connection connection, JobKey job, long nowMillis, AfterCommit after)
            throws SQLException {
        try (PreparedStatement update = connection.prepareStatement("UPDATE jobs SET state = 'running',"
                + " started_at = ?, delivered_at = COALESCE(delivered_at, ?), unconfirmed = 0, exit_code = NULL,"
                + " error = NULL, finished_at = NULL WHERE id = ? AND state = ?")) {
            update.setLong(1, nowMillis);
            update.setLong(2, nowMillis);
            update.setString(3, job.id());
            update.setString(4, job.state().wire());
            return changed(update.executeUpdate(), job, JobState.RUNNING, null, null, nowMillis, after);
        }
    }

    /** → a final state. */
    static boolean finishIn(Connection connection, JobKey job, Ending ending, long nowMillis, AfterCommit after)
            throws SQLException {
        // A report from the agent proves it received the job, even if its acknowledgement is still on the way.
        String delivered = ending.byAgent() ? ", delivered_at = COALESCE(delivered_at, ?)" : "";
        try (PreparedStatement update = connection.prepareStatement("UPDATE jobs SET state = ?, exit_code = ?,"
                + " error = ?, result = ?, unconfirmed = ?, finished_at = ?" + delivered
                + " WHERE id = ? AND state = ?")) {
            int index = 1;
            update.setString(index++, ending.state().wire());
            NullableColumns.setInt(update, index++, ending.exitCode());
            update.setString(index++, ending.error());
            update.setString(index++, ending.result());
            update.setInt(index++, ending.unconfirmed() ? 1 : 0);
            update.setLong(index++, nowMillis);
            if (ending.byAgent()) {
                update.setLong(index++, nowMillis);
            }
            update.setString(index++, job.id());
            update.setString(index, job.state().wire());
            return changed(update.executeUpdate(), job, ending.state(), ending.exitCode(), ending.error(),
                    nowMillis, after);
        }
    }

    /**
     * Records the seq of each job's CommandRequest: they are no longer held back. One statement prepared once and
     * run as a batch (one round trip per batch on PostgreSQL; a correlated multi-row UPDATE measured slower on
     * SQLite than running the row statement 1,000 times).
     *
     * @param seqs the seq of each job's request, in the order of {@code jobIds}
     * @throws SQLException when a job was sent already (the transaction must roll back)
     */
    static void sentIn(Connection connection, List<String> jobIds, List<Long> seqs) throws SQLException {
        if (jobIds.isEmpty()) {
            return;
        }
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE jobs SET outbox_seq = ? WHERE id = ? AND outbox_seq IS NULL")) {
            for (int i = 0; i < jobIds.size(); i++) {
                update.setLong(1, seqs.get(i));
                update.setString(2, jobIds.get(i));
                update.addBatch();
            }
            int[] marked = update.executeBatch();
            for (int i = 0; i < marked.length; i++) {
                if (marked[i] == 0) {
                    throw new SQLException("job " + jobIds.get(i) + " was sent twice");
                }
            }
        }
    }

    static void cancelRequestedIn(Connection connection, String jobId, long nowMillis) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE jobs SET cancel_requested_at = ? WHERE id = ?")) {
            update.setLong(1, nowMillis);
            update.setString(2, jobId);
            update.executeUpdate();
        }
    }

    private static boolean changed(int rows, JobKey job, JobState to, Integer exitCode, String error,
            long nowMillis, AfterCommit after) {
        if (rows == 1) {
            after.jobChanged(job, to, exitCode, error, nowMillis);
            return true;
        }
        return false;
    }
}
