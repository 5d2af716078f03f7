package dev.tether.server.store;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies SQLite's write-ahead log into the database file on a thread of its own, so that no commit waits for
 * it. By default SQLite runs that checkpoint inside the {@code COMMIT} that takes the log past 1,000 pages:
 * the command that stores 10,000 jobs and their outbox rows then copied its own pages into the database file
 * and fsynced it before its caller, and the agents waiting for its envelopes, heard that it had committed.
 * The group-commit writer's connection turns that off ({@code wal_autocheckpoint = 0}, see
 * {@link WriterConnection}) and calls {@link #committed} after each commit; this thread then runs a
 * {@code PASSIVE} checkpoint, at most one per {@link #PERIOD}. A passive checkpoint neither waits for nor
 * blocks the writer or a reader; frames a reader still uses are copied the next time.
 *
 * <p>Durability does not move: a commit is durable once its log frames are synced ({@code synchronous=FULL});
 * the checkpoint only moves committed frames, and after a crash SQLite replays the log. A checkpoint that fails
 * is logged and tried again after the next commit; meanwhile the log grows. An {@code Error} (out of memory)
 * does not end the thread: with the writer's own checkpoints off, nothing else would copy the log; it is
 * tried again one period later.
 *
 * <p>Thread safe: {@link #committed} from the writer thread, the checkpoints on this one's own thread.
 */
final class Checkpointer implements AutoCloseable {

    /** Checkpoints at most this often: each writes and fsyncs the database file. */
    static final Duration PERIOD = Duration.ofMillis(200);
    private static final Logger LOG = LoggerFactory.getLogger(Checkpointer.class);

    private final HikariDataSource pool;
    private final Thread thread;
    /** Set by a commit, cleared by the checkpoint that follows it. */
    private final AtomicBoolean pending = new AtomicBoolean();
    private volatile boolean closed;

    private Checkpointer(HikariDataSource pool) {
        this.pool = pool;
        this.thread = Thread.ofPlatform().daemon().name("tether-db-checkpoint").unstarted(this::run);
    }

    static Checkpointer start(HikariDataSource pool) {
        Checkpointer checkpointer = new Checkpointer(pool);
        checkpointer.thread.start();
        return checkpointer;
    }

    /** The writer committed: there are frames to copy. Never blocks. */
    void committed() {
        if (!pending.getAndSet(true)) {
            LockSupport.unpark(thread);
        }
    }

    private void run() {
        long nextNanos = System.nanoTime();
        while (!closed) {
            long wait = nextNanos - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(this, wait);
            } else if (!pending.getAndSet(false)) {
                LockSupport.park(this);
            } else {
                checkpoint();
                nextNanos = System.nanoTime() + PERIOD.toNanos();
            }
        }
    }

    private void checkpoint() {
        try (Connection connection = pool.getConnection(); Statement statement = connection.createStatement()) {
            statement.execute("PRAGMA wal_checkpoint(PASSIVE)");
        } catch (SQLException | RuntimeException e) {
            if (!closed) {
                LOG.warn("database checkpoint failed; the write-ahead log grows until the next one succeeds", e);
            }
        } catch (Error e) {
            // Not the end of this thread: with the writer's own checkpoints off, nobody else would copy the log.
            pending.set(true);
            LOG.error("database checkpoint failed; trying again in {} ms", PERIOD.toMillis(), e);
        }
    }

    /** Stops the thread, letting a checkpoint in progress finish; the pool's last close checkpoints the rest. */
    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
