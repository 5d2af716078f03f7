package dev.tether.agent.state;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.tether.protocol.Outbox;
import dev.tether.protocol.Stamps;
import dev.tether.protocol.v1.Envelope;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The agent's {@link Outbox}: the {@code outbox} table of {@code agent.db}, with
 * the seq counter in {@code agent.last_seq} and the acknowledged point in
 * {@code agent.acked_seq}/{@code acked_stamp} (see {@link StateStore} for the
 * format). A row's stamp is both in its envelope and in {@code outbox.stamp}. Every method is one SQLite
 * transaction, durable when it returns except {@link #acknowledge} (see there); an append of many envelopes is
 * one transaction. What this process committed last is also held in memory ({@link RecentAppends}), and
 * {@link #read} answers from there when it can.
 *
 * <p>An acknowledgement is only recorded in memory ({@link #acknowledgedUpTo}): from then on the rows it covers
 * are not pending ({@link #read}, {@link #firstPendingSeq} and {@link #depth} skip them), and the next append
 * deletes them in its own transaction, or {@link #deleteAcknowledged} does when no append comes. Under a
 * stream of events that spares a transaction per ack (its {@code BEGIN}, {@code COMMIT} and the two
 * {@code PRAGMA}s around a lazy commit, about a tenth of the agent's CPU). Rows a crash leaves behind were
 * applied by the server: the next handshake acknowledges them again, and a payload sent again anyway is a
 * duplicate the server drops by its seq.
 *
 * <p>Thread safe (through the store's lock).
 */
public final class SqliteOutbox implements Outbox {

    private final Database database;
    /**
     * The highest seq committed, as far as this process knows; -1 until first read. Raised once a transaction
     * that appended commits (the outbox's own or a caller's, see {@link #append(Connection, List)}), and by
     * every read of the stored counter; never above it. The connection's writer asks for more payloads before
     * every frame it sends (shell output too), and answering "none" from memory spares it a query, which would
     * wait behind any write on the store's one connection, a write stalled on the disk too.
     */
    private final AtomicLong committedLastSeq = new AtomicLong(-1);
    /**
     * A seq up to which every payload is known to be deleted by a transaction this process committed; -1 when
     * none is known. What {@link #acknowledgedUpTo} holds above it is still to delete. Never above the stored
     * counter; forgotten (-1) by a renumbering.
     */
    private final AtomicLong knownDeletedUpTo = new AtomicLong(-1);
    /**
     * The highest seq the peer acknowledged in this process, -1 when none: nothing up to it is pending, whether
     * or not its row is deleted yet. Raised by {@link #acknowledge}; set to the peer's applied seq by a
     * renumbering, which deletes what it covered first. Never above the stored counter.
     */
    private final AtomicLong acknowledgedUpTo = new AtomicLong(-1);

    /** What {@link #read} answers first: the payloads this process committed last. */
    private final RecentAppends recent = new RecentAppends();

    SqliteOutbox(Database database) {
        this.database = database;
    }

    @Override
    public List<Envelope> append(List<Envelope> envelopes) {
        if (envelopes.isEmpty()) {
            return List.of();
        }
        return database.write("store " + envelopes.size() + " outgoing payload(s)",
                c -> new Appended(deleteAcknowledgedIn(c), append(c, envelopes)),
                appended -> knownDeletedUpTo.accumulateAndGet(appended.deletedUpTo(), Math::max)).stored();
    }

    /** What an append's transaction did: stored payloads, and deleted those up to a seq (-1: none). */
    private record Appended(long deletedUpTo, List<Envelope> stored) {
    }

    /**
     * Appends within the caller's transaction, so a payload can be stored with the effect that caused it. Once
     * that transaction commits, the payloads are held for {@link #read} and count in {@link #lastSeqHint}.
     */
    List<Envelope> append(Connection c, List<Envelope> envelopes) throws SQLException {
        if (envelopes.isEmpty()) {
            return List.of();
        }
        long seq = lastSeq(c);
        List<Envelope> stored = new ArrayList<>(envelopes.size());
        PreparedStatement insert = database.prepared(c, "INSERT INTO outbox (seq, envelope, stamp) VALUES (?, ?, ?)");
        for (Envelope envelope : envelopes) {
            Envelope withSeq = envelope.toBuilder().setSeq(++seq).setStamp(Stamps.draw()).clearAck().clearTsMs()
                    .build();
            insert.setLong(1, seq);
            insert.setBytes(2, withSeq.toByteArray());
            insert.setLong(3, withSeq.getStamp());
            insert.addBatch();
            stored.add(withSeq);
        }
        insert.executeBatch();
        long last = seq;
        database.afterCommit(() -> {
            recent.committed(stored);
            committedLastSeq.accumulateAndGet(last, Math::max);
        });
        PreparedStatement counter = database.prepared(c, "UPDATE agent SET last_seq = ? WHERE id = 1");
        counter.setLong(1, seq);
        counter.executeUpdate();
        return stored;
    }

    @Override
    public List<Envelope> read(long fromSeq, int max) {
        return readPending(Math.max(fromSeq, acknowledgedUpTo.get() + 1), max);
    }

    private List<Envelope> readPending(long fromSeq, int max) {
        if (max <= 0) {
            return List.of();
        }
        if (fromSeq > lastSeqHint()) {
            return List.of();
        }
        List<Envelope> held = recent.read(fromSeq, max);
        if (held != null) {
            return held;
        }
        // Committed rows only, and without waiting behind a write: the writer must not stall with the disk.
        return database.readCommitted("read the outbox", c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT seq, envelope FROM outbox WHERE seq >= ? ORDER BY seq LIMIT ?")) {
                s.setLong(1, fromSeq);
                s.setInt(2, max);
                try (ResultSet r = s.executeQuery()) {
                    List<Envelope> out = new ArrayList<>();
                    while (r.next()) {
                        out.add(parse(r.getLong(1), r.getBytes(2)));
                    }
                    return out;
                }
            }
        });
    }

    private static Envelope parse(long seq, byte[] bytes) {
        try {
            Envelope envelope = Envelope.parseFrom(bytes);
            if (envelope.getSeq() != seq) {
                throw new StateStoreException("outbox row " + seq + " holds an envelope with seq "
                        + envelope.getSeq() + ": agent.db is damaged");
            }
            return envelope;
        } catch (InvalidProtocolBufferException e) {
            throw new StateStoreException("outbox row " + seq + " is not an envelope: agent.db is damaged", e);
        }
    }

    /**
     * Only recorded: the rows up to {@code upToSeq} are deleted by the next append's transaction, or by
     * {@link #deleteAcknowledged}. Neither is synced by itself: a delete lost in a crash only sends those payloads
     * again, and the peer, which applied them, drops them as duplicates.
     */
    @Override
    public void acknowledge(long upToSeq) {
        acknowledgedUpTo.accumulateAndGet(upToSeq, Math::max);
        recent.acknowledged(upToSeq);
    }

    /**
     * Deletes what {@link #acknowledge} recorded and no append deleted yet, in a transaction committed without
     * waiting for the disk ({@link Database#writeLazily}); nothing when there is nothing to delete, and nothing
     * when another thread holds the store: that write may be stalled on the disk, and the session's threads that
     * call this must not wait behind it (the next append deletes them, or a later call).
     */
    @Override
    public void deleteAcknowledged() {
        deleteAcknowledged(false);
    }

    /** {@link #deleteAcknowledged()}, waiting for the store when it is busy (a status read, closing). */
    void deleteAcknowledgedNow() {
        deleteAcknowledged(true);
    }

    private void deleteAcknowledged(boolean waitForStore) {
        if (acknowledgedUpTo.get() <= knownDeletedUpTo.get()) {
            return;
        }
        Consumer<Long> deleted = upTo -> knownDeletedUpTo.accumulateAndGet(upTo, Math::max);
        if (waitForStore) {
            database.writeLazily("delete acknowledged payloads", this::deleteAcknowledgedIn, deleted);
        } else {
            database.tryWriteLazily("delete acknowledged payloads", this::deleteAcknowledgedIn, deleted);
        }
    }

    /**
     * Deletes, in the caller's transaction, what the recorded acknowledgement covers and is not known to be
     * deleted; returns the seq deleted up to, -1 when there was nothing. Both points are read here, under the
     * store's lock, so a renumbering (which moves them) is wholly before or after.
     */
    private long deleteAcknowledgedIn(Connection c) throws SQLException {
        long upToSeq = acknowledgedUpTo.get();
        if (upToSeq <= knownDeletedUpTo.get()) {
            return -1;
        }
        deleteIn(c, upToSeq);
        return upToSeq;
    }

    /**
     * Deletes the payloads up to {@code upToSeq} in the caller's transaction and makes it the acknowledged point
     * (with its payload's stamp) when it is above the stored one and its row is still there.
     */
    private void deleteIn(Connection c, long upToSeq) throws SQLException {
        PreparedStatement point = database.prepared(c, "UPDATE agent SET acked_seq = ?, acked_stamp = "
                + "(SELECT stamp FROM outbox WHERE seq = ?) WHERE id = 1 AND acked_seq < ? "
                + "AND EXISTS (SELECT 1 FROM outbox WHERE seq = ?)");
        point.setLong(1, upToSeq);
        point.setLong(2, upToSeq);
        point.setLong(3, upToSeq);
        point.setLong(4, upToSeq);
        point.executeUpdate();
        PreparedStatement delete = database.prepared(c, "DELETE FROM outbox WHERE seq <= ?");
        delete.setLong(1, upToSeq);
        delete.executeUpdate();
    }

    @Override
    public long lastSeq() {
        long stored = database.read("read the outbox seq", this::lastSeq);
        committedLastSeq.accumulateAndGet(stored, Math::max);
        return stored;
    }

    /** From memory once known: what the last commit that appended left, not waiting for a write in progress. */
    @Override
    public long lastSeqHint() {
        long known = committedLastSeq.get();
        return known >= 0 ? known : lastSeq();
    }

    @Override
    public long firstPendingSeq() {
        return database.read("read the outbox", c -> {
            try (ResultSet r = database.prepared(c, "SELECT MIN(seq) FROM outbox").executeQuery()) {
                r.next();
                long first = r.getLong(1);
                // Rows up to the recorded acknowledgement may wait for their delete: they are not pending.
                return Math.max(r.wasNull() ? lastSeq(c) + 1 : first, acknowledgedUpTo.get() + 1);
            }
        });
    }

    @Override
    public long stampAt(long seq) {
        return database.read("read the stamp of seq " + seq, c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT stamp FROM outbox WHERE seq = ? UNION ALL "
                    + "SELECT acked_stamp FROM agent WHERE id = 1 AND acked_seq = ?")) {
                s.setLong(1, seq);
                s.setLong(2, seq);
                try (ResultSet r = s.executeQuery()) {
                    return r.next() ? r.getLong(1) : Stamps.UNKNOWN;
                }
            }
        });
    }

    @Override
    public long renumberAfter(long peerApplied, long peerStamp) {
        return database.write("renumber the outbox to follow seq " + peerApplied, c -> {
            // Under the store's lock, like every fill: no payload held from before can come back.
            recent.clear();
            // The peer applied what it acknowledged: renumbered, those rows would be sent and applied again.
            long acknowledged = acknowledgedUpTo.get();
            if (acknowledged > 0) {
                deleteIn(c, acknowledged);
            }
            long count = OutboxRenumbering.renumber(c, peerApplied);
            long last = peerApplied + count;
            try (PreparedStatement s = c.prepareStatement(
                    "UPDATE agent SET last_seq = ?, acked_seq = ?, acked_stamp = ? WHERE id = 1")) {
                s.setLong(1, last);
                s.setLong(2, peerApplied);
                s.setLong(3, peerStamp);
                s.executeUpdate();
            }
            database.afterCommit(() -> committedLastSeq.accumulateAndGet(last, Math::max));
            // Rolled back with the renumbering or not, nothing above the new point is known to be deleted.
            knownDeletedUpTo.set(-1);
            return count;
        }, count -> acknowledgedUpTo.set(peerApplied));
    }

    /** Payloads stored and not yet acknowledged. */
    public long depth() {
        return database.read("count the outbox", c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT COUNT(*) FROM outbox WHERE seq > ?")) {
                s.setLong(1, acknowledgedUpTo.get());
                try (ResultSet r = s.executeQuery()) {
                    r.next();
                    return r.getLong(1);
                }
            }
        });
    }

    private long lastSeq(Connection c) throws SQLException {
        try (ResultSet r = database.prepared(c, "SELECT last_seq FROM agent WHERE id = 1").executeQuery()) {
            if (!r.next()) {
                throw new StateStoreException("agent.db has no agent row: it is damaged");
            }
            return r.getLong(1);
        }
    }
}
