package dev.tether.server.enroll;

import dev.tether.server.store.Database;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Enrollment tokens in {@code enrollment_tokens}, looked up by the SHA-256 of
 * the presented token. Blocking; thread safe (state lives in the database).
 */
public final class EnrollmentTokenStore {

    private static final String COLUMNS = "id, description, labels, max_uses, uses, require_approval, created_by,"
            + " created_at, expires_at, revoked_at";

    private final Database db;

    public EnrollmentTokenStore(Database db) {
        this.db = db;
    }

    void insert(EnrollmentToken token, String tokenHash) {
        db.withConnection("create enrollment token", connection -> {
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO enrollment_tokens (" + COLUMNS
                    + ", token_hash) VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, NULL, ?)")) {
                insert.setString(1, token.id());
                insert.setString(2, token.description());
                insert.setString(3, labels(token.labels()));
                insert.setLong(4, token.maxUses());
                insert.setInt(5, token.requireApproval() ? 1 : 0);
                insert.setString(6, token.createdBy());
                insert.setLong(7, token.createdAt());
                insert.setLong(8, token.expiresAt());
                insert.setString(9, tokenHash);
                return insert.executeUpdate();
            }
        });
    }

    public List<EnrollmentToken> list() {
        return db.withConnection("list enrollment tokens", connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT " + COLUMNS + " FROM enrollment_tokens ORDER BY created_at DESC")) {
                return rows(select);
            }
        });
    }

    public Optional<EnrollmentToken> find(String id) {
        return db.withConnection("find enrollment token", connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT " + COLUMNS + " FROM enrollment_tokens WHERE id = ?")) {
                select.setString(1, id);
                return rows(select).stream().findFirst();
            }
        });
    }

    /** The token with this hash, locked for the caller's transaction where the database can. */
    static Optional<EnrollmentToken> findByHashIn(Connection connection, String tokenHash, boolean forUpdate)
            throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT " + COLUMNS
                + " FROM enrollment_tokens WHERE token_hash = ?" + (forUpdate ? " FOR UPDATE" : ""))) {
            select.setString(1, tokenHash);
            return rows(select).stream().findFirst();
        }
    }

    static void countUseIn(Connection connection, String id) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE enrollment_tokens SET uses = uses + 1 WHERE id = ?")) {
            update.setString(1, id);
            update.executeUpdate();
        }
    }

    /** @return false when there is no such token or it was revoked already */
    public boolean revoke(String id, long nowMillis) {
        return db.withConnection("revoke enrollment token", connection -> {
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE enrollment_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")) {
                update.setLong(1, nowMillis);
                update.setString(2, id);
                return update.executeUpdate() == 1;
            }
        });
    }

    private static List<EnrollmentToken> rows(PreparedStatement select) throws SQLException {
        List<EnrollmentToken> tokens = new ArrayList<>();
        try (ResultSet row = select.executeQuery()) {
            while (row.next()) {
                long revoked = row.getLong(10);
                Long revokedAt = row.wasNull() ? null : revoked;
                tokens.add(new EnrollmentToken(row.getString(1), row.getString(2), labels(row.getString(3)),
                        row.getLong(4), row.getLong(5), row.getInt(6) == 1, row.getString(7), row.getLong(8),
                        row.getLong(9), revokedAt));
            }
        }
        return tokens;
    }

    private static String labels(Map<String, String> labels) {
        JsonObject json = new JsonObject();
        labels.forEach(json::put);
        return json.encode();
    }

    private static Map<String, String> labels(String json) {
        Map<String, String> labels = new LinkedHashMap<>();
        new JsonObject(json).forEach(entry -> labels.put(entry.getKey(), String.valueOf(entry.getValue())));
        return Map.copyOf(labels);
    }
}
