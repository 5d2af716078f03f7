package dev.tether.cli.shell;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Writes the session's output to the local terminal on a thread of its own, so
 * that reading the next WebSocket frame and writing the last one to the
 * terminal overlap: a write to a terminal blocks until the terminal (or
 * {@code script}, or tmux) has read the one before, and when the frames were
 * written on the socket's thread every such wait also stopped the socket.
 *
 * <p>The output goes through one direct ring buffer of {@link #RING_BYTES}:
 * {@link #write} copies a frame in (waiting while the ring is full, which is
 * the backpressure: the caller asks for the next frame only after, so the
 * server, then the agent, slow down), and the writer thread writes whatever
 * has gathered in one system call, straight from the ring, so a burst of small
 * frames costs one write and no frame is copied twice or allocated. A small
 * frame that finds the ring empty is written by the caller ({@link #write}).
 *
 * <p>Thread safe: {@link #write} is called by one thread at a time (the
 * WebSocket's callbacks), {@link #finish} by the command's thread; {@link #lock}
 * guards {@link #read}, {@link #written}, {@link #closed} and {@link #failed}.
 * The terminal is written by one thread at a time: the caller only while the
 * ring is empty and the writer thread idle, and nothing enters the ring until
 * the caller returns.
 */
final class TerminalWriter implements AutoCloseable {

    /** Output taken from the socket and not yet written to the terminal, at most. */
    static final int RING_BYTES = 1 << 20;
    /** Output up to this size, arriving while the ring is empty, is written without the writer thread. */
    static final int DIRECT_WRITE_BYTES = 4096;

    private final WritableByteChannel terminal;
    private final Consumer<IOException> onFailure;
    private final ByteBuffer ring = ByteBuffer.allocateDirect(RING_BYTES);
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Thread thread;
    /** Bytes the writer thread has written (or dropped after a failure) since the start. */
    private long read;
    /** Bytes copied into the ring since the start. */
    private long written;
    private boolean closed;
    private boolean failed;

    private TerminalWriter(WritableByteChannel terminal, Consumer<IOException> onFailure) {
        this.terminal = terminal;
        this.onFailure = onFailure;
        this.thread = Thread.ofPlatform().daemon().name("tether-shell-output").unstarted(this::drain);
    }

    /**
     * Starts the writer thread.
     *
     * @param onFailure called once, on the writer thread, when writing to the terminal fails; later output is dropped
     */
    static TerminalWriter start(WritableByteChannel terminal, Consumer<IOException> onFailure) {
        TerminalWriter writer = new TerminalWriter(terminal, onFailure);
        writer.thread.start();
        return writer;
    }

    /**
     * Copies {@code data} into the ring, waiting while it is full; returns once all of it is in. A small write
     * while the ring is empty (an echoed keystroke, a prompt) is written on the caller's thread instead: the
     * writer thread's wake-up would be the echo's largest cost on a busy machine, and with nothing queued there
     * is nothing to overlap.
     */
    void write(ByteBuffer data) throws InterruptedException {
        if (data.remaining() <= DIRECT_WRITE_BYTES && idle()) {
            // Nothing can enter the ring meanwhile: only this (the one calling) thread puts output in.
            boolean ok = writeFully(data);
            lock.lock();
            try {
                failed |= !ok;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
            return;
        }
        while (data.hasRemaining()) {
            lock.lock();
            try {
                while (written - read == RING_BYTES && !failed && !closed) {
                    changed.await();
                }
                if (failed || closed) {
                    return;
                }
                int at = (int) (written % RING_BYTES);
                int n = (int) Math.min(data.remaining(), Math.min(RING_BYTES - (written - read), RING_BYTES - at));
                ring.put(at, data, data.position(), n);
                data.position(data.position() + n);
                written += n;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /** Whether the ring is empty and the writer thread has finished its last write. */
    private boolean idle() {
        lock.lock();
        try {
            return written == read && !failed && !closed;
        } finally {
            lock.unlock();
        }
    }

    /** The writer thread: writes each contiguous stretch of the ring as it fills, until closed and empty. */
    private void drain() {
        ByteBuffer view = ring.duplicate();
        while (true) {
            int at;
            int n;
            boolean drop;
            lock.lock();
            try {
                while (written == read && !closed) {
                    changed.awaitUninterruptibly();
                }
                if (written == read) {
                    return;
                }
                at = (int) (read % RING_BYTES);
                n = (int) Math.min(written - read, RING_BYTES - at);
                drop = failed;
            } finally {
                lock.unlock();
            }
            boolean ok = !drop && writeFully(view.limit(at + n).position(at));
            lock.lock();
            try {
                read += n;
                failed |= !ok;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    private boolean writeFully(ByteBuffer stretch) {
        try {
            while (stretch.hasRemaining()) {
                terminal.write(stretch);
            }
            return true;
        } catch (IOException e) {
            onFailure.accept(e);
            return false;
        }
    }

    /** Waits until everything written so far is on the terminal (or dropped after a failure), then stops. */
    void finish() throws InterruptedException {
        lock.lock();
        try {
            closed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        thread.join();
    }

    /** Stops without waiting: output not yet written is dropped. */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            failed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
