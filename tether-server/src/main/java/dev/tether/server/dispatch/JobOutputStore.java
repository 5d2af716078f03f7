package dev.tether.server.dispatch;

import dev.tether.server.store.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Job output in {@code job_output}: chunks appended by the apply path in the
 * transaction of their JobEvent, numbered per job ({@code idx} 0, 1, ...), read
 * by the API in pages bounded in bytes.
 *
 * <p>Blocking; thread safe (state lives in the database).
 */
public final class JobOutputStore {

    /** Output kept per job; the agent stops at 16 MiB plus a notice, so more means a misbehaving agent. */
    public static final long MAX_BYTES_PER_JOB = 17L * 1024 * 1024;

    private final Database db;

    public JobOutputStore(Database db) {
        this.db = db;
    }

    /**
     * One stored chunk.
     *
     * @param stream {@code stdout} or {@code stderr}
     * @param offset bytes of the job's output before this chunk
     */
    public record Chunk(String jobId, long idx, String stream, long offset, byte[] data) {
    }

    /**
     * Chunks of the job from {@code fromIdx} on, in order: at most {@code maxChunks}, and no more once
     * {@code maxBytes} are reached (at least one chunk when there is one).
     */
    public List<Chunk> read(String jobId, long fromIdx, long maxBytes, int maxChunks) {
        return db.withConnection("read job output", connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT idx, stream, byte_offset, data"
                    + " FROM job_output WHERE job_id = ? AND idx >= ? ORDER BY idx LIMIT ?")) {
                select.setString(1, jobId);
                select.setLong(2, fromIdx);
                select.setInt(3, maxChunks);
                List<Chunk> chunks = new ArrayList<>();
                long bytes = 0;
                try (ResultSet row = select.executeQuery()) {
                    while (bytes < maxBytes && row.next()) {
                        Chunk chunk = new Chunk(jobId, row.getLong(1), row.getString(2), row.getLong(3),
                                row.getBytes(4));
                        bytes += chunk.data().length;
                        chunks.add(chunk);
                    }
                }
                return chunks;
            }
        });
    }

    /**
     * Appends a chunk after the job's last, in the caller's transaction.
     *
     * @param job as read in this transaction: its chunk count and size give the new chunk's place
     */
    static void appendIn(Connection connection, JobHead job, String stream, byte[] data, long nowMillis)
            throws SQLException {
        try (PreparedStatement update = connection.prepareStatement("UPDATE jobs SET output_chunks = output_chunks + 1,"
                + " output_bytes = output_bytes + ? WHERE id = ? AND output_chunks = ?")) {
            update.setLong(1, data.length);
            update.setString(2, job.id());
            update.setLong(3, job.outputChunks());
            if (update.executeUpdate() != 1) {
                throw new SQLException("output of job " + job.id() + " was appended concurrently");
            }
        }
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO job_output (job_id, idx, stream,"
                + " byte_offset, data, created_at) VALUES (?, ?, ?, ?, ?, ?)")) {
            insert.setString(1, job.id());
            insert.setLong(2, job.outputChunks());
            insert.setString(3, stream);
            insert.setLong(4, job.outputBytes());
            insert.setBytes(5, data);
            insert.setLong(6, nowMillis);
            insert.executeUpdate();
        }
    }
}
