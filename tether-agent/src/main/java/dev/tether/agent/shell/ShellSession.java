package dev.tether.agent.shell;

import com.google.protobuf.ByteString;
import com.pty4j.PtyProcess;
import com.pty4j.WinSize;
import dev.tether.agent.process.ProcessGroup;
import dev.tether.agent.process.ProcessGroup.Signal;
import dev.tether.protocol.Limits;
import dev.tether.protocol.v1.ShellOpen;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * One shell session: a program on a PTY, the scrollback of its output, and its
 * client's state. Its {@link OutputPump} thread starts the program, reads the PTY
 * and ends the session; an input thread writes keystrokes ({@link InputPipe}).
 *
 * <h2>Output and credit</h2>
 * Every byte read from the PTY goes into the {@link Scrollback} at the next offset.
 * While a client is attached, the bytes from {@link #cursor} on are sent as
 * ShellOutput frames of at most {@link Limits#SHELL_CHUNK_BYTES}, each consuming
 * output credit, and the PTY is read only when everything read is sent and credit
 * is left, at most that credit at once. So the bytes read and not yet written to the
 * socket never exceed the credit, and a program writing faster than its client
 * reads blocks on its own terminal. Detached (the client left, or the agent's link
 * dropped), the PTY is read regardless of credit, into the scrollback only, and the
 * idle timer runs; it kills the session unless a client attaches first.
 *
 * <h2>Attach</h2>
 * An attach asking for offset N gets {@code M = max(N, oldest offset held)} and the
 * bytes from M on, where "held" means the last {@code --shell-scrollback} bytes. A
 * read in progress while detached may still add up to a chunk and push the oldest
 * bytes out before they are replayed, so the ring keeps one chunk more than that:
 * the replay never has a gap.
 *
 * <h2>End</h2>
 * The process exits: once all its output is sent to an attached client, ShellExit
 * follows and the session is gone. Exited while detached, it is kept (scrollback and
 * status) until the idle timeout, so an attach replays and then gets ShellExit. A
 * terminate (close, flow-control breach, idle timeout, agent stop) drops unsent output,
 * sends SIGHUP and SIGTERM to the process group and SIGKILL after
 * {@link Limits#SHELL_KILL_GRACE}; ShellExit follows the exit. ShellExit is sent
 * whenever a session ends while the agent is connected, attached or not.
 *
 * <p>Thread safe: one lock guards the state; it is taken before the outbox's lock,
 * never after. Called by the connection's reader (attach, detach, credit, input,
 * resize, terminate), the pump, and the registry's timer (expiry).
 */
final class ShellSession {

    /** What a session shares with the others, from its registry. */
    record Context(ShellProgram program, ShellOutbox outbox, ScheduledExecutorService timers, Duration idleTimeout,
            int scrollbackBytes, Consumer<ShellSession> ended) {
    }

    final ByteString id;
    final String name;
    final Context context;
    final ShellOutbox.Lane lane;
    final InputPipe input;
    final List<String> argv;
    final String term;
    final ReentrantLock lock = new ReentrantLock();
    /** Signalled when the pump may go on: credit, attach, detach, terminate, exit. */
    final Condition changed = lock.newCondition();

    /** Guarded by {@link #lock}. */
    final Scrollback scrollback;
    /** Guarded by {@link #lock}: set once by the pump when the program runs. */
    PtyProcess process;
    /** Guarded by {@link #lock}: the program's process group, set with {@link #process}; null if it was gone at once. */
    ProcessGroup group;
    /** Guarded by {@link #lock}: the window size, applied at the start when a resize came first. */
    WinSize size;
    /** Guarded by {@link #lock}: a client is attached (and the agent connected). */
    boolean attached;
    /** Guarded by {@link #lock}: the session is being ended; output is dropped. */
    boolean terminating;
    /** Guarded by {@link #lock}: output credit the attached client granted and the session has not used. */
    long credit;
    /** Guarded by {@link #lock}: the next offset to send to the attached client. */
    long cursor;
    /** Guarded by {@link #lock}: a ShellReady owed to the attached client once the program runs, or -1. */
    long readyOffset = -1;
    boolean readyAttached;
    /** Guarded by {@link #lock}: the exit status, null while the program runs. */
    Integer exitStatus;
    /** Guarded by {@link #lock}: ShellExit queued, the session is gone. */
    boolean ended;
    /** Guarded by {@link #lock}: the signals the agent sent to the group. */
    final EnumSet<Signal> sent = EnumSet.noneOf(Signal.class);
    /** Guarded by {@link #lock}. */
    private ScheduledFuture<?> idleTimer;

    private ShellSession(ByteString id, ShellOpen open, List<String> argv, Context context) {
        this.id = id;
        this.name = ShellFrames.shortName(id);
        this.context = context;
        this.lane = context.outbox().lane(id);
        this.input = new InputPipe(name);
        this.argv = argv;
        this.term = open.getTerm();
        // A chunk more than the scrollback: a read in progress at an attach cannot push out what it replays.
        this.scrollback = new Scrollback(context.scrollbackBytes() + Limits.SHELL_CHUNK_BYTES);
        this.size = new WinSize(open.getCols(), open.getRows());
        this.attached = true;
        this.credit = Math.min(Integer.toUnsignedLong(open.getCredit()), Limits.SHELL_WINDOW_BYTES);
        this.readyOffset = 0;
    }

    /** A new session for {@code argv}, attached to the client that opened it; {@link #start()} runs it. */
    static ShellSession create(ByteString id, ShellOpen open, List<String> argv, Context context) {
        return new ShellSession(id, open, argv, context);
    }

    /** Starts the program; ShellReady (or ShellError spawn_failed) follows from the pump. */
    void start() {
        OutputPump.start(this);
    }

    /** Whether a client may attach: the session is not being ended. */
    boolean attachable() {
        lock.lock();
        try {
            return !terminating && !ended;
        } finally {
            lock.unlock();
        }
    }

    /** Re-attaches a client; ShellReady{attached} and the replay from the answered offset follow. */
    void attach(ShellOpen open) throws ShellRefused {
        lock.lock();
        try {
            if (terminating || ended) {
                throw new ShellRefused(ShellErrorCode.NOT_FOUND, "shell session " + name + " is ending");
            }
            if (attached) {
                throw new ShellRefused(ShellErrorCode.ATTACHED, "shell session " + name
                        + " has a client; detach it (close with terminate = false) first");
            }
            long end = scrollback.end();
            if (open.getResumeOffset() > end) {
                throw new ShellRefused(ShellErrorCode.BAD_REQUEST, "resume_offset " + open.getResumeOffset()
                        + " is beyond the output so far (" + end + " bytes)");
            }
            // The last scrollbackBytes: still held after a read in progress adds its chunk (the ring has one spare).
            long held = Math.max(0, end - context.scrollbackBytes());
            cursor = Math.max(open.getResumeOffset(), held);
            attached = true;
            credit = Math.min(Integer.toUnsignedLong(open.getCredit()), Limits.SHELL_WINDOW_BYTES);
            cancelIdleTimer();
            input.attach();
            resizeLocked(open.getRows(), open.getCols());
            readyOffset = cursor;
            readyAttached = true;
            sendReady();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The client left (ShellClose{terminate = false}) or the agent's link dropped; idempotent. */
    void detach() {
        lock.lock();
        try {
            if (!attached) {
                return;
            }
            attached = false;
            readyOffset = -1;
            lane.clear();
            input.detach();
            if (!ended) {
                idleTimer = context.timers().schedule(this::expire, context.idleTimeout().toMillis(),
                        TimeUnit.MILLISECONDS);
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The attached client granted {@code bytes} more output. */
    void credit(long bytes) {
        lock.lock();
        try {
            if (attached && !ended) {
                credit = Math.min(credit + bytes, Limits.SHELL_WINDOW_BYTES);
                emit();
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Keystrokes for the program; input beyond the credit closes the session. Input
     * while detached, or once the program is ending (its ShellExit is on the way), is dropped.
     */
    void input(byte[] data) throws ShellRefused {
        lock.lock();
        try {
            checkNotEnded();
            if (!attached || terminating || exitStatus != null) {
                return;
            }
            if (!input.offer(data)) {
                terminate("input beyond the credit");
                throw new ShellRefused(ShellErrorCode.FLOW_CONTROL, data.length + " bytes of input exceed the "
                        + "input credit left (" + Limits.SHELL_WINDOW_BYTES / 1024 + " KiB per attachment, returned "
                        + "with ShellCredit as written); the session is closed");
            }
        } finally {
            lock.unlock();
        }
    }

    /** A new window size; ignored once the program is ending. */
    void resize(int rows, int cols) throws ShellRefused {
        lock.lock();
        try {
            checkNotEnded();
            if (terminating || exitStatus != null) {
                return;
            }
            resizeLocked(rows, cols);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Ends the session: unsent output is dropped, the group gets SIGHUP and SIGTERM,
     * then SIGKILL after the grace; ShellExit follows the exit. Idempotent.
     */
    void terminate(String why) {
        lock.lock();
        try {
            if (terminating || ended) {
                return;
            }
            terminating = true;
            cancelIdleTimer();
            lane.clear();
            if (process != null && exitStatus == null) {
                signalGroup(why);
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The idle timeout of a detached session expired. */
    private void expire() {
        lock.lock();
        try {
            if (!attached) {
                OutputPump.log.info("shell {}: detached for {}; ending it", name, context.idleTimeout());
                terminate("idle timeout");
            }
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ under the lock, for the pump too

    /** Guarded by {@link #lock}: sends the bytes from the cursor on, within the credit. */
    void emit() {
        Runnable wake = queueOutput();
        if (wake != null) {
            wake.run();
        }
    }

    /**
     * Guarded by {@link #lock}: queues the bytes from the cursor on, within the credit, without waking the
     * writer.
     *
     * @return the writer's wake when output was queued (the caller wakes it), else null
     */
    Runnable queueOutput() {
        if (!attached || terminating || readyOffset >= 0) {
            return null;
        }
        if (cursor < scrollback.start()) {
            OutputPump.log.error("shell {}: output {} to {} was lost before it was sent", name, cursor,
                    scrollback.start());
            cursor = scrollback.start();
        }
        Runnable wake = null;
        while (credit > 0 && cursor < scrollback.end()) {
            int length = (int) Math.min(Math.min(credit, Limits.SHELL_CHUNK_BYTES), scrollback.end() - cursor);
            Runnable queued = lane.queue(ShellFrames.output(id, scrollback.copy(cursor, length), cursor));
            wake = queued != null ? queued : wake;
            cursor += length;
            credit -= length;
        }
        return wake;
    }

    /** Guarded by {@link #lock}: sends the owed ShellReady once the program runs. */
    void sendReady() {
        if (readyOffset < 0 || process == null) {
            return;
        }
        lane.send(ShellFrames.ready(id, process.pid(), readyOffset, readyAttached));
        readyOffset = -1;
        emit();
    }

    /** Guarded by {@link #lock}. */
    void signalGroup(String why) {
        if (group == null) {
            return;
        }
        OutputPump.log.info("shell {}: terminating process group {} ({})", name, group.pid(), why);
        sent.addAll(EnumSet.allOf(Signal.class));
        group.terminate(context.timers(), Limits.SHELL_KILL_GRACE, List.of(Signal.HUP, Signal.TERM));
    }

    private void checkNotEnded() throws ShellRefused {
        if (ended) {
            throw new ShellRefused(ShellErrorCode.NOT_FOUND, "shell session " + name + " has ended");
        }
    }

    private void resizeLocked(int rows, int cols) {
        size = new WinSize(cols, rows);
        if (process != null && exitStatus == null) {
            applySize();
        }
    }

    /** Guarded by {@link #lock}: the kernel sends the foreground process group SIGWINCH. */
    void applySize() {
        try {
            process.setWinSize(size);
        } catch (RuntimeException e) {
            OutputPump.log.debug("shell {}: cannot resize the terminal (it is closing): {}", name, e.toString());
        }
    }

    private void cancelIdleTimer() {
        if (idleTimer != null) {
            idleTimer.cancel(false);
            idleTimer = null;
        }
    }
}
