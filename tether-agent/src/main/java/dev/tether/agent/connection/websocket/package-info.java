/**
 * The agent's own RFC 6455 client, over a blocking plain or TLS socket: the upgrade
 * ({@link dev.tether.agent.connection.websocket.Upgrade}), framing apart from session state
 * ({@link dev.tether.agent.connection.websocket.FrameReader},
 * {@link dev.tether.agent.connection.websocket.FrameWriter},
 * {@link dev.tether.agent.connection.websocket.WebSocketProtocol}) and the connection they make
 * ({@link dev.tether.agent.connection.websocket.WebSocket}). The session's own threads read and write it;
 * the client has none.
 */
package dev.tether.agent.connection.websocket;
