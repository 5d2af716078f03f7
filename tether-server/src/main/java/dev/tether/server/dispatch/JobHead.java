package dev.tether.server.dispatch;

import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * The columns of a job that applying an agent's report about it reads: a quarter of the row's 20. Every agent
 * sends one or more reports per job; each is read inside the writer's transaction, and sqlite-jdbc fetches each
 * column's name again on every query, so reading the whole row there took a visible share of the writer's time
 * in a fan-out's answers.
 *
 * @param outboxSeq seq of its CommandRequest in the agent's stream; null while held back
 * @param unconfirmed the server ended it while the agent may hold it: the agent's report wins
 * @param outputChunks job_output rows, the next chunk's idx
 * @param outputBytes total size of those rows
 */
record JobHead(String id, String commandId, String agentId, JobState state, Long outboxSeq, boolean unconfirmed,
        long outputChunks, long outputBytes) implements JobKey {

    /** The columns {@link #read} takes, in its order. */
    static final String COLUMNS = "id, command_id, agent_id, state, outbox_seq, unconfirmed, output_chunks,"
            + " output_bytes";

    static JobHead read(ResultSet row) throws SQLException {
        return new JobHead(row.getString(1), row.getString(2), row.getString(3), JobState.parse(row.getString(4)),
                NullableColumns.getLong(row, 5), row.getInt(6) != 0, row.getLong(7), row.getLong(8));
    }
}
