package dev.tether.server.shell;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where session recordings live ({@code DATA_DIR/recordings/<session>.cast},
 * mode 0600 in a 0700 directory: a terminal shows secrets), the one thread that
 * writes them, and retention by age.
 *
 * <p>Thread safe.
 */
public final class Recordings implements AutoCloseable {

    /** Recordings deleted per retention pass at most; the next pass takes the rest. */
    static final int RETENTION_BATCH = 500;
    private static final Logger LOG = LoggerFactory.getLogger(Recordings.class);

    private final Path dir;
    private final Duration retention;
    private final ShellSessionStore sessions;
    /** Writes every recording, in order; see {@link Recorder} for what bounds its queue. */
    private final ThreadPoolExecutor io = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
            new LinkedBlockingQueue<>(), runnable -> {
                Thread thread = new Thread(runnable, "tether-recordings");
                thread.setDaemon(true);
                return thread;
            });

    public Recordings(Path dataDir, Duration retention, ShellSessionStore sessions) {
        this.dir = dataDir.resolve("recordings");
        this.retention = retention;
        this.sessions = sessions;
    }

    Recorder start(ShellId id, boolean recordInput, long maxBytes, Recorder.Header header) {
        return Recorder.start(file(fileName(id)), io, recordInput, maxBytes, header);
    }

    static String fileName(ShellId id) {
        return id.hex() + ".cast";
    }

    /** The recording file of a stored session, or null when it has none. */
    public Path file(ShellSessionRecord session) {
        return session.recording() == null ? null : file(session.recording());
    }

    private Path file(String name) {
        return dir.resolve(name);
    }

    /** Deletes recordings of sessions that started longer ago than the retention; blocking. */
    public int deleteExpired(long nowMillis) {
        List<ShellSessionRecord> expired = sessions.recordingsBefore(nowMillis - retention.toMillis(), RETENTION_BATCH);
        for (ShellSessionRecord session : expired) {
            try {
                Files.deleteIfExists(file(session.recording()));
                sessions.forgetRecording(session.id());
            } catch (IOException e) {
                LOG.warn("cannot delete the expired recording {}: {}", session.recording(), e.toString());
            }
        }
        if (!expired.isEmpty()) {
            LOG.info("deleted {} recording(s) older than {}", expired.size(), retention);
        }
        return expired.size();
    }

    /** Deletes these recordings (file names from {@link ShellSessionRecord#recording}); blocking, logs failures. */
    public void delete(List<String> names) {
        for (String name : names) {
            try {
                Files.deleteIfExists(file(name));
            } catch (IOException e) {
                LOG.warn("cannot delete the recording {}: {}", name, e.toString());
            }
        }
    }

    /** Finishes the recordings' pending writes (briefly) and stops the writer. */
    @Override
    public void close() throws InterruptedException {
        io.shutdown();
        if (!io.awaitTermination(2, TimeUnit.SECONDS)) {
            io.shutdownNow();
        }
    }
}
