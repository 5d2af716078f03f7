package dev.tether.agent.state;

/**
 * The agent's single row of state, as last committed.
 *
 * @param agentId the server's id for this agent, from the last Welcome; null before the first handshake
 * @param agentName the server's name for this agent; null before the first handshake
 * @param sessionId the last session's id; null before the first handshake
 * @param configVersion the last applied configuration version, 0 when none
 * @param configJson that configuration's JSON, null when none
 * @param appliedServerSeq the highest server-to-agent seq applied
 * @param appliedServerStamp the stamp of the payload at {@code appliedServerSeq}, 0 when unknown
 */
public record StoredState(String agentId, String agentName, String sessionId, long configVersion,
        String configJson, long appliedServerSeq, long appliedServerStamp) {
}
