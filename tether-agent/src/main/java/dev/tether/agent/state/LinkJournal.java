package dev.tether.agent.state;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The connection's history in {@code agent.db}: the server of the last session, when it began and ended, and
 * the last {@value #ERRORS_KEPT} reasons a connection failed or ended. {@code tether agent status} reads it when
 * the agent is stopped; the running agent reports it too. Each write is one small transaction, made only when
 * a session begins or ends (at most once per reconnect delay).
 *
 * <p>Added to a schema-4 file without raising its version (an agent of before it ignores it):
 * <pre>
 * agent.server_url      TEXT     -- the server of the last session
 * agent.connected_ms    INTEGER  -- when it began; NULL before the first
 * agent.disconnected_ms INTEGER  -- when it ended; NULL while it runs (or when the process died during it)
 * link_error (at_ms INTEGER NOT NULL, message TEXT NOT NULL)   -- the last 10, at most 300 characters each
 * </pre>
 * Thread safe, through the database's lock.
 */
public final class LinkJournal {

    static final int ERRORS_KEPT = 10;
    static final int MAX_MESSAGE_CHARS = 300;

    /** The history as stored. */
    public record Link(String server, Long connectedMs, Long disconnectedMs, List<LinkError> errors) {
        static final Link NONE = new Link(null, null, null, List.of());
    }

    /** Why a connection attempt or session ended, and when. */
    public record LinkError(long atMs, String message) {
    }

    private final Database database;

    LinkJournal(Database database) {
        this.database = database;
    }

    /** Whether the file has the history (an agent of before it did not add it). */
    static boolean present(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet r = s.executeQuery(
                        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'link_error'")) {
            return r.next();
        }
    }

    static void addTables(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.executeUpdate("ALTER TABLE agent ADD COLUMN server_url TEXT");
            s.executeUpdate("ALTER TABLE agent ADD COLUMN connected_ms INTEGER");
            s.executeUpdate("ALTER TABLE agent ADD COLUMN disconnected_ms INTEGER");
            s.executeUpdate("CREATE TABLE link_error (at_ms INTEGER NOT NULL, message TEXT NOT NULL)");
        }
    }

    /** A session with {@code server} began. */
    public void connected(String server, long atMs) {
        database.write("record the connection", c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "UPDATE agent SET server_url = ?, connected_ms = ?, disconnected_ms = NULL WHERE id = 1")) {
                s.setString(1, printable(server));
                s.setLong(2, atMs);
                s.executeUpdate();
            }
            return null;
        });
    }

    /**
     * A session or an attempt ended: the session (when one ran) is marked ended at {@code atMs}, and {@code why},
     * when not null, is kept among the last errors.
     */
    public void ended(String why, long atMs) {
        database.write("record the end of a connection", c -> {
            try (PreparedStatement s = c.prepareStatement("UPDATE agent SET disconnected_ms = ? "
                    + "WHERE id = 1 AND connected_ms IS NOT NULL AND disconnected_ms IS NULL")) {
                s.setLong(1, atMs);
                s.executeUpdate();
            }
            if (why != null) {
                try (PreparedStatement s = c.prepareStatement(
                        "INSERT INTO link_error (at_ms, message) VALUES (?, ?)")) {
                    s.setLong(1, atMs);
                    s.setString(2, printable(why));
                    s.executeUpdate();
                }
                try (PreparedStatement s = c.prepareStatement("DELETE FROM link_error WHERE rowid NOT IN "
                        + "(SELECT rowid FROM link_error ORDER BY rowid DESC LIMIT ?)")) {
                    s.setInt(1, ERRORS_KEPT);
                    s.executeUpdate();
                }
            }
            return null;
        });
    }

    static Link read(Connection c) throws SQLException {
        String server;
        Long connected;
        Long disconnected;
        try (Statement s = c.createStatement();
                ResultSet r = s.executeQuery(
                        "SELECT server_url, connected_ms, disconnected_ms FROM agent WHERE id = 1")) {
            r.next();
            server = r.getString(1);
            connected = r.getObject(2) == null ? null : r.getLong(2);
            disconnected = r.getObject(3) == null ? null : r.getLong(3);
        }
        List<LinkError> errors = new ArrayList<>();
        try (Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT at_ms, message FROM link_error ORDER BY rowid DESC")) {
            while (r.next()) {
                errors.add(new LinkError(r.getLong(1), r.getString(2)));
            }
        }
        return new Link(server, connected, disconnected, List.copyOf(errors));
    }

    /**
     * At most {@value #MAX_MESSAGE_CHARS} characters with control characters replaced: a close reason comes from
     * the server, and the status is printed on an operator's terminal.
     */
    static String printable(String text) {
        if (text == null) {
            return null;
        }
        StringBuilder out = new StringBuilder(Math.min(text.length(), MAX_MESSAGE_CHARS));
        for (int i = 0; i < text.length() && out.length() < MAX_MESSAGE_CHARS; i++) {
            char ch = text.charAt(i);
            out.append(Character.isISOControl(ch) ? '?' : ch);
        }
        return out.toString();
    }
}
