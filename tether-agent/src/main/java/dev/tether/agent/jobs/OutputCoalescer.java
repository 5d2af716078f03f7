package dev.tether.agent.jobs;

import com.google.protobuf.ByteString;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.JobOutput.Stream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Turns a job's stdout and stderr writes into few, ordered output events.
 * Consecutive writes to one stream are merged; a switch of stream starts a new
 * chunk, so the server sees the interleaving the job produced (at write
 * granularity). What is pending is published when it reaches
 * {@link #CHUNK_BYTES} (by the writing thread, which waits meanwhile: a fast
 * writer is slowed to the speed of the disk, never buffered without bound) and
 * by {@link #flush()}, which the job's ticker calls every
 * {@link Jobs#OUTPUT_FLUSH_INTERVAL}. Each event carries at most
 * {@link #CHUNK_BYTES}.
 *
 * <p>The total is capped at {@link #CAP_BYTES}: the write that crosses it is
 * cut, one {@link #TRUNCATED_MARKER} chunk follows on the same stream, and every
 * later write is dropped (the job's pipes are still drained).
 *
 * <p>Thread safe: every method holds the monitor of this object, also while
 * publishing, so events leave in the order the bytes were written.
 */
final class OutputCoalescer {

    /** Largest output event payload. */
    static final int CHUNK_BYTES = 32 * 1024;
    /** Most output one job reports. */
    static final long CAP_BYTES = 16L * 1024 * 1024;
    static final String TRUNCATED_MARKER = "[tether: output truncated at 16 MiB]";

    private final String jobId;
    private final Consumer<List<Envelope>> publish;

    // All guarded by this.
    private final List<Pending> pending = new ArrayList<>();
    private int pendingBytes;
    private long totalBytes;
    private boolean truncated;
    private boolean closed;

    /**
     * @param publish stores the events durably (and wakes the sender); called with this object's monitor held
     */
    OutputCoalescer(String jobId, Consumer<List<Envelope>> publish) {
        this.jobId = jobId;
        this.publish = publish;
    }

    synchronized void write(Stream stream, byte[] data, int offset, int length) {
        if (closed || truncated || length == 0) {
            return;
        }
        long room = CAP_BYTES - totalBytes;
        int taken = (int) Math.min(length, room);
        add(stream, data, offset, taken, false);
        totalBytes += taken;
        if (taken < length) {
            truncated = true;
            byte[] marker = TRUNCATED_MARKER.getBytes(StandardCharsets.UTF_8);
            add(stream, marker, 0, marker.length, true);
        }
        if (pendingBytes >= CHUNK_BYTES || truncated) {
            flush();
        }
    }

    private void add(Stream stream, byte[] data, int offset, int length, boolean ownChunk) {
        if (length <= 0) {
            return;
        }
        Pending last = pending.isEmpty() ? null : pending.get(pending.size() - 1);
        if (last == null || last.stream != stream || ownChunk) {
            last = new Pending(stream, new ByteArrayOutputStream());
            pending.add(last);
        }
        last.bytes.write(data, offset, length);
        pendingBytes += length;
    }

    /** Publishes what is pending, if anything. */
    synchronized void flush() {
        if (pendingBytes == 0) {
            return;
        }
        List<Envelope> events = new ArrayList<>();
        for (Pending chunk : pending) {
            ByteString bytes = ByteString.copyFrom(chunk.bytes.toByteArray());
            for (int from = 0; from < bytes.size(); from += CHUNK_BYTES) {
                ByteString part = bytes.substring(from, Math.min(bytes.size(), from + CHUNK_BYTES));
                events.add(JobEvents.output(jobId, chunk.stream, part));
            }
        }
        pending.clear();
        pendingBytes = 0;
        publish.accept(events);
    }

    /** Publishes what is pending and drops every later write. Idempotent. */
    synchronized void close() {
        flush();
        closed = true;
    }

    /** Bytes accepted so far (at most {@link #CAP_BYTES}). */
    synchronized long totalBytes() {
        return totalBytes;
    }

    private record Pending(Stream stream, ByteArrayOutputStream bytes) {
    }
}
