package dev.tether.protocol;

import dev.tether.protocol.v1.Envelope;
import java.util.List;

/**
 * One end of the reliable stream between an agent and the server: the same
 * state machine runs on both sides, over an {@link Outbox} for what this end
 * sends and the applied seq of what it receives.
 *
 * <h2>Sending</h2>
 * {@link #publish} persists before anything is sent. While a session is open,
 * {@link #nextBatch} hands out stored envelopes in seq order, at most
 * {@link Limits#RELIABLE_WINDOW} beyond the peer's cumulative ack; an ack
 * ({@link #onAck}) deletes what it covers (at once, or with the outbox's next write: see
 * {@link Outbox#acknowledge}). After a reconnect the handshake
 * ({@link #resume}) restarts sending right after what the peer has applied,
 * so everything unacknowledged is replayed in order. Every payload carries a
 * stamp ({@link Stamps}); the peer announces the stamp of the last payload it
 * applied, and a mismatch means this end's history diverged: its pending
 * payloads are renumbered to follow the peer's, never dropped.
 *
 * <h2>Receiving</h2>
 * {@link #receive} checks order (a gap or a rewind within a session is a
 * protocol error) and says whether the payload is new. The caller applies a
 * new payload and records its seq as applied in the same transaction, then
 * calls {@link #markApplied}; only then is the seq acknowledged. Anything at
 * or below the applied seq is a duplicate and is ignored, so each payload is
 * applied exactly once across reconnects and crashes of either end.
 *
 * <h2>Threads</h2>
 * Thread safe: every method synchronizes on this object, except the ones that
 * may wait for the disk ({@link #publish}, {@link #deleteAcknowledged}), which
 * leave that to the thread-safe outbox, and {@link #depth} during a session, which
 * reads from memory. A publish stalled on the disk then holds up neither the
 * writer's frames (acks, heartbeats, shell output) nor the reader's acks.
 */
public final class ReliableChannel {

    private final Outbox outbox;
    private final int window;

    // All fields guarded by this.
    /** Highest own seq the peer has acknowledged (valid in a session). */
    private long peerAcked;
    /** Next own seq to put on the wire; meaningful only in a session. */
    private long nextToSend;
    /** Highest peer seq durably applied by the caller. */
    private long applied;
    /** The stamp of the peer payload at {@link #applied}; {@link Stamps#UNKNOWN} if not known. */
    private long appliedStamp;
    /** Highest applied seq the peer has been told about. */
    private long ackSent;
    /** Last peer seq received in this session; 0 before the first. */
    private long lastReceived;
    /** Largest seq the first reliable frame of this session may carry. */
    private long firstExpected;
    private boolean inSession;
    /**
     * In a session, the seq below the first pending one (the peer's ack, or the outbox's first pending seq at
     * the handshake when that is higher); -1 outside. Written with this lock held, read by {@link #depth} without.
     */
    private volatile long pendingAfter = -1;

    private ReliableChannel(Outbox outbox, long applied, long appliedStamp, int window) {
        if (applied < 0) {
            throw new IllegalArgumentException("applied seq must be >= 0, was " + applied);
        }
        if (window <= 0) {
            throw new IllegalArgumentException("window must be positive, was " + window);
        }
        this.outbox = outbox;
        this.applied = applied;
        this.appliedStamp = appliedStamp;
        this.window = window;
    }

    /**
     * @param outbox this end's durable outbox
     * @param appliedPeerSeq the highest peer seq this end has durably applied, read from its store
     */
    public static ReliableChannel create(Outbox outbox, long appliedPeerSeq) {
        return new ReliableChannel(outbox, appliedPeerSeq, Stamps.UNKNOWN, Limits.RELIABLE_WINDOW);
    }

    /**
     * @param appliedPeerStamp the stamp of the payload at {@code appliedPeerSeq}, stored with it
     *     ({@link Stamps#UNKNOWN} when none was stored)
     */
    public static ReliableChannel create(Outbox outbox, long appliedPeerSeq, long appliedPeerStamp) {
        return new ReliableChannel(outbox, appliedPeerSeq, appliedPeerStamp, Limits.RELIABLE_WINDOW);
    }

    public static ReliableChannel create(Outbox outbox, long appliedPeerSeq, int window) {
        return new ReliableChannel(outbox, appliedPeerSeq, Stamps.UNKNOWN, window);
    }

    // ------------------------------------------------------------ handshake

    /** The seq this end's replay starts at, to announce in Hello or Welcome. */
    public synchronized long resumeSeq() {
        return outbox.firstPendingSeq();
    }

