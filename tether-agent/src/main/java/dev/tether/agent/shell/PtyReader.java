package dev.tether.agent.shell;

import com.pty4j.PtyProcess;
import com.pty4j.unix.UnixPtyProcess;
import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import dev.tether.agent.process.ProcessExit;
import dev.tether.protocol.Limits;

/**
 * Reads a session's PTY from its master side, for the {@link OutputPump}: one
 * {@code poll} and {@code read} into a native buffer kept for the session, and while
 * a flood lasts, more reads of what is ready at once ({@code poll} with no wait)
 * until the caller's limit, so one call, and one frame, carries up to
 * {@link Limits#SHELL_CHUNK_BYTES}. pty4j's own stream builds a JNA structure by
 * reflection and copies a temporary array of the requested size for every read, and
 * returns what a single {@code read(2)} gave (4 to 12 KiB in a flood).
 *
 * <p>The end is pty4j's: a read ends (-1) when the terminal has no output and
 * either every process holding it closed it ({@code EIO} or end of file on the
 * master, or {@code POLLHUP}), or the program exited, even though a background
 * process may still hold the terminal open. The exit is watched by a thread of its
 * own, which writes one byte to a pipe the reader polls beside the master (pty4j's
 * reaper does the same for its stream); the byte is never read, so every later
 * wait sees it. Output already in the terminal is still read after the exit: the
 * master is polled first.
 *
 * <p>Not thread safe: owned by the pump's thread; the exit thread only writes and
 * closes the pipe's write end. The master fd is pty4j's, closed by pty4j with the
 * process's streams, after the pump is done reading.
 */
final class PtyReader implements AutoCloseable {

    /** The exit thread only waits; a small stack is enough. */
    private static final long EXIT_THREAD_STACK_BYTES = 128 * 1024;
    private static final NativeLong ONE = new NativeLong(1);
    private static final NativeLong BOTH = new NativeLong(2);
    private static final int NO_WAIT = 0;
    private static final int FOREVER = -1;

    private final int master;
    /** The pipe the exit thread writes; [0] is polled here and closed by {@link #close}. */
    private final int[] exitPipe;
    private final Thread exitThread;
    /** {@code struct pollfd[2]}: the master, then the exit pipe's read end. */
    private final Memory pollFds = new Memory(2L * Libc.POLLFD_BYTES);
    private final Memory buffer = new Memory(Limits.SHELL_CHUNK_BYTES);

    private PtyReader(int master, int[] exitPipe, Thread exitThread) {
        this.master = master;
        this.exitPipe = exitPipe;
        this.exitThread = exitThread;
        pollFds.setInt(0, master);
        pollFds.setShort(Libc.POLLFD_EVENTS, Libc.POLLIN);
        pollFds.setInt(Libc.POLLFD_BYTES, exitPipe[0]);
        pollFds.setShort(Libc.POLLFD_BYTES + Libc.POLLFD_EVENTS, Libc.POLLIN);
    }

    /**
     * A reader of {@code process}'s terminal; starts the thread named {@code name}
     * that watches for its exit.
     *
     * @throws IllegalArgumentException when the process is not a Unix PTY process
     */
    static PtyReader open(PtyProcess process, String name) {
        if (!(process instanceof UnixPtyProcess unix)) {
            throw new IllegalArgumentException("not a Unix PTY process: " + process.getClass().getName());
        }
        int[] exitPipe = new int[2];
        Libc.pipe(exitPipe);
        Thread exitThread = new Thread(null, () -> signalExit(process, exitPipe[1]), name, EXIT_THREAD_STACK_BYTES);
        exitThread.setDaemon(true);
        exitThread.start();
        return new PtyReader(unix.getPty().getMasterFD(), exitPipe, exitThread);
    }

    /**
     * Waits for output, then reads what is there and what follows at once, up to
     * {@code limit} bytes (at most {@link Limits#SHELL_CHUNK_BYTES}), into {@code into}.
     *
     * @return how many bytes were read (at least 1), or -1 at the terminal's end
     */
    int read(byte[] into, int limit) {
        int max = Math.min(limit, Limits.SHELL_CHUNK_BYTES);
        if (!poll(BOTH, FOREVER)) {
            return -1;
        }
        int filled = readAt(0, max);
        if (filled <= 0) {
            return -1;
        }
        while (filled < max && poll(ONE, NO_WAIT)) {
            int n = readAt(filled, max - filled);
            if (n <= 0) {
                break; // the end: the next call finds it again, after these bytes are kept
            }
            filled += n;
        }
        buffer.read(0, into, 0, filled);
        return filled;
    }

    /** Polls the first {@code count} fds; true when the master has output. */
    private boolean poll(NativeLong count, int timeoutMillis) {
        while (true) {
            try {
                if (Libc.poll(pollFds, count, timeoutMillis) == 0) {
                    return false;
                }
                return (pollFds.getShort(Libc.POLLFD_REVENTS) & Libc.POLLIN) != 0;
            } catch (LastErrorException e) {
                if (e.getErrorCode() != Libc.EINTR) {
                    return false;
                }
            }
        }
    }

    /** One {@code read(2)} into the buffer at {@code offset}; 0 or -1 at the end ({@code EIO}). */
    private int readAt(int offset, int count) {
        Pointer at = buffer.share(offset);
        while (true) {
            try {
                return Libc.read(master, at, new NativeLong(count)).intValue();
            } catch (LastErrorException e) {
                if (e.getErrorCode() != Libc.EINTR) {
                    return -1;
                }
            }
        }
    }

    /** Runs on the exit thread: waits for the program's exit, then makes the pipe readable for good. */
    private static void signalExit(PtyProcess process, int pipeWriteEnd) {
        awaitExit(process);
        try {
            Libc.write(pipeWriteEnd, new byte[] {1}, ONE);
        } finally {
            Libc.close(pipeWriteEnd);
        }
    }

    /** The program's exit status, once it has exited; waits, uninterruptibly. */
    static int awaitExit(PtyProcess process) {
        return ProcessExit.await(process, () -> { });
    }

    /** After the exit: waits for the exit thread to be done with the pipe, then frees what the reader holds. */
    @Override
    public void close() {
        boolean interrupted = false;
        while (exitThread.isAlive()) {
            try {
                exitThread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        Libc.close(exitPipe[0]);
        pollFds.close();
        buffer.close();
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
