package dev.tether.server.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * One agent connection's claim to act for its agent: the agent's id and the connection epoch its handshake
 * took ({@code agents.connection_epoch}). Every handshake, on any node, bumps the epoch, so a connection
 * that was replaced (by a newer one on this node or another) holds a stale fence, and every apply and ack it
 * tries fails with {@link FencedException} inside its own transaction.
 *
 * @param epoch the epoch to check, or {@link #UNCHECKED} for tools and tests that act outside a connection
 */
public record Fence(String agentId, long epoch) {

    /** An epoch no connection holds: {@link #checkIn} lets it through. */
    public static final long UNCHECKED = -1;

    /** A fence that is never stale: for work done outside an agent connection (tests, tools). */
    public static Fence unchecked(String agentId) {
        return new Fence(agentId, UNCHECKED);
    }

    public boolean checked() {
        return epoch != UNCHECKED;
    }

    /**
     * Checks the epoch and locks the agent row until the transaction ends, so a takeover that bumps the epoch
     * commits either before this transaction (which then fails) or after it.
     *
     * @throws FencedException when another connection took the agent over
     */
    public void checkIn(Connection connection) throws SQLException {
        if (!checked()) {
            return;
        }
        try (PreparedStatement lock = connection.prepareStatement(
                "UPDATE agents SET connection_epoch = connection_epoch WHERE id = ? AND connection_epoch = ?")) {
            lock.setString(1, agentId);
            lock.setLong(2, epoch);
            if (lock.executeUpdate() != 1) {
                throw stale(connection);
            }
        }
    }

    /** The exception for a failed check, naming the node that holds the agent now. */
    FencedException stale(Connection connection) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT holder_node, connection_epoch FROM agents WHERE id = ?")) {
            select.setString(1, agentId);
            try (ResultSet row = select.executeQuery()) {
                if (!row.next()) {
                    return new FencedException(agentId, epoch, -1, null);
                }
                return new FencedException(agentId, epoch, row.getLong(2), row.getString(1));
            }
        }
    }
}
