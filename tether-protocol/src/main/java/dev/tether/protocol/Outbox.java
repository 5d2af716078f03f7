package dev.tether.protocol;

import dev.tether.protocol.v1.Envelope;
import java.util.List;

/**
 * Durable store of one direction's reliable payloads, for one agent.
 *
 * <p>Implementations persist before they return: once {@link #append} returns,
 * the payload survives a crash of the process. Seqs are assigned by the outbox,
 * consecutive and starting at 1, and never reused, not even after
 * {@link #acknowledge} deleted everything.
 */
public interface Outbox {

    /**
     * Stores the envelopes (payload set, seq unset) and assigns them the next
     * consecutive seqs, atomically.
     *
     * @return the stored envelopes with their seqs, in order
     */
    List<Envelope> append(List<Envelope> envelopes);

    /** Pending envelopes with {@code seq >= fromSeq}, ascending, at most {@code max}. */
    List<Envelope> read(long fromSeq, int max);

    /** Deletes every envelope with {@code seq <= upToSeq}. Idempotent. */
    void acknowledge(long upToSeq);

    /** The highest seq ever assigned, 0 when none. */
    long lastSeq();

    /** The lowest pending seq, or {@code lastSeq() + 1} when nothing is pending. */
    long firstPendingSeq();

    /**
     * Moves the seq counter forward so the next assigned seq is at least
     * {@code seq + 1}. Used when the peer has applied seqs this outbox no longer
     * remembers (its state was restored from an older copy).
     */
    void advanceTo(long seq);
}
