package dev.tether.protocol;

import dev.tether.protocol.v1.Envelope;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * An {@link Outbox} held in memory: for tests and simulations, where "durable"
 * means it outlives the {@link ReliableChannel} that uses it. Thread safe.
 */
public final class MemoryOutbox implements Outbox {

    private final NavigableMap<Long, Envelope> pending = new TreeMap<>();
    private long lastSeq;

    @Override
    public synchronized List<Envelope> append(List<Envelope> envelopes) {
        List<Envelope> stored = new ArrayList<>(envelopes.size());
        for (Envelope envelope : envelopes) {
            Envelope withSeq = envelope.toBuilder().setSeq(++lastSeq).build();
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
    public synchronized void advanceTo(long seq) {
        lastSeq = Math.max(lastSeq, seq);
    }
}
