/**
 * Everything the agent keeps on disk, in its state dir: {@code agent.db}
 * ({@link dev.tether.agent.state.StateStore}, format documented there), its outbox
 * ({@link dev.tether.agent.state.SqliteOutbox}) and the config files
 * ({@link dev.tether.agent.state.ConfigFiles}), all readable by the agent's user only.
 */
package dev.tether.agent.state;
