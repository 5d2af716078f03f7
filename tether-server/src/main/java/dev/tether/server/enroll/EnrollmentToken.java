package dev.tether.server.enroll;

import java.util.Map;

/**
 * An enrollment token as stored (never the token itself). Times in epoch millis.
 *
 * @param maxUses agents it may enrol, 0 for no limit
 * @param revokedAt null unless revoked
 */
public record EnrollmentToken(String id, String description, Map<String, String> labels, long maxUses, long uses,
        boolean requireApproval, String createdBy, long createdAt, long expiresAt, Long revokedAt) {

    /** Why the token cannot enrol an agent now, or null when it can. */
    String refusal(long nowMillis) {
        if (revokedAt != null) {
            return "this enrollment token was revoked: ask an operator for a new one";
        }
        if (nowMillis >= expiresAt) {
            return "this enrollment token expired: ask an operator for a new one";
        }
        if (maxUses > 0 && uses >= maxUses) {
            return "this enrollment token has enrolled its " + maxUses + " agent(s) already: ask an operator for "
                    + "a new one";
        }
        return null;
    }

    /** {@code active}, {@code revoked}, {@code expired} or {@code exhausted}. */
    public String state(long nowMillis) {
        if (revokedAt != null) {
            return "revoked";
        }
        if (nowMillis >= expiresAt) {
            return "expired";
        }
        return maxUses > 0 && uses >= maxUses ? "exhausted" : "active";
    }
}
