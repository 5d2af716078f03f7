package dev.tether.bench.generator;

import dev.tether.bench.sim.Credentials;
import dev.tether.bench.sim.Fleet;
import dev.tether.bench.sim.FleetConfig;
import dev.tether.bench.sim.FleetSnapshot;
import java.util.List;

/** A generator in this process: a {@link Fleet}. Thread safe. */
public final class LocalGenerator implements Generator {

    private final Fleet fleet;

    private LocalGenerator(Fleet fleet) {
        this.fleet = fleet;
    }

    public static LocalGenerator create(FleetConfig config, List<Credentials> agents) {
        return new LocalGenerator(Fleet.create(config, agents));
    }

    @Override
    public long pid() {
        return ProcessHandle.current().pid();
    }

    @Override
    public int size() {
        return fleet.size();
    }

    @Override
    public void connect(int count) {
        fleet.connect(count);
    }

    @Override
    public void publish(long perAgent, long pendingLimit) {
        fleet.publish(perAgent, pendingLimit);
    }

    @Override
    public void publish(int agents, long perAgent, long pendingLimit) {
        fleet.publish(agents, perAgent, pendingLimit);
    }

    @Override
    public void markCommands(long epochMicros) {
        fleet.markCommands(epochMicros);
    }

    @Override
    public FleetSnapshot snapshot() {
        return fleet.snapshot();
    }

    @Override
    public void close() {
        fleet.close();
    }
}
