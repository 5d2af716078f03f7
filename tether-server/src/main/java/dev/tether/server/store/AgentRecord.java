package dev.tether.server.store;

import java.util.List;
import java.util.Map;

/**
 * An agent as stored: identity, what it reported in its last Hello, its status
 * report and its configuration versions. Timestamps are epoch millis, null when
 * they never happened. Never holds the key or its hash.
 *
 * @param approval null when approved (or created directly), {@code pending} or {@code rejected} for an agent
 *     enrolled with a token that requires approval
 * @param holderNode the server node holding the agent's live connection, null when none does (offline)
 */
public record AgentRecord(
        String id,
        String name,
        Map<String, String> labels,
        long createdAt,
        Long revokedAt,
        Long lastSeen,
        Long connectedAt,
        String hostname,
        String os,
        String arch,
        String agentVersion,
        Map<String, String> reportedLabels,
        List<String> capabilities,
        String statusState,
        String statusMessage,
        long configVersion,
        long configAppliedVersion,
        String approval,
        String holderNode) {

    public static final String PENDING = "pending";
    public static final String REJECTED = "rejected";

    public boolean revoked() {
        return revokedAt != null;
    }

    public boolean pending() {
        return PENDING.equals(approval);
    }
}
