package dev.tether.agent.shell;

import com.google.protobuf.ByteString;
import dev.tether.protocol.Limits;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.ShellCredit;
import dev.tether.protocol.v1.ShellError;
import dev.tether.protocol.v1.ShellOutput;
import java.util.ArrayDeque;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shell frames waiting for the connection's writer, which takes them on its
 * lowest-priority lane: errors first, then one frame per session in turn
 * (round-robin), so a flooding session delays another by at most one frame.
 *
 * <p>Each session has a {@link Lane}: its ShellReady, ShellOutput and ShellExit
 * frames in order (output joining the waiting output frame it follows, up to a
 * full frame), and the input credit it owes the server, coalesced into one
 * ShellCredit. Frames offered while no connection is established are dropped;
 * {@link #disconnected()} drops every frame not yet written.
 *
 * <h2>Bounds</h2>
 * <ul>
 * <li>Output: a session queues ShellOutput only within the output credit the
 * server granted, at most {@link Limits#SHELL_WINDOW_BYTES} (it stops reading its
 * PTY meanwhile), plus the one frame the writer is writing (at most
 * {@link Limits#SHELL_CHUNK_BYTES}). Queued output over the window would be a defect;
 * it is dropped and logged.
 * <li>Other lane frames: one ShellReady per attach and one ShellExit per session;
 * input credit is one counter.
 * <li>Errors: at most {@link #MAX_QUEUED_ERRORS}; more are dropped and counted, so a
 * server flooding bad requests cannot grow the agent's memory.
 * </ul>
 *
 * <p>Thread safe: one lock guards everything here. It is taken under a session's
 * lock and under the writer's, never the reverse; the writer is woken after it is released.
 */
final class ShellOutbox {

    /** Most ShellError frames waiting; more are dropped. */
    static final int MAX_QUEUED_ERRORS = 64;
    /** ShellError messages are cut to this many characters. */
    private static final int MAX_ERROR_MESSAGE = 300;

    private static final Logger log = LoggerFactory.getLogger(ShellOutbox.class);

    private final ReentrantLock lock = new ReentrantLock();
    /** Guarded by {@link #lock}: wakes the current connection's writer; null while none is established. */
    private Runnable wake;
    /** Guarded by {@link #lock}: the same writer's writeOrWake (see {@link ShellTraffic#connected}). */
    private Runnable writeOrWake;
    /** Guarded by {@link #lock}. */
    private final ArrayDeque<Envelope> errors = new ArrayDeque<>();
    /** Guarded by {@link #lock}: the lanes with something to send, in the order they get their turn. */
    private final ArrayDeque<Lane> turns = new ArrayDeque<>();
    /** Guarded by {@link #lock}: the frame being written and its lane; the lane is null once it was cleared. */
    private Envelope inFlight;
    private Lane inFlightLane;
    /** Guarded by {@link #lock}: the most output bytes one lane held since {@link #takePeak()}. */
    private long peak;
    /** Guarded by {@link #lock}. */
    private long droppedErrors;

    Lane lane(ByteString sessionId) {
        return new Lane(sessionId);
    }

    void connected(Runnable wake, Runnable writeOrWake) {
        lock.lock();
        try {
            this.wake = wake;
            this.writeOrWake = writeOrWake;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Has the connection's writer write what is waiting, on this thread if the writer thread is idle; a no-op
     * while no connection is established. For a session's PTY reader, after {@link Lane#queue}, with no lock held.
     */
    void writeOrWake() {
        Runnable toRun;
        lock.lock();
        try {
            toRun = writeOrWake;
        } finally {
            lock.unlock();
        }
        if (toRun != null) {
            toRun.run();
        }
    }

    /** Whether {@link #poll} would return a frame now. */
    boolean hasFrames() {
        lock.lock();
        try {
            return wake != null && (!errors.isEmpty() || !turns.isEmpty());
        } finally {
            lock.unlock();
        }
    }

    /** Drops every frame not yet written; frames offered from now on are dropped until {@link #connected}. */
    void disconnected() {
        lock.lock();
        try {
            wake = null;
            writeOrWake = null;
            errors.clear();
            for (Lane lane : turns) {
                lane.empty();
            }
            if (inFlightLane != null) {
                inFlightLane.empty();
            }
            turns.clear();
            inFlight = null;
            inFlightLane = null;
            peak = 0;
        } finally {
            lock.unlock();
        }
    }

    /** Queues a ShellError; dropped when {@link #MAX_QUEUED_ERRORS} wait already. */
    void error(ByteString sessionId, ShellErrorCode code, String message) {
        String text = message.length() <= MAX_ERROR_MESSAGE ? message : message.substring(0, MAX_ERROR_MESSAGE);
        Envelope frame = Envelope.newBuilder().setShellError(ShellError.newBuilder()
                .setSessionId(sessionId).setCode(code.wire()).setMessage(text)).build();
        Runnable toWake;
        lock.lock();
        try {
            if (wake == null) {
                return;
            }
            if (errors.size() >= MAX_QUEUED_ERRORS) {
                if (droppedErrors++ % 1000 == 0) {
                    log.warn("{} shell errors are waiting to be sent; dropping more ({} so far)", MAX_QUEUED_ERRORS,
                            droppedErrors);
                }
                return;
            }
            errors.add(frame);
            toWake = wake;
        } finally {
            lock.unlock();
        }
        toWake.run();
    }

    /** The next frame for the writer: an error, else the next lane's next frame; null when none. */
    Envelope poll() {
        lock.lock();
        try {
            if (wake == null) {
                return null;
            }
            Envelope frame = errors.poll();
            Lane lane = null;
            while (frame == null && !turns.isEmpty()) {
                lane = turns.poll();
                frame = lane.take();
                if (frame != null && frame.hasShellOutput()) {
                    // Handed to the socket now: the server may get it, and grant its credit back, before the
                    // write's completion reaches written(). Counted until then, the credit granted for it would
                    // make room the lane does not have (seen dropping output under load).
                    lane.outputBytes -= frame.getShellOutput().getData().size();
                }
                lane.inTurn = lane.hasFrames();
                if (lane.inTurn) {
                    turns.add(lane);
                }
            }
            inFlight = frame;
            inFlightLane = lane;
            return frame;
        } finally {
            lock.unlock();
        }
    }

    /** The writer wrote {@code frame} (its output bytes stopped counting as buffered when it was taken). */
    void written(Envelope frame) {
        lock.lock();
        try {
            if (frame != inFlight) {
                return;
            }
            inFlight = null;
            inFlightLane = null;
        } finally {
            lock.unlock();
        }
    }

    /** The peak since the previous call; the next period starts from what is buffered now. */
    long takePeak() {
        lock.lock();
        try {
            long result = peak;
            peak = inFlightLane == null ? 0 : inFlightLane.outputBytes;
            for (Lane lane : turns) {
                peak = Math.max(peak, lane.outputBytes);
            }
            return result;
        } finally {
            lock.unlock();
        }
    }

    /**
     * One session's frames. Its methods may be called from any thread (the
     * session's pump, its input writer, the connection's reader).
     */
    final class Lane {

        private final ByteString sessionId;
        /** Guarded by the outbox's lock. */
        private final ArrayDeque<Envelope> frames = new ArrayDeque<>();
        /** Guarded by the outbox's lock: ShellOutput data queued, not yet taken by the writer. */
        private long outputBytes;
        /** Guarded by the outbox's lock: input credit written to the PTY and not yet returned. */
        private long inputCredit;
        /** Guarded by the outbox's lock: whether this lane is in {@link #turns}. */
        private boolean inTurn;

        private Lane(ByteString sessionId) {
            this.sessionId = sessionId;
        }

        /** Queues a ShellReady, ShellOutput or ShellExit behind this session's earlier frames. */
        void send(Envelope frame) {
            Runnable toWake = queue(frame);
            if (toWake != null) {
                toWake.run();
            }
        }

        /**
         * Queues like {@link #send} without waking the writer; the caller wakes it, e.g. with
         * {@link ShellOutbox#writeOrWake()} once it holds no lock.
         *
         * @return the writer's wake when the frame was queued, null when it was dropped
         */
        Runnable queue(Envelope frame) {
            int bytes = frame.hasShellOutput() ? frame.getShellOutput().getData().size() : 0;
            lock.lock();
            try {
                if (wake == null) {
                    return null;
                }
                if (outputBytes + bytes > Limits.SHELL_WINDOW_BYTES) {
                    log.error("shell output beyond the credit window was queued ({} + {} bytes); dropped",
                            outputBytes, bytes);
                    return null;
                }
                frames.add(coalesced(frame));
                outputBytes += bytes;
                peak = Math.max(peak, outputBytes);
                return schedule();
            } finally {
                lock.unlock();
            }
        }

        /** Owes the server {@code bytes} more input credit; sent as one ShellCredit at this lane's next turn. */
        void returnInputCredit(int bytes) {
            Runnable toWake;
            lock.lock();
            try {
                if (wake == null) {
                    return;
                }
                inputCredit += bytes;
                toWake = schedule();
            } finally {
                lock.unlock();
            }
            toWake.run();
        }

        /** Drops what this session has not had written yet (its client left). */
        void clear() {
            lock.lock();
            try {
                if (inTurn) {
                    turns.remove(this);
                }
                empty();
                if (inFlightLane == this) {
                    inFlightLane = null;
                }
            } finally {
                lock.unlock();
            }
        }

        /** Guarded by the outbox's lock. */
        private void empty() {
            frames.clear();
            outputBytes = 0;
            inputCredit = 0;
            inTurn = false;
        }

        /**
         * Guarded by the outbox's lock: output that directly follows the last frame
         * still waiting joins it, up to {@link Limits#SHELL_CHUNK_BYTES}. A PTY read
         * gives a few KiB at most, so while the writer is busy this makes fewer, fuller frames.
         */
        private Envelope coalesced(Envelope frame) {
            Envelope last = frames.peekLast();
            if (last == null || !last.hasShellOutput() || !frame.hasShellOutput()) {
                return frame;
            }
            ShellOutput before = last.getShellOutput();
            ShellOutput after = frame.getShellOutput();
            if (before.getOffset() + before.getData().size() != after.getOffset()
                    || before.getData().size() + after.getData().size() > Limits.SHELL_CHUNK_BYTES) {
                return frame;
            }
            frames.pollLast();
            return Envelope.newBuilder().setShellOutput(before.toBuilder()
                    .setData(before.getData().concat(after.getData()))).build();
        }

        /** Guarded by the outbox's lock. */
        private Runnable schedule() {
            if (!inTurn) {
                inTurn = true;
                turns.add(this);
            }
            return wake;
        }

        /** Guarded by the outbox's lock. */
        private boolean hasFrames() {
            return inputCredit > 0 || !frames.isEmpty();
        }

        /** Guarded by the outbox's lock: the owed credit first (keystrokes wait on it), else the oldest frame. */
        private Envelope take() {
            if (inputCredit > 0) {
                Envelope credit = Envelope.newBuilder().setShellCredit(ShellCredit.newBuilder()
                        .setSessionId(sessionId).setBytes((int) inputCredit)).build();
                inputCredit = 0;
                return credit;
            }
            return frames.poll();
        }
    }
}
