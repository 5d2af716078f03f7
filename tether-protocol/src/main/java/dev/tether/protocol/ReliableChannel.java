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
 * ({@link #onAck}) deletes what it covers. After a reconnect the handshake
 * ({@link #resume}) restarts sending right after what the peer has applied,
 * so everything unacknowledged is replayed in order.
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
 * Thread safe: every method synchronizes on this object. The outbox is only
 * called with that lock held.
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
    /** Highest applied seq the peer has been told about. */
    private long ackSent;
    /** Last peer seq received in this session; 0 before the first. */
    private long lastReceived;
    /** Largest seq the first reliable frame of this session may carry. */
    private long firstExpected;
    private boolean inSession;

    private ReliableChannel(Outbox outbox, long applied, int window) {
        if (applied < 0) {
            throw new IllegalArgumentException("applied seq must be >= 0, was " + applied);
        }
        if (window <= 0) {
            throw new IllegalArgumentException("window must be positive, was " + window);
        }
        this.outbox = outbox;
        this.applied = applied;
        this.window = window;
    }

    /**
     * @param outbox this end's durable outbox
     * @param appliedPeerSeq the highest peer seq this end has durably applied, read from its store
     */
    public static ReliableChannel create(Outbox outbox, long appliedPeerSeq) {
        return new ReliableChannel(outbox, appliedPeerSeq, Limits.RELIABLE_WINDOW);
    }

    public static ReliableChannel create(Outbox outbox, long appliedPeerSeq, int window) {
        return new ReliableChannel(outbox, appliedPeerSeq, window);
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

    /**
     * Opens a session once the handshake told this end what the peer has
     * applied and where its replay starts.
     *
     * @throws ProtocolException when the peer's numbers are impossible
     */
    public synchronized Resumption resume(long peerApplied, long peerResumeSeq) throws ProtocolException {
        if (peerApplied < 0 || peerResumeSeq < 1) {
            throw new ProtocolException(CloseCodes.PROTOCOL_ERROR,
                    "invalid resume point: applied " + peerApplied + ", resume " + peerResumeSeq);
        }
        boolean ownCounterAdvanced = false;
        if (peerApplied > outbox.lastSeq()) {
            // The peer applied seqs this end no longer knows: its store was restored
            // from an older copy. Never reuse those seqs, or new payloads would be
            // taken for duplicates.
            outbox.advanceTo(peerApplied);
            ownCounterAdvanced = true;
        }
        outbox.acknowledge(peerApplied);
        peerAcked = peerApplied;
        nextToSend = Math.max(peerApplied + 1, outbox.firstPendingSeq());

        long lostByPeer = Math.max(0, peerResumeSeq - 1 - applied);
        firstExpected = Math.max(applied + 1, peerResumeSeq);
        lastReceived = 0;
        ackSent = applied;
        inSession = true;
        return new Resumption(lostByPeer, ownCounterAdvanced);
    }

    /** Ends the session (the connection is gone); sending stops until the next {@link #resume}. */
    public synchronized void end() {
        inSession = false;
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

    /** Records that the caller durably applied everything up to {@code seq}. */
    public synchronized void markApplied(long seq) {
        if (seq > applied) {
            applied = seq;
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

    /** Persists payloads for sending; durable when this returns. */
    public synchronized List<Envelope> publish(List<Envelope> envelopes) {
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
        return inSession && nextToSend <= outbox.lastSeq() && nextToSend <= peerAcked + window;
    }

    /**
     * Handles the peer's cumulative ack.
     *
     * @throws ProtocolException when the peer acknowledges a seq that was never sent
     */
    public synchronized void onAck(long ack) throws ProtocolException {
        if (!inSession || ack <= peerAcked) {
            return;
        }
        if (ack >= nextToSend) {
            throw new ProtocolException(CloseCodes.PROTOCOL_ERROR,
                    "ack " + ack + " covers seqs never sent (last sent " + (nextToSend - 1) + ")");
        }
        peerAcked = ack;
        outbox.acknowledge(ack);
    }

    /** Reliable payloads stored and not yet acknowledged. */
    public synchronized long depth() {
        return outbox.lastSeq() - outbox.firstPendingSeq() + 1;
    }

    /**
     * What the handshake found.
     *
     * @param lostByPeerReset seqs the peer had deleted although this end never
     *     applied them (this end's store was restored from an older copy); they are gone
     * @param ownCounterAdvanced this end's seq counter was behind what the peer applied and was moved forward
     */
    public record Resumption(long lostByPeerReset, boolean ownCounterAdvanced) {
    }
}