    /** The highest peer seq applied, to announce in Hello or Welcome. */
    public synchronized long applied() {
        return applied;
    }

    /** The stamp of the peer payload at {@link #applied()}, to announce with it. */
    public synchronized long appliedStamp() {
        return appliedStamp;
    }

    /**
     * Whether the peer announces an applied seq beyond anything this end ever assigned. Only a peer whose
     * sender (this end) lost history can see that legitimately: this end's store was restored from an older
     * copy. A side that cannot have been restored behind the peer's back treats it as a lie.
     */
    public synchronized boolean peerAhead(long peerApplied) {
        return peerApplied > outbox.lastSeq();
    }

    /** {@link #resume(long, long, long)} for a peer that announces no stamp (it predates them). */
    public Resumption resume(long peerApplied, long peerResumeSeq) throws ProtocolException {
        return resume(peerApplied, Stamps.UNKNOWN, peerResumeSeq);
    }

    /**
     * Opens a session once the handshake told this end what the peer has
     * applied (seq and stamp) and where its replay starts.
     *
     * <p>When the announced point shows that this end's history diverged from the one the peer applied
     * (see {@link #diverged}), every pending payload is renumbered to follow the peer's applied seq instead
     * of being taken as acknowledged: nothing the peer cannot be shown to have applied is deleted.
     *
     * @param peerStamp the stamp of the payload at {@code peerApplied}, {@link Stamps#UNKNOWN} if not told
     * @throws ProtocolException when the peer's numbers are impossible
     */
    public synchronized Resumption resume(long peerApplied, long peerStamp, long peerResumeSeq)
            throws ProtocolException {
        if (peerApplied < 0 || peerApplied >= Limits.MAX_RESUME_SEQ
                || peerResumeSeq < 1 || peerResumeSeq > Limits.MAX_RESUME_SEQ) {
            throw new ProtocolException(CloseCodes.PROTOCOL_ERROR,
                    "invalid resume point: applied " + peerApplied + ", resume " + peerResumeSeq);
        }
        long renumbered = 0;
        boolean diverged = diverged(peerApplied, peerStamp);
        if (diverged) {
            renumbered = outbox.renumberAfter(peerApplied, peerStamp);
        } else {
            outbox.acknowledge(peerApplied);
        }
        peerAcked = peerApplied;
        nextToSend = Math.max(peerApplied + 1, outbox.firstPendingSeq());
        pendingAfter = nextToSend - 1;

        long lostByPeer = Math.max(0, peerResumeSeq - 1 - applied);
        firstExpected = Math.max(applied + 1, peerResumeSeq);
        lastReceived = 0;
        ackSent = applied;
        inSession = true;
        return new Resumption(lostByPeer, diverged, renumbered);
    }

    /**
     * Whether the peer applied a history this end does not hold: it applied seqs this end never assigned
     * (this end was restored from an older copy), or the payload it applied at {@code peerApplied} is not
     * the one this end holds there (restored, then appended past that point; or a copy of this end's state
     * runs elsewhere). A peer behind this end's acknowledged point, or one that announces no stamp, cannot
     * be checked and is taken at its word.
     */
    private boolean diverged(long peerApplied, long peerStamp) {
        if (peerApplied > outbox.lastSeq()) {
            return true;
        }
        if (peerStamp == Stamps.UNKNOWN) {
            return false;
        }
        long mine = outbox.stampAt(peerApplied);
        return mine != Stamps.UNKNOWN && mine != peerStamp;
    }

    /** Ends the session (the connection is gone); sending stops until the next {@link #resume}. */
    public synchronized void end() {
        inSession = false;
        pendingAfter = -1;
    }

    public synchronized boolean inSession() {
        return inSession;
    }

    // ------------------------------------------------------------ receiving

    /**
     * Checks the order of a reliable payload received in this session.
     *
     * @throws ProtocolException on a gap or a rewind
     */
    public synchronized Receipt receive(long seq) throws ProtocolException {
        if (!inSession) {
            throw new IllegalStateException("receive outside a session: call resume first");
        }
        if (lastReceived == 0) {
            if (seq > firstExpected) {
                throw new ProtocolException(CloseCodes.PROTOCOL_ERROR,
                        "seq gap: first seq " + seq + ", expected at most " + firstExpected);
            }
        } else if (seq > lastReceived + 1) {
            throw new ProtocolException(CloseCodes.PROTOCOL_ERROR,
                    "seq gap: " + seq + " after " + lastReceived);
        } else if (seq <= lastReceived) {
            throw new ProtocolException(CloseCodes.PROTOCOL_ERROR,
                    "seq rewind: " + seq + " after " + lastReceived);
        }
        lastReceived = seq;
        return seq <= applied ? Receipt.DUPLICATE : Receipt.APPLY;
    }

