/**
 * Interactive remote shells: PTY sessions a server opens over the agent's
 * connection (docs/protocol.md, "Shell sessions"; docs/agent-shell.md).
 * {@link dev.tether.agent.shell.ShellRegistry} answers the server's shell payloads
 * and holds the sessions; each {@code ShellSession} runs one program on a pty4j
 * PTY with a scrollback ring and credit-based flow control both ways; the
 * {@code ShellOutbox} hands their frames to the connection's writer, after its
 * control frames and reliable payloads.
 */
package dev.tether.agent.shell;
