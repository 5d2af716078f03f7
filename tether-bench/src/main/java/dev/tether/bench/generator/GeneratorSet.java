package dev.tether.bench.generator;

import dev.tether.bench.sim.Credentials;
import dev.tether.bench.sim.FleetConfig;
import dev.tether.bench.sim.FleetSnapshot;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The whole simulated fleet, split over {@code count} generators: in this
 * process when one is enough, otherwise one child process each (the fleet's
 * agents and source addresses divided between them). Thread safe.
 */
public final class GeneratorSet implements AutoCloseable {

    private final List<Generator> generators;

    private GeneratorSet(List<Generator> generators) {
        this.generators = List.copyOf(generators);
    }

    /**
     * @param processes 1 for an in-process fleet; more for child processes
     * @param workDir spec files and child logs
     * @param deadlineEpochMillis when child processes exit by themselves
     */
    public static GeneratorSet start(FleetConfig config, List<Credentials> agents, int processes, Path workDir,
            List<String> childJvmOptions, long deadlineEpochMillis) throws IOException {
        if (processes <= 1) {
            return new GeneratorSet(List.of(LocalGenerator.create(config, agents)));
        }
        List<Generator> started = new ArrayList<>();
        // The ramp's rate and in-flight bound are for the whole fleet: each process gets its share.
        FleetConfig share = config.withRamp(ceilDiv(config.rampPerSecond(), processes),
                Math.max(1, ceilDiv(config.maxInFlight(), processes)));
        try {
            List<InetAddress> sources = config.sourceAddresses();
            for (int i = 0; i < processes; i++) {
                List<Credentials> own = agents.subList(agents.size() * i / processes,
                        agents.size() * (i + 1) / processes);
                List<InetAddress> ownSources = sources.size() >= processes
                        ? sources.subList(sources.size() * i / processes, sources.size() * (i + 1) / processes)
                        : sources;
                WorkerSpec spec = new WorkerSpec(share.withSourceAddresses(ownSources), own, deadlineEpochMillis);
                started.add(WorkerProcess.start(spec, workDir, i + 1, childJvmOptions));
            }
        } catch (IOException | RuntimeException e) {
            started.forEach(Generator::close);
            throw e;
        }
        return new GeneratorSet(started);
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    public int size() {
        return generators.stream().mapToInt(Generator::size).sum();
    }

    /** The processes carrying the agents, to read their CPU use. */
    public List<Long> pids() {
        return generators.stream().map(Generator::pid).distinct().toList();
    }

    public int processes() {
        return generators.size();
    }

    /** Connects the first {@code count} agents of the fleet, shared out in proportion to each generator's size. */
    public void connect(int count) {
        int total = size();
        int given = 0;
        int seen = 0;
        for (Generator g : generators) {
            seen += g.size();
            int upTo = (int) ((long) Math.min(count, total) * seen / total);
            // Each generator's share is cumulative like the whole: "its first n agents".
            g.connect(upTo - given);
            given = upTo;
        }
    }

    public void publish(long perAgent, long pendingLimit) {
        generators.forEach(g -> g.publish(perAgent, pendingLimit));
    }

    /** The first generator's first {@code agents} agents publish. */
    public void publishOnFirst(int agents, long perAgent, long pendingLimit) {
        generators.get(0).publish(agents, perAgent, pendingLimit);
    }

    /** Every generator times commands from {@code epochMicros}; returns once all have the mark. */
    public void markCommands(long epochMicros) {
        generators.parallelStream().forEach(g -> g.markCommands(epochMicros));
    }

    /** Snapshots of every generator, taken in parallel and merged. */
    public FleetSnapshot snapshot() {
        List<CompletableFuture<FleetSnapshot>> parts = generators.stream()
                .map(g -> CompletableFuture.supplyAsync(g::snapshot)).toList();
        return FleetSnapshot.merge(parts.stream().map(CompletableFuture::join).toList());
    }

    @Override
    public void close() {
        generators.parallelStream().forEach(Generator::close);
    }
}
