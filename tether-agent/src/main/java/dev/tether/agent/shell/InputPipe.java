package dev.tether.agent.shell;

import dev.tether.protocol.Limits;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A session's keystrokes on their way to its PTY. The connection's reader offers
 * them ({@link #offer}, which never blocks); the session's input thread writes them
 * ({@link #run}), blocking while the program does not read its terminal, and
 * returns the input credit of each write as soon as it is done.
 *
 * <p>Bound: the server holds {@link Limits#SHELL_WINDOW_BYTES} of input credit per
 * attachment, so at most that waits here (plus the one write in progress); input
 * beyond the credit is refused ({@link #offer} returns false) and the caller
 * closes the session. A new attachment or a detach ({@link #restart}) drops what
 * was not written yet and starts a fresh window; the write in progress then
 * returns no credit, since it belonged to the previous client.
 *
 * <p>Thread safe; one lock guards the state.
 */
final class InputPipe {

    private static final Logger log = LoggerFactory.getLogger(InputPipe.class);

    private final String name;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition ready = lock.newCondition();
    /** Guarded by {@link #lock}: input not yet written, oldest first. */
    private final ArrayDeque<byte[]> queue = new ArrayDeque<>();
    /** Guarded by {@link #lock}: input the server may still send in this attachment. */
    private int credit = Limits.SHELL_WINDOW_BYTES;
    /** Guarded by {@link #lock}: counts restarts, so a write that straddles one returns no credit. */
    private long epoch;
    /** Guarded by {@link #lock}. */
    private boolean closed;

    InputPipe(String name) {
        this.name = name;
    }

    /** Queues input for the PTY; false (nothing queued) when it exceeds the credit left. */
    boolean offer(byte[] data) {
        lock.lock();
        try {
            if (data.length > credit) {
                return false;
            }
            if (closed) {
                // The process is gone; the session ends soon. Nothing to write to.
                return true;
            }
            credit -= data.length;
            queue.add(data);
            ready.signal();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Drops input not yet written and grants a fresh window (a client attached or detached). */
    void restart() {
        lock.lock();
        try {
            queue.clear();
            credit = Limits.SHELL_WINDOW_BYTES;
            epoch++;
        } finally {
            lock.unlock();
        }
    }

    /** Stops {@link #run} after the write in progress; later input is dropped. */
    void close() {
        lock.lock();
        try {
            closed = true;
            queue.clear();
            ready.signal();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The input thread: writes queued input to {@code pty} until {@link #close()} or
     * a write fails (the process has gone), telling {@code returned} each written size.
     */
    void run(OutputStream pty, IntConsumer returned) {
        try {
            while (true) {
                byte[] data;
                long taken;
                lock.lock();
                try {
                    while (queue.isEmpty() && !closed) {
                        ready.await();
                    }
                    if (closed) {
                        return;
                    }
                    data = queue.poll();
                    taken = epoch;
                } finally {
                    lock.unlock();
                }
                pty.write(data);
                pty.flush();
                if (written(data.length, taken)) {
                    returned.accept(data.length);
                }
            }
        } catch (IOException e) {
            log.debug("shell {}: input not written, the terminal is gone: {}", name, e.toString());
            close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private boolean written(int bytes, long taken) {
        lock.lock();
        try {
            if (taken != epoch) {
                return false;
            }
            credit += bytes;
            return true;
        } finally {
            lock.unlock();
        }
    }
}
