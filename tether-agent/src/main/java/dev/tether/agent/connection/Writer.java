package dev.tether.agent.connection;

import dev.tether.protocol.Limits;
import dev.tether.protocol.ReliableChannel;
import dev.tether.protocol.v1.Ack;
import dev.tether.protocol.v1.Envelope;
import dev.tether.agent.connection.websocket.WebSocket;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.LoggerFactory;

/**
 * The one thread that writes a session's frames to its WebSocket, one blocking
 * send at a time; a send blocked longer than {@link Limits#WRITE_TIMEOUT} is cut
 * by the session's watchdog (see {@link Session}). The session's close frame is
 * the last frame it writes ({@link #close}).
 *
 * <p>Priority, checked before every write, in three lanes: control frames
 * (Hello, heartbeats) first, then reliable payloads from the {@link ReliableChannel}
 * in seq order, then shell frames from {@link ShellTraffic#nextFrame()} (output,
 * ready, exit, credit and error frames, round-robin between sessions). The first
 * reliable payload after the writer waited goes out alone, at once; those still
 * queued behind it go out together, one frame each in one write of at most
 * {@link #RELIABLE_WRITE_BYTES} (or one larger payload alone): one system call for a
 * publishers' batch instead of one per event. So a long stream of events never delays
 * a heartbeat by more than the one write in progress,
 * and a flooding shell delays neither (a shell frame is at most
 * {@link Limits#SHELL_CHUNK_BYTES} of data). Every frame carries the current
 * cumulative ack and {@code ts_ms}. When an ack is due and nothing else goes out
 * for {@link #ACK_DELAY}, an {@code ack_only} envelope carries it; an ack wanted
 * meanwhile rides on the next frame instead.
 *
 * <p>Bounds: at most {@link #MAX_QUEUED_CONTROL_FRAMES} control frames wait; one
 * more means writes are stuck, and the session fails. Reliable payloads wait in
 * the durable outbox, at most {@link Limits#RELIABLE_WINDOW} of them sent and
 * unacknowledged. The shell lane holds, per session, at most the output credit the
 * server granted ({@link Limits#SHELL_WINDOW_BYTES}): a session reads its PTY only
 * while it holds credit, so a full lane stops the reading, not the writer; its few
 * other frames are bounded where they are queued (see the shell package).
 *
 * <p>One frame is written at a time, by the writer thread or, while that thread
 * is idle, by a thread calling {@link #writeOrWake} (a shell's PTY reader): its
 * output then goes to the socket without waking the writer thread, one handoff
 * fewer on a keystroke's echo. Frames are taken by the same priority either way.
 *
 * <p>Thread safe: {@link #sendControl}, {@link #wake}, {@link #requestAck},
 * {@link #stop} and {@link #close} may be called from any thread; they never wait for a write.
 * Lock order: this writer's lock, then the channel's or the shells' (never the reverse).
 */
final class Writer implements Runnable {

    /** Most control frames waiting; more means writes are stuck, and the session fails. */
    static final int MAX_QUEUED_CONTROL_FRAMES = 16;
    /** How long a due ack waits for another frame to ride on. */
    static final Duration ACK_DELAY = Duration.ofMillis(5);
    /** Reliable payloads read from the outbox at once. */
    private static final int RELIABLE_BATCH = 64;
    /**
     * Bytes of reliable payloads written together at most: those already read from the outbox go in one write,
     * up to this much (one payload alone may be larger). A control frame then waits for that write, no longer
     * than for one large payload.
     */
    static final int RELIABLE_WRITE_BYTES = 64 * 1024;

    private static final Envelope ACK_ONLY = Envelope.newBuilder().setAckOnly(Ack.getDefaultInstance()).build();

    /** Told once when a write fails or the control queue overflows. */
    interface FailureListener {
        /**
         * @param linkBroken true when the socket itself failed (a write threw): no close frame can get through,
         *     so there is no close handshake to wait for
         */
        void writeFailed(String reason, boolean linkBroken);
    }

