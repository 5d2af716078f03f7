package dev.tether.server.shell;

import dev.tether.server.auth.PrivateFiles;
import dev.tether.server.text.Utf8Text;
import io.vertx.core.json.JsonObject;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadPoolExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one session's recording in asciicast v2: a header line
 * {@code {"version":2,"width":C,"height":R,"timestamp":S,"env":{"TERM":...},"title":...}},
 * then one JSON array per event, {@code [seconds, "o", text]} for output,
 * {@code [seconds, "r", "COLSxROWS"]} for a resize and, only when input is
 * recorded, {@code [seconds, "i", text]}. Seconds count from the session's
 * start, taken when the event reaches the server; text is UTF-8 with a character
 * split between two chunks kept whole. Events are flushed whenever the writer
 * has nothing more queued, so a recording of a live session plays up to now.
 *
 * <p>All file I/O runs on the shared recording {@link Executor}, in submission
 * order; callers never block. A write failure is logged once and ends the
 * recording, never the session. Each {@link #output} returns when its event is
 * written, which the relay waits for before granting the agent more credit, so
 * what waits here is bounded by the session's credit window.
 *
 * <p>A recording stops growing at its byte cap: the event that would pass it
 * and every later one are dropped, the session goes on, and
 * {@link #truncated} says so (the session's record and audit entry carry it).
 *
 * <p>Thread safe: submit from any thread; the writer is owned by the executor's thread.
 */
final class Recorder {

    private static final Logger LOG = LoggerFactory.getLogger(Recorder.class);
    private static final int WRITE_BUFFER_BYTES = 64 * 1024;

    private final Path file;
    private final Executor io;
    private final boolean recordInput;
    private final long maxBytes;
    private final long startNanos = System.nanoTime();
    /** Set on the executor thread once an event was dropped at the cap; read anywhere. */
    private volatile boolean truncated;
    /** Executor thread only. */
    private final Utf8Text output = new Utf8Text();
    private final Utf8Text input = new Utf8Text();
    /** Executor thread only: the event being written, reused. */
    private final CastJson.Line line = new CastJson.Line();
    private OutputStream writer;
    private boolean failed;
    /** Executor thread only: UTF-8 bytes written so far. */
    private long written;

    private Recorder(Path file, Executor io, boolean recordInput, long maxBytes) {
        this.file = file;
        this.io = io;
        this.recordInput = recordInput;
        this.maxBytes = maxBytes;
    }

    /** Starts the recording with its header (written on the executor); it stops growing at {@code maxBytes}. */
    static Recorder start(Path file, Executor io, boolean recordInput, long maxBytes, Header header) {
        Recorder recorder = new Recorder(file, io, recordInput, maxBytes);
        recorder.submit(() -> recorder.open(header));
        return recorder;
    }

    record Header(int cols, int rows, long startedAtMillis, String term, List<String> command, String title) {
    }

    CompletableFuture<Void> output(byte[] data) {
        double at = elapsed();
        return submit(() -> {
            if (truncated || writer == null) {
                // Nothing more is written: past the cap a flood is not even formatted (a NUL takes six bytes).
                return;
            }
            if (output.holdsPartial() || !CastJson.asciiEvent(line, at, "o", data)) {
                event(at, "o", output.decode(data));
            } else if (data.length > 0) {
                writeEvent();
            }
        });
    }

    void input(byte[] data) {
        if (recordInput) {
            double at = elapsed();
            submit(() -> event(at, "i", input.decode(data)));
        }
    }

    void resize(int rows, int cols) {
        double at = elapsed();
        submit(() -> event(at, "r", cols + "x" + rows));
    }

    /** Finishes the recording; completes with whether it was cut at its byte cap. */
    CompletableFuture<Boolean> close() {
        return submit(() -> {
            String rest = output.finish();
            if (!rest.isEmpty()) {
                event(elapsed(), "o", rest);
            }
            if (writer != null) {
                writer.close();
                writer = null;
            }
        }).thenApply(done -> truncated);
    }

    /** Whether the recording was cut at its byte cap (the events submitted so far decide). */
    boolean truncated() {
        return truncated;
    }

    private double elapsed() {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    private void open(Header header) throws IOException {
        PrivateFiles.directory(file.getParent());
        writer = new BufferedOutputStream(PrivateFiles.newFile(file), WRITE_BUFFER_BYTES);
        JsonObject env = new JsonObject().put("TERM", header.term());
        JsonObject headerLine = new JsonObject().put("version", 2).put("width", header.cols()).put("height", header.rows())
                .put("timestamp", header.startedAtMillis() / 1000).put("env", env).put("title", header.title());
        if (!header.command().isEmpty()) {
            headerLine.put("command", String.join(" ", header.command()));
        }
        writeLine(headerLine.encode());
    }

    private void event(double at, String kind, String text) throws IOException {
        if (text.isEmpty() || writer == null || truncated) {
            return;
        }
        CastJson.event(line, at, kind, text);
        writeEvent();
    }

    /** Writes the event in {@link #line}, unless it would pass the byte cap. */
    private void writeEvent() throws IOException {
        if (writer == null || truncated) {
            return;
        }
        int size = line.size();
        if (written + size > maxBytes) {
            truncated = true;
            writer.flush();
            LOG.warn("recording {} reached {} bytes (--recording-max-bytes): the session goes on unrecorded", file,
                    maxBytes);
            return;
        }
        written += size;
        writer.write(line.bytes(), 0, size);
        flushWhenIdle();
    }

    /** Flushes once nothing more waits for the writer thread: bursts are written in big blocks. */
    private void flushWhenIdle() throws IOException {
        if (!(io instanceof ThreadPoolExecutor pool) || pool.getQueue().isEmpty()) {
            writer.flush();
        }
    }

    private void writeLine(String text) throws IOException {
        if (writer != null) {
            byte[] bytes = (text + "\n").getBytes(StandardCharsets.UTF_8);
            written += bytes.length;
            writer.write(bytes);
            writer.flush();
        }
    }

    private interface Io {
        void run() throws IOException;
    }

    private CompletableFuture<Void> submit(Io work) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            io.execute(() -> {
                run(work);
                done.complete(null);
            });
        } catch (RuntimeException rejected) {
            // The server is stopping: nothing more is recorded, and nothing waits for it.
            done.complete(null);
        }
        return done;
    }

    private void run(Io work) {
        if (failed) {
            return;
        }
        try {
            work.run();
        } catch (IOException | RuntimeException e) {
            failed = true;
            LOG.error("recording {} failed and stops here (the session goes on): {}", file, e.toString());
            try {
                if (writer != null) {
                    writer.close();
                }
            } catch (IOException ignored) {
                // Already failing.
            }
            writer = null;
        }
    }
}
