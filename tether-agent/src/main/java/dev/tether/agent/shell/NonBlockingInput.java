package dev.tether.agent.shell;

import com.pty4j.PtyProcess;
import com.pty4j.unix.UnixPtyProcess;
import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.NativeLong;
import com.sun.jna.Platform;

/**
 * Writes short input (a keystroke, an escape sequence, up to {@link #MAX_BYTES})
 * to a PTY's master from the caller's thread when the write cannot block, so a
 * keystroke need not be handed to the session's input thread and wait for it to
 * wake (measured per keystroke on a busy 2-core machine: 0.1 ms at the median,
 * 2 ms at the 99th percentile).
 *
 * <p>Why such a write cannot block, on Linux: {@code poll} reports {@code POLLOUT}
 * on a PTY master only while the terminal's input buffers are under their limit
 * (64 KiB), and while they are, the kernel takes a write of at most 256 bytes
 * whole (it allocates buffer space whenever the limit is not yet exceeded). A write
 * blocks only when a program has left 64 KiB of input unread, and then there is no
 * {@code POLLOUT} and the input goes through the input thread as before. Elsewhere
 * {@link #open} returns null: the reasoning is Linux's.
 *
 * <p>Not thread safe: used under the {@link InputPipe}'s lock, which also keeps the
 * input thread from writing at the same time, so input stays in order. The master
 * fd is pty4j's; the pipe is closed before it is.
 */
final class NonBlockingInput {

    static final int MAX_BYTES = 256;
    private static final short POLLOUT = 0x4;
    private static final NativeLong ONE = new NativeLong(1);

    private final int master;
    private final Memory pollFd = new Memory(Libc.POLLFD_BYTES);

    private NonBlockingInput(int master) {
        this.master = master;
        pollFd.setInt(0, master);
        pollFd.setShort(Libc.POLLFD_EVENTS, POLLOUT);
    }

    /** A writer to {@code process}'s terminal, or null where writes are left to the input thread. */
    static NonBlockingInput open(PtyProcess process) {
        if (!Platform.isLinux() || !(process instanceof UnixPtyProcess unix)) {
            return null;
        }
        return new NonBlockingInput(unix.getPty().getMasterFD());
    }

    /**
     * Writes {@code data} now if that cannot block; how many bytes were written: all of
     * them, or 0 when the write might block (too long, no room) or failed (the terminal
     * is gone, which the input thread finds too). The caller queues what is left.
     */
    int tryWrite(byte[] data) {
        if (data.length == 0 || data.length > MAX_BYTES || !writable()) {
            return 0;
        }
        try {
            return Math.max(0, Libc.write(master, data, new NativeLong(data.length)).intValue());
        } catch (LastErrorException e) {
            return 0;
        }
    }

    private boolean writable() {
        try {
            return Libc.poll(pollFd, ONE, 0) == 1 && (pollFd.getShort(Libc.POLLFD_REVENTS) & POLLOUT) != 0;
        } catch (LastErrorException e) {
            return false;
        }
    }
}
