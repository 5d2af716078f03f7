package dev.tether.server.enroll;

import dev.tether.server.audit.AuditEntry;
import dev.tether.server.audit.AuditLog;
import dev.tether.server.auth.Secrets;
import dev.tether.server.store.AgentRecord;
import dev.tether.server.store.AgentStore;
import dev.tether.server.store.Database;
import io.vertx.core.json.JsonObject;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * How a fleet joins: operators create enrollment tokens (labels, lifetime, how
 * many agents, whether each needs approval); an agent presents one once and
 * gets a key of its own, which it uses from then on. Redeeming a token, counting
 * the use and creating the agent happen in one transaction, so a token with
 * {@code max_uses = N} enrols exactly N agents however many race for it.
 *
 * <p>Blocking; thread safe.
 */
public final class Enrollment {

    /** Longest lifetime of a token. */
    public static final Duration MAX_TTL = Duration.ofDays(365);
    private static final char[] ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Database db;
    private final EnrollmentTokenStore tokens;
    private final AuditLog audit;

    public Enrollment(Database db, EnrollmentTokenStore tokens, AuditLog audit) {
        this.db = db;
        this.tokens = tokens;
        this.audit = audit;
    }

    /** A token and the secret to hand out (shown once). */
    public record Issued(EnrollmentToken token, String secret) {
    }

    public Issued issue(String description, Map<String, String> labels, Duration ttl, long maxUses,
            boolean requireApproval, String actor, String source) {
        long now = System.currentTimeMillis();
        String secret = Secrets.newEnrollmentToken();
        EnrollmentToken token = new EnrollmentToken(newId(), description, Map.copyOf(labels), maxUses, 0,
                requireApproval, actor, now, now + ttl.toMillis(), null);
        tokens.insert(token, Secrets.hash(secret));
        audit.record(new AuditEntry.New(now, actor, "enrollment_token.create", token.id(), source, new JsonObject()
                .put("labels", new JsonObject(Map.copyOf(labels))).put("max_uses", maxUses)
                .put("require_approval", requireApproval).put("expires_at", token.expiresAt())));
        return new Issued(token, secret);
    }

    /** What an agent gets for a valid token. */
    public record Enrolled(String agentId, String name, String key, boolean pending) {
    }

    /** Why a token was refused. */
    public static final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final boolean unknown;

        Refused(boolean unknown, String message) {
            super(message);
            this.unknown = unknown;
        }

        /** True when no such token exists (401), false when it exists but cannot be used (403). */
        public boolean unknown() {
            return unknown;
        }
    }

    /**
     * Enrols an agent with {@code secret}: a new agent named {@code name} (made unique with a suffix when
     * taken) with the token's labels and a key of its own.
     *
     * @throws Refused when the token is unknown, revoked, expired or used up
     */
    public Enrolled redeem(String secret, String name, String source) {
        String tokenHash = Secrets.hash(secret);
        String key = Secrets.newAgentKey();
        String agentId = UUID.randomUUID().toString();
        long now = System.currentTimeMillis();
        return db.inTransaction("enrol agent", connection -> {
            Optional<EnrollmentToken> found = EnrollmentTokenStore.findByHashIn(connection, tokenHash,
                    db.dialect() == dev.tether.server.store.Dialect.POSTGRESQL);
            if (found.isEmpty()) {
                throw new Refused(true, "unknown enrollment token: check the token file, or ask an operator for one");
            }
            EnrollmentToken token = found.get();
            String refusal = token.refusal(now);
            if (refusal != null) {
                throw new Refused(false, refusal);
            }
            EnrollmentTokenStore.countUseIn(connection, token.id());
            String approval = token.requireApproval() ? AgentRecord.PENDING : null;
            String unique = name;
            while (!AgentStore.insertEnrolledIn(connection, agentId, unique, token.labels(), Secrets.hash(key),
                    approval, token.id(), now)) {
                unique = suffixed(name);
            }
            AuditLog.insert(connection, new AuditEntry.New(now, "enrollment:" + token.id(), "agent.enroll", agentId,
                    source, new JsonObject().put("name", unique).put("pending", token.requireApproval())));
            return new Enrolled(agentId, unique, key, token.requireApproval());
        });
    }

    private static String suffixed(String name) {
        byte[] bytes = new byte[2];
        RANDOM.nextBytes(bytes);
        String base = name.length() > 58 ? name.substring(0, 58) : name;
        return base + "-" + HexFormat.of().formatHex(bytes);
    }

    private static String newId() {
        StringBuilder id = new StringBuilder("etk_");
        for (int i = 0; i < 26; i++) {
            id.append(ID_ALPHABET[RANDOM.nextInt(ID_ALPHABET.length)]);
        }
        return id.toString();
    }
}
