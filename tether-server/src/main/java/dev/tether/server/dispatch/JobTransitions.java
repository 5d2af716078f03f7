package dev.tether.server.dispatch;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

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
    static boolean deliverIn(Connection connection, JobRecord job, long nowMillis, AfterCommit after)
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
    static boolean startIn(Connection connection, JobRecord job, long nowMillis, AfterCommit after)
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
    static boolean finishIn(Connection connection, JobRecord job, Ending ending, long nowMillis, AfterCommit after)
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

    /** Records the seq of the job's CommandRequest: it is no longer held back. */
    /** The statement {@link #sentIn} runs, prepared once for many jobs. */
    static PreparedStatement prepareSent(Connection connection) throws SQLException {
        return connection.prepareStatement("UPDATE jobs SET outbox_seq = ? WHERE id = ? AND outbox_seq IS NULL");
    }

    /** Records the outbox seq a job was sent with, through {@link #prepareSent}'s statement. */
    static void sentIn(PreparedStatement markSent, String jobId, long seq) throws SQLException {
        markSent.setLong(1, seq);
        markSent.setString(2, jobId);
        if (markSent.executeUpdate() != 1) {
            throw new SQLException("job " + jobId + " was sent twice");
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

    private static boolean changed(int rows, JobRecord job, JobState to, Integer exitCode, String error,
            long nowMillis, AfterCommit after) {
        if (rows == 1) {
            after.jobChanged(job, to, exitCode, error, nowMillis);
            return true;
        }
        return false;
    }
}
