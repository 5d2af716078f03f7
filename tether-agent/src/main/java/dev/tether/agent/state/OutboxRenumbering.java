package dev.tether.agent.state;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.tether.protocol.Stamps;
import dev.tether.protocol.v1.Envelope;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Moves the pending rows of the agent's outbox to follow the server's applied seq, within the caller's
 * transaction (see {@link dev.tether.protocol.Outbox#renumberAfter}). Pending seqs are consecutive and the new
 * first seq is never below the old one, so rows are moved from the highest down, {@link #BATCH_ROWS} at a time
 * in memory: no row ever lands on one not yet moved.
 */
final class OutboxRenumbering {

    /** Rows held in memory at once while renumbering. */
    private static final int BATCH_ROWS = 256;

    private OutboxRenumbering() {
    }

    /** @return how many rows were renumbered */
    static long renumber(Connection c, long peerApplied) throws SQLException {
        Long first = Database.queryLong(c, "SELECT MIN(seq) FROM outbox");
        if (first == null) {
            return 0;
        }
        long shift = peerApplied + 1 - first;
        if (shift < 0) {
            throw new IllegalStateException("cannot renumber pending seqs from " + first + " down to "
                    + (peerApplied + 1) + ": the server applied less than this agent knows it acknowledged");
        }
        long count = 0;
        long below = Long.MAX_VALUE;
        List<Row> batch;
        while (!(batch = highestBelow(c, below)).isEmpty()) {
            move(c, batch, shift);
            count += batch.size();
            below = batch.get(batch.size() - 1).seq();
        }
        return count;
    }

    private static List<Row> highestBelow(Connection c, long below) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "SELECT seq, envelope FROM outbox WHERE seq < ? ORDER BY seq DESC LIMIT " + BATCH_ROWS)) {
            s.setLong(1, below);
            try (ResultSet r = s.executeQuery()) {
                List<Row> rows = new ArrayList<>();
                while (r.next()) {
                    rows.add(new Row(r.getLong(1), r.getBytes(2)));
                }
                return rows;
            }
        }
    }

    private static void move(Connection c, List<Row> rows, long shift) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "UPDATE outbox SET seq = ?, envelope = ?, stamp = ? WHERE seq = ?")) {
            for (Row row : rows) {
                long seq = row.seq() + shift;
                long stamp = Stamps.draw();
                s.setLong(1, seq);
                s.setBytes(2, row.envelope().toBuilder().setSeq(seq).setStamp(stamp).build().toByteArray());
                s.setLong(3, stamp);
                s.setLong(4, row.seq());
                s.executeUpdate();
            }
        }
    }

    private record Row(long seq, byte[] bytes) {
        Envelope envelope() {
            try {
                return Envelope.parseFrom(bytes);
            } catch (InvalidProtocolBufferException e) {
                throw new StateStoreException("outbox row " + seq + " is not an envelope: agent.db is damaged", e);
            }
        }
    }
}
