/**
 * The Tether agent and its SDK: {@link dev.tether.agent.Agent} (start, publish events,
 * follow configuration, close), {@link dev.tether.agent.AgentConfig} and
 * {@link dev.tether.agent.Backoff}. The subpackages are the agent's parts:
 * {@code connection} (the WebSocket to the server), {@code state} (agent.db and
 * the config files), {@code config} (applying configuration), {@code events}
 * (event rules and lifecycle events), {@code metrics} (what heartbeats report) and
 * {@code json} (JSON checks).
 */
package dev.tether.agent;
