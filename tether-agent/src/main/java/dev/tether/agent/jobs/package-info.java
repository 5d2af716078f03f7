/**
 * Commands and jobs: {@link dev.tether.agent.jobs.Jobs} accepts the server's
 * command requests and cancels, records each job in {@code agent.db} before any
 * work starts, runs it on a bounded pool and reports its start, output and end as
 * reliable job events. The built-in command types are here (exec, health_check,
 * config, self_update); custom ones come through the SDK
 * ({@link dev.tether.agent.CommandHandler}).
 */
package dev.tether.agent.jobs;
