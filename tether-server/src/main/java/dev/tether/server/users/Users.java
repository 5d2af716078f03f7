package dev.tether.server.users;

import dev.tether.server.audit.AuditEntry;
import dev.tether.server.audit.AuditLog;
import dev.tether.server.auth.OpenStreams;
import dev.tether.server.auth.Secrets;
import dev.tether.server.dispatch.Selector;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Operators: users with a role (and, for an operator, an optional scope of
 * agents), who sign in with a password for a personal API token with an
 * expiry ({@code tpt_...}, shown once, stored as SHA-256). Passwords are
 * hashed with Argon2id ({@link Passwords}). Every change is audited.
 *
 * <p>Blocking; thread safe.
 */
public final class Users {

    public static final String TOKEN_PREFIX = "tpt_";
    public static final Duration DEFAULT_TOKEN_TTL = Duration.ofDays(30);
    public static final Duration MAX_TOKEN_TTL = Duration.ofDays(365);
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._@-]{1,63}");

    private final UserStore store;
    private final AuditLog audit;
    private final OpenStreams openStreams = new OpenStreams();

    public Users(UserStore store, AuditLog audit) {
        this.store = store;
        this.audit = audit;
    }

    public UserStore store() {
        return store;
    }

    /** The streams users hold open, closed here when a user is disabled or a token revoked. */
    public OpenStreams openStreams() {
        return openStreams;
    }

    /**
     * Creates a user whose password was hashed already ({@link PasswordHasher#hash}, off the database threads).
     *
     * @throws IllegalArgumentException for a bad name, role or scope, or a taken name
     */
    public UserStore.User create(String name, String role, String scope, Passwords.Hashed password, String actor,
            String source) {
        if (name == null || !NAME.matcher(name).matches() || name.equals(Principal.BOOTSTRAP_ADMIN.name())) {
            throw new IllegalArgumentException("name must be 1-63 characters of letters, digits and . _ @ -, "
                    + "and not 'admin' (the admin token's name)");
        }
        Role parsed = Role.parse(role);
        Selector selector = scope == null || scope.isBlank() ? null : Selector.parse(scope);
        if (selector != null && parsed != Role.OPERATOR) {
            throw new IllegalArgumentException("only an operator has a scope: a viewer reads everything, an admin "
                    + "does everything");
        }
        UserStore.User user = new UserStore.User(UUID.randomUUID().toString(), name, parsed, selector,
                password.encoded(), System.currentTimeMillis(), null);
        if (!store.insert(user)) {
            throw new IllegalArgumentException("a user named '" + name + "' exists already");
        }
        audit.record(new AuditEntry.New(user.createdAt(), actor, "user.create", user.id(), source,
                new JsonObject().put("name", name).put("role", parsed.wire()).put("scope", scope)));
        return user;
    }

    /** A personal token and its secret (shown once). */
    public record Issued(UserStore.Token token, String secret) {
    }

    /**
     * Who is signing in, read before the password is checked (on a {@link PasswordHasher}, never here).
     *
     * @param user the user of that name, if any
     * @param passwordHash the hash to check the password against: a dummy one for an unknown user, so the time
     *     taken does not tell which names exist
     */
    public record LoginCandidate(Optional<UserStore.User> user, String passwordHash) {
    }

    /** The first step of a login: the user of that name and the hash to check. Blocking (database). */
    public LoginCandidate candidate(String name) {
        Optional<UserStore.User> user = store.byName(name == null ? "" : name);
        return new LoginCandidate(user, user.map(UserStore.User::passwordHash).orElse(DUMMY_HASH));
    }

    /**
     * The last step of a login, once the password was checked: a new token, or empty when the name or password
     * is wrong or the user is disabled. Audited either way. Blocking (database).
     */
    public Optional<Issued> finishLogin(String name, LoginCandidate candidate, boolean passwordMatched,
            Duration ttl, String tokenName, String source) {
        Optional<UserStore.User> user = candidate.user();
        if (user.isEmpty() || !passwordMatched || user.get().disabledAt() != null) {
            audit.record(new AuditEntry.New(System.currentTimeMillis(), String.valueOf(name), "user.login_failed", null,
                    source, new JsonObject()));
            return Optional.empty();
        }
        Issued issued = issueToken(user.get(), tokenName == null ? "login" : tokenName, ttl);
        audit.record(new AuditEntry.New(System.currentTimeMillis(), name, "user.login", user.get().id(), source,
                new JsonObject().put("token", issued.token().id())));
        return Optional.of(issued);
    }

    /** A token the user asked for (not a login): audited as {@code token.create}. */
    public Issued createToken(UserStore.User user, String name, Duration ttl, String source) {
        Issued issued = issueToken(user, name, ttl);
        audit.record(new AuditEntry.New(System.currentTimeMillis(), user.name(), "token.create", issued.token().id(),
                source, new JsonObject().put("name", name).put("expires_at", issued.token().expiresAt())));
        return issued;
    }

    public Issued issueToken(UserStore.User user, String name, Duration ttl) {
        long now = System.currentTimeMillis();
        String secret = TOKEN_PREFIX + Secrets.newCsrfToken();
        UserStore.Token token = new UserStore.Token("tok_" + UUID.randomUUID().toString().replace("-", ""),
                user.id(), name, now, now + ttl.toMillis(), null);
        store.insertToken(token, Secrets.hash(secret));
        return new Issued(token, secret);
    }

    /** The principal behind a personal token, when it is live and its user enabled. */
    public Optional<Principal> authenticate(String secret) {
        if (secret == null || !secret.startsWith(TOKEN_PREFIX)) {
            return Optional.empty();
        }
        return store.ownerOfToken(Secrets.hash(secret), System.currentTimeMillis()).map(UserStore.User::principal);
    }

    public List<UserStore.Token> tokens(String userName) {
        return store.byName(userName).map(user -> store.tokens(user.id())).orElse(List.of());
    }

    /** Revokes without an audit entry of its own (the caller writes one, as sign-out does). */
    public boolean revokeToken(String userName, String tokenId) {
        boolean revoked = store.byName(userName)
                .map(user -> store.revokeToken(user.id(), tokenId, System.currentTimeMillis())).orElse(false);
        if (revoked) {
            // What the revoked token opened no longer authenticates: close it (the user's other tokens still do).
            openStreams.closeWhere(userName, hash -> store.ownerOfToken(hash, System.currentTimeMillis()).isEmpty());
        }
        return revoked;
    }

    /** Revokes one of the user's tokens, audited as {@code token.revoke}. */
    public boolean revokeToken(String userName, String tokenId, String source) {
        boolean revoked = revokeToken(userName, tokenId);
        if (revoked) {
            audit.record(new AuditEntry.New(System.currentTimeMillis(), userName, "token.revoke", tokenId, source,
                    new JsonObject()));
        }
        return revoked;
    }

    /** Disables a user: their tokens stop working, and what they hold open closes, at once. */
    public boolean disable(String name, String actor, String source) {
        Optional<UserStore.User> user = store.byName(name);
        if (user.isEmpty() || !store.disable(user.get().id(), System.currentTimeMillis())) {
            return false;
        }
        openStreams.closeUser(name);
        audit.record(new AuditEntry.New(System.currentTimeMillis(), actor, "user.disable", user.get().id(), source,
                new JsonObject().put("name", name)));
        return true;
    }

    /** A valid hash of a random password, compared against when the user does not exist. */
    private static final String DUMMY_HASH = Passwords.hash(UUID.randomUUID().toString());
}
