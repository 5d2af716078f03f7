package dev.tether.server.store;

import dev.tether.protocol.Stamps;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Moves the pending rows of one agent's outbox to follow the seq the agent applied, in the caller's
 * transaction (see {@link dev.tether.protocol.Outbox#renumberAfter}). Pending seqs are consecutive and the new
 * first seq is never below the old one, so every row moves by the same shift, from the highest down,
 * {@link #BATCH_ROWS} at a time: no row ever lands on one not yet moved. Jobs whose request is pending
 * ({@code jobs.outbox_seq}) move with it, so an acknowledgement still marks the right jobs delivered.
 * Stateless.
 */
final class OutboxRenumbering {

    /** Rows held in memory at once while renumbering. */
    private static final int BATCH_ROWS = 256;

    private OutboxRenumbering() {
    }

    /** @return how many rows were renumbered */
    static long renumberIn(Connection connection, String agentId, long peerApplied, long peerStamp)
            throws SQLException {
        long first = firstPending(connection, agentId);
        long count = 0;
        if (first > 0) {
            long shift = peerApplied + 1 - first;
            if (shift < 0) {
                throw new IllegalStateException("cannot renumber agent " + agentId + "'s pending seqs from "
                        + first + " down to " + (peerApplied + 1));
            }
            count = moveRows(connection, agentId, shift);
            moveJobs(connection, agentId, first, shift);
        }
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE agents SET out_acked_seq = ?, out_acked_stamp = ? WHERE id = ?")) {
            update.setLong(1, peerApplied);
            update.setLong(2, peerStamp);
            update.setString(3, agentId);
            update.executeUpdate();
        }
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE outbox_counters SET out_seq = ? WHERE agent_id = ?")) {
            update.setLong(1, peerApplied + count);
            update.setString(2, agentId);
            update.executeUpdate();
        }
        return count;
    }

    /** @return the lowest pending seq, 0 when nothing is pending */
    private static long firstPending(Connection connection, String agentId) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT MIN(seq) FROM outbox WHERE agent_id = ?")) {
            select.setString(1, agentId);
            try (ResultSet row = select.executeQuery()) {
                row.next();
                return row.getLong(1);
            }
        }
    }

    private static long moveRows(Connection connection, String agentId, long shift) throws SQLException {
        long count = 0;
        long below = Long.MAX_VALUE;
        List<Long> batch;
        while (!(batch = highestBelow(connection, agentId, below)).isEmpty()) {
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE outbox SET seq = ?, stamp = ? WHERE agent_id = ? AND seq = ?")) {
                for (long seq : batch) {
                    update.setLong(1, seq + shift);
                    update.setLong(2, Stamps.draw());
                    update.setString(3, agentId);
                    update.setLong(4, seq);
                    update.executeUpdate();
                }
            }
            count += batch.size();
            below = batch.get(batch.size() - 1);
        }
        return count;
    }

    private static List<Long> highestBelow(Connection connection, String agentId, long below) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT seq FROM outbox WHERE agent_id = ?"
                + " AND seq < ? ORDER BY seq DESC LIMIT " + BATCH_ROWS)) {
            select.setString(1, agentId);
            select.setLong(2, below);
            List<Long> seqs = new ArrayList<>();
            try (ResultSet row = select.executeQuery()) {
                while (row.next()) {
                    seqs.add(row.getLong(1));
                }
            }
            return seqs;
        }
    }

    private static void moveJobs(Connection connection, String agentId, long first, long shift) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE jobs SET outbox_seq = outbox_seq + ? WHERE agent_id = ? AND outbox_seq >= ?")) {
            update.setLong(1, shift);
            update.setString(2, agentId);
            update.setLong(3, first);
            update.executeUpdate();
        }
    }
}
