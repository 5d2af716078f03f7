package dev.tether.server.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;

/**
 * Hashes of the admin tokens the REST API accepts, in {@code admin_tokens},
 * each tagged with where it came from ({@code generated}, {@code env}, {@code dev}).
 *
 * <p>Blocking; thread safe (state lives in the database).
 */
public final class AdminTokenStore {

    private final Database db;

    public AdminTokenStore(Database db) {
        this.db = db;
    }

    public List<StoredToken> all() {
        return db.withConnection("read admin tokens", connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT token_hash, source FROM admin_tokens ORDER BY created_at");
                    ResultSet row = select.executeQuery()) {
                List<StoredToken> tokens = new ArrayList<>();
                while (row.next()) {
                    tokens.add(new StoredToken(row.getString(1), row.getString(2)));
                }
                return tokens;
            }
        });
    }

    /** Makes {@code hash} the only token of {@code source}. */
    public void replace(String source, String hash, long nowMillis) {
        db.inTransaction("store admin token", connection -> {
            try (PreparedStatement delete = connection.prepareStatement(
                    "DELETE FROM admin_tokens WHERE source = ? OR token_hash = ?")) {
                delete.setString(1, source);
                delete.setString(2, hash);
                delete.executeUpdate();
            }
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO admin_tokens (token_hash, source, created_at) VALUES (?, ?, ?)")) {
                insert.setString(1, hash);
                insert.setString(2, source);
                insert.setLong(3, nowMillis);
                insert.executeUpdate();
            }
            return null;
        });
    }

    /** Forgets every token of {@code source}. */
    public void removeSource(String source) {
        db.withConnection("remove admin tokens", connection -> {
            try (PreparedStatement delete = connection.prepareStatement(
                    "DELETE FROM admin_tokens WHERE source = ?")) {
                delete.setString(1, source);
                return delete.executeUpdate();
            }
        });
    }

    public record StoredToken(String hash, String source) {
    }
}
