package dev.tether.agent.shell;

import dev.tether.protocol.Limits;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.Arrays;
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
 * closes the session. Input that arrived before a detach is still written (the
 * client typed it before it left), but returns no credit. A new attachment
 * ({@link #attach}) drops what is still unwritten then and starts a fresh window;
 * a write in progress returns no credit either, since it belonged to the previous client.
 *
 * <p>Short input offered while nothing is queued or being written is written at
 * once by the caller when that cannot block ({@link NonBlockingInput}, once
 * {@link #writeDirectly} set it), and its credit returned at once: a keystroke
 * then reaches the program without waiting for the input thread to wake.
 *
 * <p>Thread safe; one lock guards the state.
 */
final class InputPipe {

    private static final Logger log = LoggerFactory.getLogger(InputPipe.class);

    private final String name;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition ready = lock.newCondition();
    /** Input of one frame, and the attachment it came in (its credit goes back only within that). */
    private record Pending(byte[] data, long epoch) {
    }

    /** Guarded by {@link #lock}: input not yet written, oldest first. */
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    /** Guarded by {@link #lock}: input the server may still send in this attachment. */
    private int credit = Limits.SHELL_WINDOW_BYTES;
    /** Guarded by {@link #lock}: counts detaches and attaches, so a write that straddles one returns no credit. */
    private long epoch;
    /** Guarded by {@link #lock}. */
    private boolean closed;
    /** Guarded by {@link #lock}: the input thread is writing what it took from the queue. */
    private boolean writing;
    /** Guarded by {@link #lock}: writes short input on the caller's thread; null until set, or not on this system. */
    private NonBlockingInput direct;
    /** Guarded by {@link #lock}: told the size of input written by {@link #direct}, as the input thread's is. */
    private IntConsumer directReturned;

    InputPipe(String name) {
        this.name = name;
    }

    /** Lets {@link #offer} write short input itself through {@code writer}, telling {@code returned} its size. */
    void writeDirectly(NonBlockingInput writer, IntConsumer returned) {
        lock.lock();
        try {
            direct = writer;
            directReturned = returned;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Writes input to the PTY now when it is short, nothing is ahead of it and the write
     * cannot block, else queues it for the input thread; false (nothing written or queued)
     * when it exceeds the credit left.
     */
    boolean offer(byte[] data) {
        int writtenNow = 0;
        IntConsumer returnNow;
        lock.lock();
        try {
            if (data.length > credit) {
                return false;
            }
            if (closed) {
                // The process is gone; the session ends soon. Nothing to write to.
                return true;
            }
            if (direct != null && queue.isEmpty() && !writing) {
                writtenNow = direct.tryWrite(data);
            }
            if (writtenNow < data.length) {
                credit -= data.length - writtenNow;
                queue.add(new Pending(writtenNow == 0 ? data : Arrays.copyOfRange(data, writtenNow, data.length),
                        epoch));
                ready.signal();
            }
            returnNow = directReturned;
        } finally {
            lock.unlock();
        }
        if (writtenNow > 0) {
            returnNow.accept(writtenNow);
        }
        return true;
    }

    /** The client left: what it typed is still written, but no credit goes back for it. */
    void detach() {
        lock.lock();
        try {
            epoch++;
        } finally {
            lock.unlock();
        }
    }

    /** A client attached: drops input not yet written and grants a fresh window. */
    void attach() {
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
                Pending next;
                lock.lock();
                try {
                    while (queue.isEmpty() && !closed) {
                        ready.await();
                    }
                    if (closed) {
                        return;
                    }
                    next = queue.poll();
                    writing = true;
                } finally {
                    lock.unlock();
                }
                pty.write(next.data());
                pty.flush();
                if (written(next)) {
                    returned.accept(next.data().length);
                }
            }
        } catch (IOException e) {
            log.debug("shell {}: input not written, the terminal is gone: {}", name, e.toString());
            close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private boolean written(Pending input) {
        lock.lock();
        try {
            writing = false;
            if (input.epoch() != epoch) {
                return false;
            }
            credit += input.data().length;
            return true;
        } finally {
            lock.unlock();
        }
    }
}
