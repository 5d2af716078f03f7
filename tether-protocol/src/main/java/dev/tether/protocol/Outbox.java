package dev.tether.protocol;

import dev.tether.protocol.v1.Envelope;
import java.util.List;

/**
 * Durable store of one direction's reliable payloads, for one agent.
 *
 * <p>Implementations persist before they return: once {@link #append} returns,
 * the payload survives a crash of the process. Seqs are assigned by the outbox,
 * consecutive and starting at 1, and never reused, not even after
 * {@link #acknowledge} deleted everything. Pending seqs are always consecutive,
 * from {@link #firstPendingSeq} to {@link #lastSeq}.
 *
 * <p>Each stored payload carries a stamp ({@link Stamps}), set on the envelopes
 * {@link #read} returns. The outbox also remembers the <em>acknowledged point</em>:
 * the highest seq acknowledged and that payload's stamp, so a handshake can check
 * that the peer applied this outbox's history and not another one (see
 * {@link ReliableChannel#resume(long, long, long)}).
 *
 * <p>Thread safe: {@link ReliableChannel} calls {@link #append} and {@link #deleteAcknowledged}, the two that
 * may wait for the disk, without its own lock, so that a stalled disk holds up only those who store; the rest
 * it calls with its lock held.
 */
public interface Outbox {

    /**
     * Stores the envelopes (payload set, seq unset) and assigns them the next
     * consecutive seqs and fresh stamps, atomically.
     *
     * @return the stored envelopes with their seqs and stamps, in order
     */
    List<Envelope> append(List<Envelope> envelopes);

    /** Pending envelopes with {@code seq >= fromSeq}, ascending, at most {@code max}, stamps set. */
    List<Envelope> read(long fromSeq, int max);

    /**
     * Deletes every envelope with {@code seq <= upToSeq} and, when {@code upToSeq} is above the acknowledged
     * point, makes it the acknowledged point (with the stamp of its payload). Idempotent. Unlike
     * {@link #append}, it need not be durable when it returns: an acknowledgement lost in a crash only sends
     * those payloads again, and the peer, which applied them, drops them as duplicates. For the same reason it
     * may only be recorded and carried out later (with a later append, or by {@link #deleteAcknowledged}), as
     * long as those envelopes are no longer pending from when it returns: {@link #read} and
     * {@link #firstPendingSeq} skip them.
     */
    void acknowledge(long upToSeq);

    /**
     * Carries out the acknowledgements that {@link #acknowledge} only recorded; nothing for an outbox that
     * deletes at once. For a quiet moment: otherwise the next append may do it with its own write. It may do
     * nothing when the store is busy with another write rather than wait for it; the next append or call does it.
     */
    default void deleteAcknowledged() {
    }

    /** The highest seq ever assigned, 0 when none. */
    long lastSeq();

    /**
     * {@link #lastSeq()} as far as this process knows without waiting for a write in progress: never below what
     * was assigned and committed before the call, and up to date once the append that assigned it returned.
     * For the sender's "anything new?" before every frame.
     */
    default long lastSeqHint() {
        return lastSeq();
    }

    /** The lowest pending seq, or {@code lastSeq() + 1} when nothing is pending. */
    long firstPendingSeq();

    /**
     * The stamp this outbox holds for {@code seq}: its pending payload's, or the acknowledged point's when
     * {@code seq} is that point; {@link Stamps#UNKNOWN} otherwise (acknowledged earlier, never assigned, or
     * stored before stamps existed).
     */
    long stampAt(long seq);

    /**
     * Renumbers every pending payload to follow what the peer applied, in one transaction: the pending
     * payloads, in their order, get the seqs {@code peerApplied + 1, peerApplied + 2, ...} and fresh stamps;
     * the counter becomes the last of them (or {@code peerApplied} when nothing is pending); the
     * acknowledged point becomes {@code (peerApplied, peerStamp)}. Nothing is deleted. Used when this
     * outbox's history diverged from what the peer applied (its state was restored from an older copy, or
     * copied to another machine).
     *
     * @param peerApplied at least {@link #firstPendingSeq()} − 1, and below {@link Limits#MAX_RESUME_SEQ}
     * @return how many payloads were renumbered
     */
    long renumberAfter(long peerApplied, long peerStamp);
}
