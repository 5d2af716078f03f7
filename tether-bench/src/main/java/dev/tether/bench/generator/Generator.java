package dev.tether.bench.generator;

import dev.tether.bench.sim.FleetSnapshot;

/**
 * A share of the simulated fleet: in this process ({@link LocalGenerator}) or
 * in a child process ({@link WorkerProcess}). Implementations are thread safe.
 */
public interface Generator extends AutoCloseable {

    /** The process that carries the agents (this one for a local generator). */
    long pid();

    /** Agents this generator simulates. */
    int size();

    /** Connects the first {@code count} of its agents (more than before; never disconnects). */
    void connect(int count);

    /** Every agent publishes {@code perAgent} events, at most {@code pendingLimit} unacknowledged at a time. */
    void publish(long perAgent, long pendingLimit);

    /** Only its first {@code agents} agents publish. */
    void publish(int agents, long perAgent, long pendingLimit);

    /** Times commands from {@code epochMicros} on (see {@code Fleet.markCommands}); returns once in place. */
    void markCommands(long epochMicros);

    FleetSnapshot snapshot();

    /** Disconnects every agent and releases the generator. */
    @Override
    void close();
}
