/**
 * The agent's one outbound connection: dialing with the key
 * ({@link dev.tether.agent.connection.Dialer}), the reconnect loop and its backoff
 * ({@link dev.tether.agent.connection.ConnectionManager}), one session's handshake,
 * reader and heartbeats ({@link dev.tether.agent.connection.Session}), the prioritised
 * writer ({@link dev.tether.agent.connection.Writer}) and the framing apart from
 * session state ({@link dev.tether.agent.connection.WebSocketInbox},
 * {@link dev.tether.agent.connection.FrameAssembler}).
 */
package dev.tether.agent.connection;
