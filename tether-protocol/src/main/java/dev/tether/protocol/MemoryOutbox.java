package dev.tether.protocol;

import dev.tether.protocol.v1.Envelope;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * An {@link Outbox} held in memory: for tests and simulations, where "durable"
 * means it outlives the {@link ReliableChannel} that uses it. Thread safe
 * (every method synchronizes on this).
 */
public final class MemoryOutbox implements Outbox {

    // All guarded by this.
    private final NavigableMap<Long, Envelope> pending = new TreeMap<>();
    private long lastSeq;
    private long ackedSeq;
    private long ackedStamp;

    @Override
    public synchronized List<Envelope> append(List<Envelope> envelopes) {
        List<Envelope> stored = new ArrayList<>(envelopes.size());
        for (Envelope envelope : envelopes) {
            Envelope withSeq = envelope.toBuilder().setSeq(++lastSeq).setStamp(Stamps.draw()).build();
            pending.put(lastSeq, withSeq);
            stored.add(withSeq);
        }
        return stored;
    }

    @Override
    public synchronized List<Envelope> read(long fromSeq, int max) {
        List<Envelope> out = new ArrayList<>(Math.min(max, pending.size()));
        for (Envelope envelope : pending.tailMap(fromSeq, true).values()) {
            if (out.size() == max) {
                break;
            }
            out.add(envelope);
        }
        return out;
    }

    @Override
    public synchronized void acknowledge(long upToSeq) {
        if (upToSeq > ackedSeq && pending.containsKey(upToSeq)) {
            ackedSeq = upToSeq;
            ackedStamp = pending.get(upToSeq).getStamp();
        }
        pending.headMap(upToSeq, true).clear();
    }

    @Override
    public synchronized long lastSeq() {
        return lastSeq;
    }

    @Override
    public synchronized long firstPendingSeq() {
        return pending.isEmpty() ? lastSeq + 1 : pending.firstKey();
    }

    @Override
    public synchronized long stampAt(long seq) {
        Envelope row = pending.get(seq);
        if (row != null) {
            return row.getStamp();
        }
        return seq == ackedSeq ? ackedStamp : Stamps.UNKNOWN;
    }

    @Override
    public synchronized long renumberAfter(long peerApplied, long peerStamp) {
        List<Envelope> rows = new ArrayList<>(pending.values());
        pending.clear();
        long seq = peerApplied;
        for (Envelope row : rows) {
            seq++;
            pending.put(seq, row.toBuilder().setSeq(seq).setStamp(Stamps.draw()).build());
        }
        lastSeq = seq;
        ackedSeq = peerApplied;
        ackedStamp = peerStamp;
        return rows.size();
    }
}
