package dev.tether.server.store;

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

/**
 * The durable server → agent {@link Outbox} of one agent, in the database.
 *
 * <h2>Format</h2>
 * The seq counter is {@code outbox_counters.out_seq} (the highest seq ever assigned; a row of two columns
 * per agent, created with the agent by {@link #openIn}, so that a fan-out's counters are not the wide agent
 * rows), the acknowledged point {@code agents.out_acked_seq}/{@code out_acked_stamp};
 * pending payloads are rows of {@code outbox(agent_id, seq, envelope,
 * created_at, stamp)} where {@code envelope} is a serialized {@code tether.v1.Envelope}
 * with its payload, seq and stamp set, and {@code ack}/{@code ts_ms} unset (the sender
 * fills those per transmission). The {@code seq} and {@code stamp} columns are
 * authoritative: a payload rewritten in place ({@link #rewriteIn}) keeps its row's
 * stamp, and a renumbered row ({@link #renumberAfter}) keeps its bytes. An append bumps the counter and inserts its
 * rows in one transaction; the counter's row lock serialises concurrent
 * appenders of the same agent.
 *
 * <p>Blocking; thread safe (state lives in the database). The
 * {@link dev.tether.protocol.ReliableChannel} that owns an instance calls it
 * with its own lock held, from the agent's lane.
 */
public final class ServerOutbox implements Outbox {

    private final Database db;
    private final String agentId;
    /** Checked by every acknowledgement and database read: a connection that was taken over acts no more. */
    private final Fence fence;
    /** What reads try first; null: always the database. */
    private final OutboxTails.Tail tail;
    /** Whether acknowledgements are only recorded; guarded by this. */
    private boolean deferring;
    /** The highest acknowledgement recorded and not yet taken, 0 when none; guarded by this. */
    private long unwrittenAck;

    /**
     * The outbox as one connection sees it: its acks and database reads are fenced by {@code fence}, and reads
     * are served from {@code tail} when it holds them (a new connection of the agent closes the tail).
     */
    public ServerOutbox(Database db, Fence fence, OutboxTails.Tail tail) {
        this.db = db;
        this.agentId = fence.agentId();
        this.fence = fence;
        this.tail = tail;
    }

    /** The outbox as one connection sees it, read from the database only. */
    public ServerOutbox(Database db, Fence fence) {
        this(db, fence, null);
    }

    /** The outbox outside any connection (tests, tools): never fenced. */
    public ServerOutbox(Database db, String agentId) {
        this(db, Fence.unchecked(agentId));
    }

    @Override
    public List<Envelope> append(List<Envelope> envelopes) {
        OutboxTails tails = db.outboxTails();
        Appended appended = db.inTransaction("append to outbox", connection -> {
            OutboxTails.Appends appends = tails.appends();
            return new Appended(appendIn(connection, appends, agentId, envelopes, System.currentTimeMillis()),
                    appends);
        });
        appended.appends().committed();
        return appended.stored();
    }

    private record Appended(List<Envelope> stored, OutboxTails.Appends appends) {
    }

