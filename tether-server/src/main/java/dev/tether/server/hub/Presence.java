package dev.tether.server.hub;

import dev.tether.protocol.v1.Heartbeat;

/**
 * An agent's live presence on this server.
 *
 * @param connectedSince epoch millis of the handshake
 * @param lastSeen epoch millis of the last frame
 * @param heartbeat the last heartbeat, null before the first
 * @param heartbeatAt epoch millis when the last heartbeat arrived, 0 before the first
 */
public record Presence(long connectedSince, long lastSeen, Heartbeat heartbeat, long heartbeatAt) {
}
