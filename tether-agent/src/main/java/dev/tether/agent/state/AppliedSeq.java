package dev.tether.agent.state;

import dev.tether.protocol.Stamps;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * Writes the applied server seq, with the stamp its payload carried, in the transaction of the payload's
 * effect ({@code agent.applied_server_seq} and {@code applied_server_stamp}). The connection announces both in
 * its next Hello, so the server can tell whether its outbox holds the history this agent applied.
 *
 * <p>The payload's stamp is handed over by {@link #receiving} before its effect is applied (the effects are
 * written by {@link StateStore} and {@link JobStore}, which see only the seq). Thread safe: the pending pair is
 * guarded by this.
 */
final class AppliedSeq {

    private long receivingSeq;
    private long receivingStamp;

    /** The payload numbered {@code seq}, stamped {@code stamp}, is about to be applied. */
    synchronized void receiving(long seq, long stamp) {
        receivingSeq = seq;
        receivingStamp = stamp;
    }

    private synchronized long stampOf(long seq) {
        return seq == receivingSeq ? receivingStamp : Stamps.UNKNOWN;
    }

    /** Records {@code seq} as applied within the caller's transaction (0: nothing to record). */
    void record(Connection c, long seq) throws SQLException {
        if (seq <= 0) {
            return;
        }
        try (PreparedStatement s = c.prepareStatement("UPDATE agent SET applied_server_seq = ?, "
                + "applied_server_stamp = ? WHERE id = 1 AND applied_server_seq < ?")) {
            s.setLong(1, seq);
            s.setLong(2, stampOf(seq));
            s.setLong(3, seq);
            s.executeUpdate();
        }
    }
}