    /** Creates the new agent's empty outbox (its counter at 0), in the transaction that inserts the agent. */
    static void openIn(Connection connection, String agentId) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO outbox_counters (agent_id, out_seq) VALUES (?, 0)")) {
            insert.setString(1, agentId);
            insert.executeUpdate();
        }
    }

    /**
     * {@link #append} inside the caller's transaction, so an effect and its outgoing payload commit together;
     * the caller hands {@code appends} to the tails once the transaction committed.
     */
    public static List<Envelope> appendIn(Connection connection, OutboxTails.Appends appends, String agentId,
            List<Envelope> envelopes, long nowMillis) throws SQLException {
        if (envelopes.isEmpty()) {
            return List.of();
        }
        List<Envelope> stored = new ArrayList<>(envelopes.size());
        try (Appender appender = new Appender(connection, appends)) {
            for (Envelope envelope : envelopes) {
                stored.add(appender.append(agentId, envelope, nowMillis));
            }
        }
        return stored;
    }

    /**
     * Appends to the outboxes of any number of agents in the caller's transaction, with two prepared
     * statements for all of them (a command to 10,000 agents appends 10,000 rows). Not thread safe; close it
     * before the transaction ends.
     */
    public static final class Appender implements AutoCloseable {

        private final PreparedStatement bump;
        private final PreparedStatement insert;
        private final OutboxTails.Appends appends;

        /** @param appends told of every envelope appended, while the agent's counter is held */
        public Appender(Connection connection, OutboxTails.Appends appends) throws SQLException {
            this.appends = appends;
            this.bump = connection.prepareStatement(
                    "UPDATE outbox_counters SET out_seq = out_seq + 1 WHERE agent_id = ? RETURNING out_seq");
            try {
                this.insert = connection.prepareStatement(
                        "INSERT INTO outbox (agent_id, seq, envelope, created_at, stamp) VALUES (?, ?, ?, ?, ?)");
            } catch (SQLException e) {
                bump.close();
                throw e;
            }
        }

        /** @return the envelope as stored, with its seq: the agent's next */
        public Envelope append(String agentId, Envelope envelope, long nowMillis) throws SQLException {
            bump.setString(1, agentId);
            long seq;
            try (ResultSet row = bump.executeQuery()) {
                if (!row.next()) {
                    throw new SQLException("no agent " + agentId + " to append to");
                }
                seq = row.getLong(1);
            }
            Envelope withSeq = envelope.toBuilder().setSeq(seq).setStamp(Stamps.draw()).build();
            insert.setString(1, agentId);
            insert.setLong(2, seq);
            insert.setBytes(3, withSeq.toByteArray());
            insert.setLong(4, nowMillis);
            insert.setLong(5, withSeq.getStamp());
            insert.executeUpdate();
            appends.appended(agentId, withSeq);
            return withSeq;
        }

        @Override
        public void close() throws SQLException {
            try {
                bump.close();
            } finally {
                insert.close();
            }
        }
    }

    /**
     * Replaces the payload of a pending row in the caller's transaction, keeping its seq: a payload not yet
     * acknowledged becomes another (a CommandRequest becomes its CancelJob).
     *
     * @param envelope the new envelope, payload set and seq unset
     * @return false when the row is gone: the agent acknowledged it meanwhile
     */
    public static boolean rewriteIn(Connection connection, OutboxTails.Appends appends, String agentId, long seq,
            Envelope envelope) throws SQLException {
        appends.rewritten(agentId);
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE outbox SET envelope = ? WHERE agent_id = ? AND seq = ?")) {
            update.setBytes(1, envelope.toBuilder().setSeq(seq).build().toByteArray());
            update.setString(2, agentId);
            update.setLong(3, seq);
            return update.executeUpdate() == 1;
        }
    }

    /**
     * {@inheritDoc} From the tail when it holds what is asked for, else from the database: nothing there when
     * the fence is stale, so a connection that was taken over sends nothing more.
     */
    @Override
    public List<Envelope> read(long fromSeq, int max) {
        List<Envelope> cached = tail == null ? null : tail.read(fromSeq, max);
        if (cached != null) {
            return cached;
        }
        long tailVersion = tail == null ? 0 : tail.version();
        List<Envelope> read = readStored(fromSeq, max);
        if (tail != null && read.size() < max) {
            tail.readToEnd(tailVersion, fromSeq, read);
        }
        return read;
    }

    private List<Envelope> readStored(long fromSeq, int max) {
        return db.withConnection("read outbox", connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT o.envelope, o.seq, o.stamp FROM outbox o JOIN agents a ON a.id = o.agent_id"
                            + " WHERE o.agent_id = ? AND o.seq >= ? AND (? < 0 OR a.connection_epoch = ?)"
                            + " ORDER BY o.seq LIMIT ?")) {
                select.setString(1, agentId);
                select.setLong(2, fromSeq);
                select.setLong(3, fence.epoch());
                select.setLong(4, fence.epoch());
                select.setInt(5, max);
                List<Envelope> out = new ArrayList<>();
                try (ResultSet row = select.executeQuery()) {
                    while (row.next()) {
                        out.add(asStored(parse(row.getBytes(1)), row.getLong(2), row.getLong(3)));
                    }
                }
                return out;
            }
        });
    }

    /**
     * {@inheritDoc} Once {@link #deferAcknowledgements} was called, only recorded: the session writes it with
     * {@link #acknowledgeIn} in its next transaction ({@link #takeUnwrittenAck}).
     *
     * @throws FencedException when the connection holding the fence was taken over
     */
    @Override
    public void acknowledge(long upToSeq) {
        synchronized (this) {
            if (deferring) {
                unwrittenAck = Math.max(unwrittenAck, upToSeq);
                return;
            }
        }
        db.inTransaction("acknowledge outbox", connection -> {
            acknowledgeIn(connection, fence, upToSeq);
            return null;
        });
    }

    /**
     * From now on {@link #acknowledge} only records the point: a session writes it together with the payloads
     * it applies (one transaction per turn instead of two). Deleting acknowledged rows later changes nothing
     * that is sent: the channel reads only past the acknowledged point, and a reconnect acknowledges again.
     */
    public synchronized void deferAcknowledgements() {
        deferring = true;
    }

    /** The acknowledged point recorded and not yet taken; 0 when there is none. */
    public synchronized long takeUnwrittenAck() {
        long ack = unwrittenAck;
        unwrittenAck = 0;
        return ack;
    }

    /**
     * {@link #acknowledge} in the caller's transaction: fenced, it locks the agent row (write job rows first).
     *
     * @throws FencedException when the connection holding the fence was taken over
     */
    public static void acknowledgeIn(Connection connection, Fence fence, long upToSeq) throws SQLException {
        String agentId = fence.agentId();
        fence.checkIn(connection);
        try (PreparedStatement point = connection.prepareStatement("UPDATE agents SET out_acked_seq = ?,"
                + " out_acked_stamp = (SELECT o.stamp FROM outbox o WHERE o.agent_id = ? AND o.seq = ?)"
                + " WHERE id = ? AND out_acked_seq < ?"
                + " AND EXISTS (SELECT 1 FROM outbox o WHERE o.agent_id = ? AND o.seq = ?)")) {
            point.setLong(1, upToSeq);
            point.setString(2, agentId);
            point.setLong(3, upToSeq);
            point.setString(4, agentId);
            point.setLong(5, upToSeq);
            point.setString(6, agentId);
            point.setLong(7, upToSeq);
            point.executeUpdate();
        }
        try (PreparedStatement delete = connection.prepareStatement(
                "DELETE FROM outbox WHERE agent_id = ? AND seq <= ?")) {
            delete.setString(1, agentId);
            delete.setLong(2, upToSeq);
            delete.executeUpdate();
        }
    }

    @Override
    public long lastSeq() {
        return db.withConnection("read outbox counter", connection -> counters(connection, agentId).lastSeq());
    }

    @Override
    public long firstPendingSeq() {
        return db.withConnection("read outbox counter", connection -> counters(connection, agentId).firstPending());
    }

    @Override
    public long stampAt(long seq) {
        return db.withConnection("read outbox stamp", connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT stamp FROM outbox WHERE agent_id = ? AND seq = ?"
                            + " UNION ALL SELECT out_acked_stamp FROM agents WHERE id = ? AND out_acked_seq = ?")) {
                select.setString(1, agentId);
                select.setLong(2, seq);
                select.setString(3, agentId);
                select.setLong(4, seq);
                try (ResultSet row = select.executeQuery()) {
                    return row.next() ? row.getLong(1) : Stamps.UNKNOWN;
                }
            }
        });
    }

    /** {@inheritDoc} The jobs whose CommandRequest is renumbered follow it ({@code jobs.outbox_seq}). */
    @Override
    public long renumberAfter(long peerApplied, long peerStamp) {
        return db.inTransaction("renumber outbox", connection -> {
            fence.checkIn(connection);
            db.outboxTails().rewriting(agentId);
            return OutboxRenumbering.renumberIn(connection, agentId, peerApplied, peerStamp);
        });
    }

    /** Payloads waiting in every agent's outbox. */
    public static long pendingTotal(Database db) {
        return db.withConnection("count outbox", connection -> {
            try (PreparedStatement count = connection.prepareStatement("SELECT COUNT(*) FROM outbox");
                    ResultSet row = count.executeQuery()) {
                row.next();
                return row.getLong(1);
            }
        });
    }

    private static Counters counters(Connection connection, String agentId) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT c.out_seq, (SELECT MIN(o.seq) FROM outbox o WHERE o.agent_id = c.agent_id)"
                        + " FROM outbox_counters c WHERE c.agent_id = ?")) {
            select.setString(1, agentId);
            try (ResultSet row = select.executeQuery()) {
                if (!row.next()) {
                    throw new SQLException("no agent " + agentId);
                }
                long last = row.getLong(1);
                long first = row.getLong(2);
                return new Counters(last, row.wasNull() ? last + 1 : first);
            }
        }
    }

    /** The envelope with the row's seq and stamp, which a renumbering or rewrite may have changed. */
    private static Envelope asStored(Envelope envelope, long seq, long stamp) {
        if (envelope.getSeq() == seq && envelope.getStamp() == stamp) {
            return envelope;
        }
        return envelope.toBuilder().setSeq(seq).setStamp(stamp).build();
    }

    private static Envelope parse(byte[] bytes) throws SQLException {
        try {
            return Envelope.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new SQLException("damaged outbox row: " + e.getMessage(), e);
        }
    }

    private record Counters(long lastSeq, long firstPending) {
    }
}
