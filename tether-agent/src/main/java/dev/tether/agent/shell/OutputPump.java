package dev.tether.agent.shell;

import com.pty4j.PtyProcess;
import com.pty4j.WinSize;
import com.sun.jna.LastErrorException;
import dev.tether.agent.process.ProcessGroup;
import dev.tether.protocol.Limits;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The thread of one {@link ShellSession}: starts the program on its PTY, starts
 * the input thread, reads the PTY while the session may (see {@link ShellSession},
 * "Output and credit"), waits for the exit, and ends the session once its output
 * is sent or it is terminated or expired.
 *
 * <p>Platform threads, not virtual ones: the PTY is read and written in native code
 * (poll, read, write through JNA; {@link PtyReader} and pty4j), which would pin a
 * virtual thread's carrier for as long as a terminal is idle. Three threads per
 * session (this one, the input thread, the reader's exit thread), plus pty4j's
 * reaper; sessions are capped by {@code --max-shells}. The pump's waits are
 * uninterruptible: it is never interrupted, a terminate wakes it.
 */
final class OutputPump implements Runnable {

    static final Logger log = LoggerFactory.getLogger(ShellSession.class);

    /**
     * The largest read this thread writes to the socket itself (see {@link #afterRead}): a keystroke's echo, a
     * prompt, a few lines. Bulk output goes to the writer thread, so that reading the PTY and writing the socket
     * overlap.
     */
    static final int DIRECT_WRITE_MAX_BYTES = 1024;

    private final ShellSession session;

    private OutputPump(ShellSession session) {
        this.session = session;
    }

    static void start(ShellSession session) {
        thread("tether-shell-" + session.name, new OutputPump(session)).start();
    }

    private static Thread thread(String name, Runnable task) {
        Thread thread = new Thread(task, name);
        thread.setDaemon(true);
        return thread;
    }

    @Override
    public void run() {
        PtyProcess process = spawn();
        if (process == null) {
            return;
        }
        session.input.writeDirectly(NonBlockingInput.open(process), session.lane::returnInputCredit);
        thread("tether-shell-" + session.name + "-input",
                () -> session.input.run(process.getOutputStream(), session.lane::returnInputCredit)).start();
        int status;
        PtyReader terminal = openReader(process);
        if (terminal == null) {
            status = PtyReader.awaitExit(process);
        } else {
            try (terminal) {
                pumpOutput(terminal);
                status = PtyReader.awaitExit(process);
            }
        }
        exited(status);
        closeTerminal(process);
        awaitEnd(status);
    }

    /**
     * The terminal's reader; null, the session terminated (its process group signalled), when the
     * system has no file descriptor left for the reader's pipe.
     */
    private PtyReader openReader(PtyProcess process) {
        try {
            return PtyReader.open(process, "tether-shell-" + session.name + "-exit");
        } catch (LastErrorException e) {
            log.warn("shell {}: cannot read the terminal of pid {} (errno {})", session.name, process.pid(),
                    e.getErrorCode());
            session.terminate("cannot read the terminal");
            return null;
        }
    }

    private PtyProcess spawn() {
        WinSize initial = initialSize();
        PtyProcess process;
        try {
            process = session.context.program().start(session.argv, session.term, initial.getRows(),
                    initial.getColumns());
        } catch (IOException | RuntimeException e) {
            log.warn("shell {}: cannot start {}: {}", session.name, session.argv, e.toString());
            session.context.outbox().error(session.id, ShellErrorCode.SPAWN_FAILED,
                    "cannot start " + session.argv.get(0) + ": " + e.getMessage());
            session.context.ended().accept(session);
            return null;
        }
        session.lock.lock();
        try {
            session.process = process;
            // pty4j's process has no ProcessHandle of its own; the pid's is the same process, our child.
            session.group = ProcessHandle.of(process.pid()).map(ProcessGroup::leader).orElse(null);
            log.info("shell {}: started {} as pid {} on a {}x{} terminal", session.name, session.argv, process.pid(),
                    initial.getRows(), initial.getColumns());
            if (!session.size.equals(initial)) {
                session.applySize();
            }
            if (session.terminating) {
                session.signalGroup("closed while starting");
            }
            session.sendReady();
        } finally {
            session.lock.unlock();
        }
        return process;
    }

    private WinSize initialSize() {
        session.lock.lock();
        try {
            return session.size;
        } finally {
            session.lock.unlock();
        }
    }

    /** Reads the PTY until its end (the program exited, or everything holding the terminal closed it). */
    private void pumpOutput(PtyReader terminal) {
        byte[] buffer = new byte[Limits.SHELL_CHUNK_BYTES];
        while (true) {
            int n = terminal.read(buffer, nextRead());
            if (!afterRead(buffer, n)) {
                return;
            }
        }
    }

    /** How much the next read may take; waits while an attached client has no credit or unsent output. */
    private int nextRead() {
        session.lock.lock();
        try {
            while (true) {
                session.emit();
                if (session.terminating || !session.attached) {
                    return Limits.SHELL_CHUNK_BYTES;
                }
                if (session.credit > 0 && session.cursor == session.scrollback.end()) {
                    return (int) Math.min(session.credit, Limits.SHELL_CHUNK_BYTES);
                }
                session.changed.awaitUninterruptibly();
            }
        } finally {
            session.lock.unlock();
        }
    }

    /**
     * Keeps what was read and sends it; false at the terminal's end. A read of at most
     * {@link #DIRECT_WRITE_MAX_BYTES} is written by this thread when the connection's writer is idle (a
     * keystroke's echo: no handoff to the writer thread), after the session's lock is released, since the write
     * may block.
     */
    private boolean afterRead(byte[] buffer, int n) {
        Runnable wake;
        session.lock.lock();
        try {
            if (n < 0) {
                return false;
            }
            session.scrollback.append(buffer, 0, n);
            wake = session.queueOutput();
        } finally {
            session.lock.unlock();
        }
        if (wake != null && n <= DIRECT_WRITE_MAX_BYTES) {
            session.context.outbox().writeOrWake();
        } else if (wake != null) {
            wake.run();
        }
        return true;
    }

    private void exited(int status) {
        session.input.close();
        session.lock.lock();
        try {
            session.exitStatus = status;
            log.info("shell {}: pid {} exited with status {}", session.name, session.process.pid(), status);
        } finally {
            session.lock.unlock();
        }
    }

    private void closeTerminal(PtyProcess process) {
        try {
            process.getInputStream().close();
            process.getOutputStream().close();
        } catch (IOException e) {
            log.debug("shell {}: closing the terminal: {}", session.name, e.toString());
        }
    }

    /**
     * Waits until the session can end: terminated or expired at once; attached once
     * the client has every byte. Then ShellExit, and the registry forgets the session.
     */
    private void awaitEnd(int status) {
        session.lock.lock();
        try {
            while (!session.terminating) {
                if (session.attached) {
                    session.emit();
                    if (session.readyOffset < 0 && session.cursor == session.scrollback.end()) {
                        break;
                    }
                }
                session.changed.awaitUninterruptibly();
            }
            session.ended = true;
            session.lane.send(ShellFrames.exit(session.id, status, session.sent));
        } finally {
            session.lock.unlock();
        }
        session.context.ended().accept(session);
    }
}
