package dev.tether.server.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Agent keys and admin tokens: generation, hashing and comparison.
 *
 * <p>Formats: an agent key is {@code tak_} + base64url(32 random bytes), an
 * admin token {@code tat_} + base64url(32 random bytes), a browser session id
 * {@code tss_} + base64url(32 random bytes), all unpadded. Only
 * their SHA-256, as lowercase hex, is ever stored. Secrets never go into logs
 * or exception messages. Thread safe.
 */
public final class Secrets {

    public static final String AGENT_KEY_PREFIX = "tak_";
    public static final String ADMIN_TOKEN_PREFIX = "tat_";
    public static final String ENROLLMENT_TOKEN_PREFIX = "tet_";
    public static final String SESSION_ID_PREFIX = "tss_";
    private static final int SECRET_BYTES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    private Secrets() {
    }

    public static String newAgentKey() {
        return AGENT_KEY_PREFIX + randomBase64Url();
    }

    public static String newAdminToken() {
        return ADMIN_TOKEN_PREFIX + randomBase64Url();
    }

    /** An enrollment token ({@code tet_} + base64url(32 random bytes)): shown once, stored as SHA-256. */
    public static String newEnrollmentToken() {
        return ENROLLMENT_TOKEN_PREFIX + randomBase64Url();
    }

    /** A browser session id: what the session cookie carries ({@code tss_} + base64url(32 random bytes)). */
    public static String newSessionId() {
        return SESSION_ID_PREFIX + randomBase64Url();
    }

    /** A browser session's anti-CSRF token (base64url(32 random bytes)). */
    public static String newCsrfToken() {
        return randomBase64Url();
    }

    /** Lowercase hex SHA-256 of the secret's UTF-8 bytes. */
    public static String hash(String secret) {
        return HexFormat.of().formatHex(sha256(secret.getBytes(StandardCharsets.UTF_8)));
    }

    /** Compares two hashes in time independent of where they differ. */
    public static boolean hashesEqual(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.US_ASCII), b.getBytes(StandardCharsets.US_ASCII));
    }

    /** The bearer credential of an {@code Authorization} header value, or null when absent or malformed. */
    public static String bearer(String authorization) {
        if (authorization == null || authorization.length() <= 7
                || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String credential = authorization.substring(7).trim();
        return credential.isEmpty() ? null : credential;
    }

    private static String randomBase64Url() {
        byte[] bytes = new byte[SECRET_BYTES];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