    private final WebSocket socket;
    private final ReliableChannel channel;
    private final ShellTraffic shells;
    private final Clock clock;
    private final FailureListener failures;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    /** Guarded by {@link #lock}. */
    private final ArrayDeque<Envelope> control = new ArrayDeque<>();
    /** Guarded by {@link #lock}: an ack must go out even though none is due (a duplicate arrived). */
    private boolean ackRequested;
    /** Guarded by {@link #lock}. */
    private boolean stopped;
    /** Guarded by {@link #lock}: the close frame to write once stopped; 0 for none. */
    private int closeCode;
    /** Guarded by {@link #lock}. */
    private String closeReason;
    /** Guarded by {@link #lock}: a thread is writing a frame; no other takes one meanwhile. */
    private boolean writing;
    /** Guarded by {@link #lock}: the writer thread waits with nothing to write. */
    private boolean idle;
    /**
     * Guarded by {@link #lock}, or held by the thread {@link #writing} (a grouped write takes the ones queued
     * behind its first): payloads taken from the channel and not yet written.
     */
    private final ArrayDeque<Envelope> reliable = new ArrayDeque<>();
    /**
     * Guarded by {@link #lock}, or held by the thread {@link #writing}: when the current due ack started
     * waiting, 0 when none waits.
     */
    private long ackWaitingSince;
    /** Guarded by {@link #lock}: the frame {@link #take()} returned last came from the shell lane. */
    private boolean shellFrame;
    /** Guarded by {@link #lock}: the frame {@link #take()} returned last came from the reliable lane. */
    private boolean reliableFrame;
    /**
     * Owned by the writer thread: a reliable payload was written and the writer has not waited since, so
     * payloads still queued go together; false at first and after every wait, so a lone event goes out alone.
     */
    private boolean streaming;

    Writer(WebSocket socket, ReliableChannel channel, ShellTraffic shells, Clock clock, FailureListener failures) {
        this.socket = socket;
        this.channel = channel;
        this.shells = shells;
        this.clock = clock;
        this.failures = failures;
    }

    /** Queues a control frame ahead of everything else. */
    void sendControl(Envelope envelope) {
        boolean overflow;
        lock.lock();
        try {
            if (stopped) {
                return;
            }
            overflow = control.size() >= MAX_QUEUED_CONTROL_FRAMES;
            if (!overflow) {
                control.add(envelope);
                changed.signal();
            }
        } finally {
            lock.unlock();
        }
        if (overflow) {
            failures.writeFailed(MAX_QUEUED_CONTROL_FRAMES + " control frames are waiting: writes are stuck", true);
        }
    }

