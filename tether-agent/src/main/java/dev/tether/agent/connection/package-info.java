/**
 * The agent's one outbound connection: dialing with the key
 * ({@link dev.tether.agent.connection.Dialer}), the reconnect loop and its backoff
 * ({@link dev.tether.agent.connection.ConnectionManager}), one session's handshake,
 * reader and heartbeats ({@link dev.tether.agent.connection.Session}), the prioritised
 * writer ({@link dev.tether.agent.connection.Writer}); the WebSocket client itself, framing
 * apart from session state, is {@link dev.tether.agent.connection.websocket}.
 */
package dev.tether.agent.connection;
