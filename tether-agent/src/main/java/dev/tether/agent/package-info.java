/**
 * The Tether agent and its SDK: {@link dev.tether.agent.Agent} (start, publish events,
 * follow configuration, add command types and health checks, close),
 * {@link dev.tether.agent.AgentConfig}, {@link dev.tether.agent.Backoff}, and for
 * custom commands {@link dev.tether.agent.CommandHandler},
 * {@link dev.tether.agent.JobContext}, {@link dev.tether.agent.JobResult} and
 * {@link dev.tether.agent.HealthCheck}. The subpackages are the agent's parts:
 * {@code connection} (the WebSocket to the server), {@code state} (agent.db and
 * the config files), {@code config} (applying configuration), {@code jobs}
 * (commands and jobs), {@code events} (event rules and lifecycle events),
 * {@code metrics} (what heartbeats report) and {@code json} (JSON checks).
 */
package dev.tether.agent;
