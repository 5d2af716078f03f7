package dev.tether.server.auth;

import dev.tether.server.store.Database;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;

/**
 * Browser sessions in {@code browser_sessions} (migration V4): written at
 * sign-in, deleted at sign-out, expiry or eviction, read back when the server
 * starts so a restart does not sign everyone out. Migrations V4 and V8.
 *
 * <p>Blocking; thread safe (state lives in the database).
 */
final class BrowserSessionStore {

    private final Database db;

    BrowserSessionStore(Database db) {
        this.db = db;
    }

    void insert(BrowserSession session) {
        db.withConnection("store browser session", connection -> {
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO browser_sessions (id_hash, actor, token_hash, csrf_token, created_at, expires_at,"
                            + " source, user_agent, user_token_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                insert.setString(1, session.idHash());
                insert.setString(2, session.actor());
                insert.setString(3, session.tokenHash());
                insert.setString(4, session.csrfToken());
                insert.setLong(5, session.createdAt());
                insert.setLong(6, session.expiresAt());
                insert.setString(7, session.source());
                insert.setString(8, session.userAgent());
                insert.setString(9, session.userTokenId());
                return insert.executeUpdate();
            }
        });
    }

    void delete(String idHash) {
        db.withConnection("delete browser session", connection -> {
            try (PreparedStatement delete = connection.prepareStatement(
                    "DELETE FROM browser_sessions WHERE id_hash = ?")) {
                delete.setString(1, idHash);
                return delete.executeUpdate();
            }
        });
    }

    /** Deletes the sessions expired at {@code nowMillis}; returns how many. */
    int deleteExpired(long nowMillis) {
        return db.withConnection("delete expired browser sessions", connection -> {
            try (PreparedStatement delete = connection.prepareStatement(
                    "DELETE FROM browser_sessions WHERE expires_at <= ?")) {
                delete.setLong(1, nowMillis);
                return delete.executeUpdate();
            }
        });
    }

    /** Every stored session, oldest first. */
    List<BrowserSession> all() {
        return db.withConnection("read browser sessions", connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT id_hash, actor, token_hash, csrf_token, created_at, expires_at, source, user_agent,"
                            + " user_token_id FROM browser_sessions ORDER BY created_at");
                    ResultSet row = select.executeQuery()) {
                List<BrowserSession> sessions = new ArrayList<>();
                while (row.next()) {
                    sessions.add(new BrowserSession(row.getString(1), row.getString(2), row.getString(3),
                            row.getString(4), row.getLong(5), row.getLong(6), row.getString(7), row.getString(8),
                            row.getString(9)));
                }
                return sessions;
            }
        });
    }
}
