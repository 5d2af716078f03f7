/**
 * The agent's control socket: {@code agent.sock} in the state dir, a Unix domain socket (mode 0600, only the
 * agent's user and root may connect) that {@code tether agent status} and {@code tether agent emit} talk to. The
 * agent still listens on no network port.
 */
package dev.tether.agent.control;
