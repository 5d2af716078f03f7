package dev.tether.bench.scenario;

import dev.tether.bench.generator.GeneratorSet;
import dev.tether.bench.sim.Credentials;
import dev.tether.bench.sim.FleetConfig;
import dev.tether.bench.sim.FleetSnapshot;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * The simulated agents of the cluster scenario, in two parts: most are given every node's URL directly (agent i
 * dials node i mod n first, and the next node on each later attempt), a share dials HAProxy. HAProxy is one
 * process with two descriptors per connection, so it cannot carry tens of thousands of agents on this machine;
 * the direct part spreads the rest evenly. Thread safe, as {@link GeneratorSet} is.
 */
final class ClusterFleet {

    private final List<GeneratorSet> parts;
    private final int direct;
    private final int balanced;

    private ClusterFleet(List<GeneratorSet> parts, int direct, int balanced) {
        this.parts = List.copyOf(parts);
        this.direct = direct;
        this.balanced = balanced;
    }

    /** Starts the generators (agents not dialled yet): the first {@code balanced} agents go through HAProxy. */
    static ClusterFleet start(BenchRun bench, BenchCluster cluster, List<Credentials> agents, int balanced,
            int maxInFlight) throws IOException {
        FleetConfig base = bench.fleetConfig(cluster.node(0), 0, maxInFlight, 0);
        List<GeneratorSet> parts = new ArrayList<>();
        if (balanced > 0) {
            parts.add(bench.generators(base.withServers(List.of(cluster.balancedAgentUri())),
                    agents.subList(0, balanced)));
        }
        if (balanced < agents.size()) {
            List<URI> nodes = cluster.agentUris();
            parts.add(bench.generators(base.withServers(nodes), agents.subList(balanced, agents.size())));
        }
        return new ClusterFleet(parts, agents.size() - balanced, balanced);
    }

    int size() {
        return direct + balanced;
    }

    int direct() {
        return direct;
    }

    int balanced() {
        return balanced;
    }

    void connectAll() {
        parts.forEach(p -> p.connect(p.size()));
    }

    void markCommands(long epochMicros) {
        parts.parallelStream().forEach(p -> p.markCommands(epochMicros));
    }

    FleetSnapshot snapshot() {
        return FleetSnapshot.merge(parts.parallelStream().map(GeneratorSet::snapshot).toList());
    }

    /** The generator processes' pids (the bench's own when a part runs in process). */
    List<Long> pids() {
        return parts.stream().flatMap(p -> p.pids().stream()).distinct().toList();
    }
}
