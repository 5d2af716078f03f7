package dev.tether.server.users;

import dev.tether.server.dispatch.Selector;
import dev.tether.server.store.Database;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Users and their personal API tokens, in {@code users} and {@code api_tokens}.
 * Blocking; thread safe (state lives in the database).
 */
public final class UserStore {

    private static final String USER_COLUMNS = "id, name, role, scope, password_hash, created_at, disabled_at";

    private final Database db;

    public UserStore(Database db) {
        this.db = db;
    }

    /** A user as stored; {@code passwordHash} never leaves the server. */
    public record User(String id, String name, Role role, Selector scope, String passwordHash, long createdAt,
            Long disabledAt) {

        public Principal principal() {
            return new Principal(name, role, scope);
        }
    }

    /** A personal token as stored (never the token). */
    public record Token(String id, String userId, String name, long createdAt, long expiresAt, Long revokedAt) {
    }

    /** @return false when the name is taken */
    boolean insert(User user) {
        return db.withConnection("create user", connection -> {
            try (PreparedStatement taken = connection.prepareStatement("SELECT 1 FROM users WHERE name = ?")) {
                taken.setString(1, user.name());
                try (ResultSet row = taken.executeQuery()) {
                    if (row.next()) {
                        return false;
                    }
                }
            }
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO users (" + USER_COLUMNS
                    + ") VALUES (?, ?, ?, ?, ?, ?, NULL)")) {
                insert.setString(1, user.id());
                insert.setString(2, user.name());
                insert.setString(3, user.role().wire());
                insert.setString(4, user.scope() == null ? null : user.scope().text());
                insert.setString(5, user.passwordHash());
                insert.setLong(6, user.createdAt());
                return insert.executeUpdate() == 1;
            }
        });
    }

    public Optional<User> byName(String name) {
        return users("SELECT " + USER_COLUMNS + " FROM users WHERE name = ?", name).stream().findFirst();
    }

    public List<User> list() {
        return users("SELECT " + USER_COLUMNS + " FROM users ORDER BY name", null);
    }

    boolean disable(String id, long nowMillis) {
        return db.withConnection("disable user", connection -> {
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE users SET disabled_at = ? WHERE id = ? AND disabled_at IS NULL")) {
                update.setLong(1, nowMillis);
                update.setString(2, id);
                return update.executeUpdate() == 1;
            }
        });
    }

    void insertToken(Token token, String tokenHash) {
        db.withConnection("create api token", connection -> {
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO api_tokens (id, user_id, name,"
                    + " token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)")) {
                insert.setString(1, token.id());
                insert.setString(2, token.userId());
                insert.setString(3, token.name());
                insert.setString(4, tokenHash);
                insert.setLong(5, token.createdAt());
                insert.setLong(6, token.expiresAt());
                return insert.executeUpdate();
            }
        });
    }

    /** The enabled user owning a live (unexpired, unrevoked) token with this hash. */
    Optional<User> ownerOfToken(String tokenHash, long nowMillis) {
        return db.withConnection("authenticate api token", connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT u.id, u.name, u.role, u.scope,"
                    + " u.password_hash, u.created_at, u.disabled_at FROM api_tokens t JOIN users u ON u.id = t.user_id"
                    + " WHERE t.token_hash = ? AND t.revoked_at IS NULL AND t.expires_at > ? AND u.disabled_at IS NULL")) {
                select.setString(1, tokenHash);
                select.setLong(2, nowMillis);
                return read(select).stream().findFirst();
            }
        });
    }

    List<Token> tokens(String userId) {
        return db.withConnection("list api tokens", connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT id, user_id, name, created_at,"
                    + " expires_at, revoked_at FROM api_tokens WHERE user_id = ? ORDER BY created_at DESC")) {
                select.setString(1, userId);
                List<Token> tokens = new ArrayList<>();
                try (ResultSet row = select.executeQuery()) {
                    while (row.next()) {
                        long revoked = row.getLong(6);
                        tokens.add(new Token(row.getString(1), row.getString(2), row.getString(3), row.getLong(4),
                                row.getLong(5), row.wasNull() ? null : revoked));
                    }
                }
                return tokens;
            }
        });
    }

    /** @return false unless the user had this token unrevoked */
    boolean revokeToken(String userId, String tokenId, long nowMillis) {
        return db.withConnection("revoke api token", connection -> {
            try (PreparedStatement update = connection.prepareStatement("UPDATE api_tokens SET revoked_at = ?"
                    + " WHERE id = ? AND user_id = ? AND revoked_at IS NULL")) {
                update.setLong(1, nowMillis);
                update.setString(2, tokenId);
                update.setString(3, userId);
                return update.executeUpdate() == 1;
            }
        });
    }

    private List<User> users(String sql, String parameter) {
        return db.withConnection("find users", connection -> {
            try (PreparedStatement select = connection.prepareStatement(sql)) {
                if (parameter != null) {
                    select.setString(1, parameter);
                }
                return read(select);
            }
        });
    }

    private static List<User> read(PreparedStatement select) throws SQLException {
        List<User> users = new ArrayList<>();
        try (ResultSet row = select.executeQuery()) {
            while (row.next()) {
                String scope = row.getString(4);
                long disabled = row.getLong(7);
                Long disabledAt = row.wasNull() ? null : disabled;
                users.add(new User(row.getString(1), row.getString(2), Role.parse(row.getString(3)),
                        scope == null ? null : Selector.parse(scope), row.getString(5), row.getLong(6), disabledAt));
            }
        }
        return users;
    }
}