    /** Records that the caller durably applied everything up to {@code seq}, stamp unknown. */
    public void markApplied(long seq) {
        markApplied(seq, Stamps.UNKNOWN);
    }

    /**
     * Records that the caller durably applied everything up to {@code seq}, whose payload carried
     * {@code stamp}; the caller stored both in the transaction of the payload's effect.
     */
    public synchronized void markApplied(long seq, long stamp) {
        if (seq > applied) {
            applied = seq;
            appliedStamp = stamp;
        }
    }

    /** Whether the peer has not yet been told about the latest applied seq. */
    public synchronized boolean ackDue() {
        return applied > ackSent;
    }

    /** The cumulative ack to put on an outgoing envelope; records it as sent. */
    public synchronized long takeAck() {
        ackSent = applied;
        return applied;
    }

    // -------------------------------------------------------------- sending

    /**
     * Persists payloads for sending; durable when this returns. Not under this channel's lock: the outbox
     * orders appends itself, and a stalled disk must not hold up the session's other threads.
     */
    public List<Envelope> publish(List<Envelope> envelopes) {
        return outbox.append(envelopes);
    }

    public Envelope publish(Envelope envelope) {
        return publish(List.of(envelope)).get(0);
    }

    /**
     * The next stored envelopes to send, in seq order, within the window. Empty
     * outside a session or when the window is full.
     */
    public synchronized List<Envelope> nextBatch(int max) {
        if (!inSession) {
            return List.of();
        }
        long room = peerAcked + window - nextToSend + 1;
        int limit = (int) Math.min(max, room);
        if (limit <= 0) {
            return List.of();
        }
        List<Envelope> batch = outbox.read(nextToSend, limit);
        if (!batch.isEmpty()) {
            long first = batch.get(0).getSeq();
            if (first != nextToSend) {
                throw new IllegalStateException("outbox returned seq " + first + " where " + nextToSend
                        + " was expected: the outbox lost a pending payload");
            }
            nextToSend = batch.get(batch.size() - 1).getSeq() + 1;
        }
        return batch;
    }

    /** Whether {@link #nextBatch} would return something now. */
    public synchronized boolean sendable() {
        return inSession && nextToSend <= peerAcked + window && nextToSend <= outbox.lastSeqHint();
    }

    /**
     * Handles the peer's cumulative ack.
     *
     * @return whether the ack opened a full window: only then may it let {@link #nextBatch} send something it
     *     held back (otherwise whatever is stored is sendable already, and whoever stored it says so)
     * @throws ProtocolException when the peer acknowledges a seq that was never sent
     */
    public synchronized boolean onAck(long ack) throws ProtocolException {
        if (!inSession || ack <= peerAcked) {
            return false;
        }
        if (ack >= nextToSend) {
            throw new ProtocolException(CloseCodes.PROTOCOL_ERROR,
                    "ack " + ack + " covers seqs never sent (last sent " + (nextToSend - 1) + ")");
        }
        boolean windowFull = nextToSend > peerAcked + window;
        peerAcked = ack;
        pendingAfter = Math.max(pendingAfter, ack);
        outbox.acknowledge(ack);
        return windowFull;
    }

    /**
     * Deletes what acknowledgements the outbox only recorded cover ({@link Outbox#deleteAcknowledged}); for a
     * timer or the end of a session, when no append may come to do it. Not under this channel's lock, like
     * {@link #publish}.
     */
    public void deleteAcknowledged() {
        outbox.deleteAcknowledged();
    }

    /**
     * Reliable payloads stored and not yet acknowledged. In a session, from memory, without this channel's
     * lock ({@link Outbox#lastSeqHint}): a heartbeat reports it, and must not wait behind the disk.
     */
    public long depth() {
        long after = pendingAfter;
        if (after >= 0) {
            return Math.max(0, outbox.lastSeqHint() - after);
        }
        synchronized (this) {
            return outbox.lastSeq() - outbox.firstPendingSeq() + 1;
        }
    }

    /**
     * What the handshake found.
     *
     * @param lostByPeerReset seqs the peer had deleted although this end never
     *     applied them (this end's store was restored from an older copy); they are gone
     * @param diverged this end's history is not the one the peer applied (see {@link #diverged})
     * @param renumbered pending payloads moved to follow the peer's applied seq because of it
     */
    public record Resumption(long lostByPeerReset, boolean diverged, long renumbered) {
    }
}