    /** Something to send may have appeared: payloads were published, or an ack opened the window. */
    void wake() {
        lock.lock();
        try {
            changed.signal();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Like {@link #wake}, but when the writer thread is idle the caller takes the next frame and writes it itself,
     * then returns; the writer thread is woken only if more is waiting. May block for as long as that one write.
     */
    void writeOrWake() {
        Envelope frame;
        boolean shell;
        lock.lock();
        try {
            frame = stopped || writing || !idle ? null : take();
            if (frame == null) {
                changed.signal();
                return;
            }
            shell = shellFrame;
            writing = true;
        } finally {
            lock.unlock();
        }
        boolean failed = true;
        try {
            write(frame);
            if (shell) {
                shells.written(frame);
            }
            failed = false;
        } catch (IOException e) {
            failures.writeFailed("write failed: " + Dialer.reason(e), true);
        } catch (RuntimeException e) {
            failures.writeFailed("cannot read the outbox: " + e.getMessage(), false);
        } catch (Error e) {
            LoggerFactory.getLogger(Writer.class).error("the connection writer failed", e);
            failures.writeFailed("unexpected error: " + e, false);
        } finally {
            lock.lock();
            try {
                writing = false;
                if (failed || stopped || !control.isEmpty() || !reliable.isEmpty() || ackRequested
                        || channel.sendable() || shells.hasFrames()) {
                    changed.signal();
                }
            } finally {
                lock.unlock();
            }
        }
    }

    /** Sends the current ack soon even if it is not new (the server repeated a payload). */
    void requestAck() {
        lock.lock();
        try {
            ackRequested = true;
            changed.signal();
        } finally {
            lock.unlock();
        }
    }

    /** Stops after the frame being written, if any; queued frames are dropped. */
    void stop() {
        close(0, null);
    }

    /**
     * Stops like {@link #stop()}, then writes a close frame with this code and reason, unless the writer was
     * stopped before; a code of 0 writes none.
     */
    void close(int code, String reason) {
        lock.lock();
        try {
            if (!stopped) {
                stopped = true;
                closeCode = code;
                closeReason = reason;
            }
            changed.signal();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void run() {
        try {
            writeFrames();
            // Last, the close frame: also after a failure of this writer's own, which asked for a 1011.
            writeClose();
        } catch (InterruptedException e) {
            // The session is over.
        } catch (IOException e) {
            failures.writeFailed("write failed: " + Dialer.reason(e), true);
        }
    }

    private void writeFrames() throws InterruptedException, IOException {
        try {
            Envelope next;
            while ((next = next()) != null) {
                boolean shell = shellFrame;
                boolean fromReliable = reliableFrame;
                try {
                    if (fromReliable && streaming) {
                        writeReliable(next);
                    } else {
                        write(next);
                    }
                    streaming |= fromReliable;
                    if (shell) {
                        shells.written(next);
                    }
                } finally {
                    written();
                }
            }
        } catch (RuntimeException e) {
            failures.writeFailed("cannot read the outbox: " + e.getMessage(), false);
        } catch (Error e) {
            // Ends the session (1011) instead of leaving it without a writer until heartbeats time out.
            LoggerFactory.getLogger(Writer.class).error("the connection writer failed", e);
            failures.writeFailed("unexpected error: " + e, false);
        }
    }

    /** The next frame for the writer thread to write, by priority, once no other thread writes; null once stopped. */
    private Envelope next() throws InterruptedException {
        lock.lock();
        try {
            while (!stopped) {
                if (writing) {
                    // A PTY reader writes one frame (writeOrWake); it signals when done.
                    changed.await();
                    streaming = false;
                    continue;
                }
                Envelope frame = take();
                if (frame != null) {
                    writing = true;
                    return frame;
                }
                idle = true;
                try {
                    awaitWork();
                } finally {
                    idle = false;
                }
                streaming = false;
            }
            while (writing) {
                // A PTY reader's write goes out before the close frame, not after it.
                changed.await();
            }
            return null;
        } finally {
            lock.unlock();
        }
    }

    /** Guarded by {@link #lock}: the next frame by priority, or null, without waiting. */
    private Envelope take() {
        Envelope frame = control.poll();
        reliableFrame = false;
        if (frame == null) {
            frame = nextReliable();
            reliableFrame = frame != null;
        }
        shellFrame = false;
        if (frame == null) {
            frame = shells.nextFrame();
            shellFrame = frame != null;
        }
        if (frame != null) {
            ackRequested = false;
        }
        return frame;
    }

    /** Guarded by {@link #lock}: waits until signalled, or until a due ack has waited {@link #ACK_DELAY}. */
    private void awaitWork() throws InterruptedException {
        if (ackRequested || channel.ackDue()) {
            long now = System.nanoTime();
            if (ackWaitingSince == 0) {
                ackWaitingSince = now;
            }
            long wait = ackWaitingSince + ACK_DELAY.toNanos() - now;
            if (wait <= 0) {
                ackRequested = false;
                control.add(ACK_ONLY);
                return;
            }
            changed.awaitNanos(wait);
        } else {
            changed.await();
        }
    }

    private void written() {
        lock.lock();
        try {
            writing = false;
        } finally {
            lock.unlock();
        }
    }

    private Envelope nextReliable() {
        if (reliable.isEmpty()) {
            List<Envelope> batch = channel.nextBatch(RELIABLE_BATCH);
            reliable.addAll(batch);
        }
        return reliable.poll();
    }

    private void write(Envelope envelope) throws IOException {
        ackWaitingSince = 0;
        socket.sendBinary(stamped(envelope, channel.takeAck(), clock.millis()));
    }

    /**
     * Writes {@code first} and the reliable payloads queued behind it, up to {@link #RELIABLE_WRITE_BYTES}, in
     * one write, each with the current ack. They were read in seq order, and nothing else may go between them.
     */
    private void writeReliable(Envelope first) throws IOException {
        if (reliable.isEmpty()) {
            write(first);
            return;
        }
        ackWaitingSince = 0;
        long ack = channel.takeAck();
        long now = clock.millis();
        List<byte[]> frames = new ArrayList<>(1 + reliable.size());
        byte[] frame = stamped(first, ack, now);
        frames.add(frame);
        long bytes = frame.length;
        while (!reliable.isEmpty() && bytes + reliable.peek().getSerializedSize() <= RELIABLE_WRITE_BYTES) {
            frame = stamped(reliable.poll(), ack, now);
            frames.add(frame);
            bytes += frame.length;
        }
        socket.sendBinary(frames);
    }

    private static byte[] stamped(Envelope envelope, long ack, long nowMs) {
        return envelope.toBuilder().setAck(ack).setTsMs(nowMs).build().toByteArray();
    }

    private void writeClose() throws IOException {
        int code;
        String reason;
        lock.lock();
        try {
            code = closeCode;
            reason = closeReason;
        } finally {
            lock.unlock();
        }
        if (code != 0) {
            socket.sendClose(code, reason);
        }
    }
}
