package dev.tether.server.dispatch;

/**
 * A job as stored in {@code jobs}. Timestamps are epoch millis, null when they
 * did not happen. {@code agentName} and {@code type} (the command's) are filled
 * by reads for the API and null in reads for state changes.
 *
 * @param outboxSeq seq of its CommandRequest in the agent's stream; null while held back
 * @param unconfirmed the server ended it while the agent may hold it: the agent's report wins
 * @param cancelRequestedAt when a CancelJob was sent to the agent
 * @param result result_json of a non-exec job, or null
 * @param outputChunks job_output rows, the next chunk's idx
 * @param outputBytes total size of those rows
 * @param deadlineAt it must start before this, or null
 */
public record JobRecord(
        String id,
        String commandId,
        String agentId,
        String agentName,
        String type,
        int position,
        JobState state,
        Long outboxSeq,
        boolean unconfirmed,
        Long cancelRequestedAt,
        Integer exitCode,
        String error,
        String result,
        long outputChunks,
        long outputBytes,
        Long deadlineAt,
        long createdAt,
        Long deliveredAt,
        Long startedAt,
        Long finishedAt) implements JobKey {

    /** A new job, queued and held back. */
    static JobRecord queued(String id, String commandId, String agentId, String agentName, String type, int position,
            Long deadlineAt, long createdAt) {
        return new JobRecord(id, commandId, agentId, agentName, type, position, JobState.QUEUED, null, false, null,
                null, null, null, 0, 0, deadlineAt, createdAt, null, null, null);
    }

    /** Held back by max_concurrency: no CommandRequest stored yet. */
    public boolean heldBack() {
        return outboxSeq == null && state == JobState.QUEUED;
    }
}
