package dev.tether.bench.scenario;

import dev.tether.bench.DurationConverter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tether bench fanout}: one command to N agents through the durable
 * path (jobs stored, then dispatched over each agent's reliable channel), timed
 * from the API call to each agent's receipt and acknowledgement, and to each
 * job's end on record (the server's ack of the agent's JobFinished); then one
 * QoS 1 publish to N subscribers on Mosquitto, timed to each delivery.
 */
@Command(name = "fanout", mixinStandardHelpOptions = true,
        description = {"One command to N agents: API call to each agent's ack and to each job's end; "
                + "the same fan-out as one QoS 1 publish to N MQTT subscribers on Mosquitto."})
public final class FanoutScenario implements Callable<Integer> {

    /**
     * The target: p99 from the API call to the agent's ack, at 10,000 agents (the second performance rung's; the
     * first asked for 1 s).
     */
    static final Duration TARGET_P99 = Duration.ofMillis(500);
    static final int TARGET_AGENTS = 10_000;

    @Mixin
    RunOptions run;

    @Option(names = "--agents", paramLabel = "N", defaultValue = "10000",
            description = "agents at the last step (default: ${DEFAULT-VALUE}; the commands API lists at most "
                    + "10,000 agents per command)")
    int agents;

    @Option(names = "--steps", paramLabel = "N,N,...", split = ",",
            description = "sizes to measure at (default: 1000, 5000 below N, and N)")
    List<Integer> steps;

    @Option(names = "--rounds", paramLabel = "R", defaultValue = "3",
            description = "commands measured at each size, one after the other (default: ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--warm-up", paramLabel = "R", defaultValue = "2",
            description = "unmeasured commands first, at the first size, so the JIT has compiled the path "
                    + "(default: ${DEFAULT-VALUE})")
    int warmUp;

    @Option(names = "--round-timeout", paramLabel = "DURATION", defaultValue = "2m",
            converter = DurationConverter.class,
            description = "give up on a round when its jobs have not all ended by then (default: ${DEFAULT-VALUE})")
    Duration roundTimeout;

    @Option(names = "--max-in-flight", paramLabel = "N", defaultValue = "256",
            description = "handshakes (MQTT: connects) in progress at once while connecting (default: "
                    + "${DEFAULT-VALUE})")
    int maxInFlight;

    @Option(names = "--no-peer", description = "skip the Mosquitto side")
    boolean noPeer;

    @Option(names = "--store", paramLabel = "sqlite|postgresql", defaultValue = "sqlite",
            description = "the server's database; postgresql starts a throwaway PostgreSQL "
                    + "(default: ${DEFAULT-VALUE})")
    String store;

    @Override
    public Integer call() throws Exception {
        if (agents < 1 || agents > TARGET_AGENTS || rounds < 1 || warmUp < 0
                || !List.of("sqlite", "postgresql").contains(store)) {
            throw new IllegalArgumentException("--agents must be 1-" + TARGET_AGENTS
                    + " (one command lists at most that many agents), --rounds at least 1, --warm-up at least 0,"
                    + " --store sqlite or postgresql");
        }
        try (BenchRun bench = BenchRun.open("fanout", run, System.out, agents)) {
            Settings settings = new Settings(agents, steps(), rounds, warmUp, roundTimeout, maxInFlight, store);
            List<TetherFanout.Step> tether = TetherFanout.measure(bench, settings);
            List<MosquittoFanout.Step> peer = noPeer ? List.of() : MosquittoFanout.measure(bench, settings);
            FanoutReport report = new FanoutReport(bench, settings, tether, peer);
            report.print(System.out);
            report.write();
            return report.targetMet() ? 0 : 1;
        }
    }

    /**
     * @param rounds commands measured per size
     * @param warmUp unmeasured commands at the first size
     * @param store the server's database, sqlite or postgresql
     */
    record Settings(int agents, List<Integer> steps, int rounds, int warmUp, Duration roundTimeout, int maxInFlight,
            String store) {
    }

    List<Integer> steps() {
        TreeSet<Integer> sizes = new TreeSet<>();
        for (int s : steps != null ? steps : List.of(1_000, 5_000)) {
            if (s > 0 && s < agents) {
                sizes.add(s);
            }
        }
        sizes.add(agents);
        return new ArrayList<>(sizes);
    }
}
