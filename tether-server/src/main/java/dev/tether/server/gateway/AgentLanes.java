package dev.tether.server.gateway;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * One {@link Lane} per agent with a connection here, shared by all of that
 * agent's connections. Because an agent's handshakes and reliable applies run
 * on one lane, a new connection reads the agent's applied seq only after the
 * connection it replaces has finished every transaction it had started.
 *
 * <p>Reference counted: a lane lives while a connection of its agent has not
 * released it. Thread safe: each entry's count is changed inside the map's
 * per-key atomic {@code compute}.
 */
final class AgentLanes {

    private final Executor pool;
    private final Map<String, Lane> lanes = new ConcurrentHashMap<>();

    AgentLanes(Executor pool) {
        this.pool = pool;
    }

    Lane acquire(String agentId) {
        return lanes.compute(agentId, (id, lane) -> {
            Lane acquired = lane == null ? new Lane(pool) : lane;
            acquired.users++;
            return acquired;
        });
    }

    /** Call as the connection's last task on the lane. */
    void release(String agentId) {
        lanes.computeIfPresent(agentId, (id, lane) -> --lane.users == 0 ? null : lane);
    }

    int size() {
        return lanes.size();
    }
}
