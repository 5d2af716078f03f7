package dev.tether.agent.state;

import dev.tether.protocol.v1.Envelope;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The outbox's newest committed payloads, as stored, so the connection's writer sends them without reading
 * them back from {@code agent.db} and parsing them again (under sixteen publishers that read was 8 % of the
 * agent's CPU). It holds one run of consecutive seqs; anything it cannot answer is read from the database.
 *
 * <p>Filled only after a commit, in commit order (with the store's lock held); emptied by anything that
 * rewrites stored payloads (a renumbering). A run that does not follow on from the one held replaces it. At
 * most {@link #MAX_ENVELOPES} payloads and about {@link #MAX_BYTES} are held; the oldest go first.
 *
 * <p>Thread safe.
 */
final class RecentAppends {

    static final int MAX_ENVELOPES = 1024;
    static final long MAX_BYTES = 4L * 1024 * 1024;

    /** Consecutive seqs, ascending. Guarded by this. */
    private final ArrayDeque<Envelope> entries = new ArrayDeque<>();
    /** Serialized bytes of {@link #entries}. Guarded by this. */
    private long bytes;

    /** Payloads just committed, consecutive and ascending, as stored (seq and stamp set). */
    synchronized void committed(List<Envelope> stored) {
        if (stored.isEmpty()) {
            return;
        }
        if (!entries.isEmpty() && entries.peekLast().getSeq() + 1 != stored.getFirst().getSeq()) {
            clear();
        }
        for (Envelope envelope : stored) {
            entries.addLast(envelope);
            bytes += envelope.getSerializedSize();
        }
        while (entries.size() > MAX_ENVELOPES || (bytes > MAX_BYTES && entries.size() > 1)) {
            bytes -= entries.pollFirst().getSerializedSize();
        }
    }

    /**
     * The payloads from {@code fromSeq} on, ascending, at most {@code max}, when the first of them is held;
     * null when it is not (read the database). Those below {@code fromSeq} are dropped: the caller reads
     * forward.
     */
    synchronized List<Envelope> read(long fromSeq, int max) {
        while (!entries.isEmpty() && entries.peekFirst().getSeq() < fromSeq) {
            bytes -= entries.pollFirst().getSerializedSize();
        }
        if (entries.isEmpty() || entries.peekFirst().getSeq() != fromSeq) {
            return null;
        }
        List<Envelope> out = new ArrayList<>(Math.min(max, entries.size()));
        for (Envelope envelope : entries) {
            if (out.size() == max) {
                break;
            }
            out.add(envelope);
        }
        return out;
    }

    /** Payloads up to {@code upToSeq} were acknowledged (deleted): they are not pending any more. */
    synchronized void acknowledged(long upToSeq) {
        while (!entries.isEmpty() && entries.peekFirst().getSeq() <= upToSeq) {
            bytes -= entries.pollFirst().getSerializedSize();
        }
    }

    /** Stored payloads were rewritten: nothing held is known to match them. */
    synchronized void clear() {
        entries.clear();
        bytes = 0;
    }

    /** Payloads held now (tests). */
    synchronized int size() {
        return entries.size();
    }
}
