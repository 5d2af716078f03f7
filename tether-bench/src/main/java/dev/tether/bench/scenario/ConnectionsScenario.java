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
 * {@code tether bench connections}: ramps to N simulated agents in steps and
 * holds them with heartbeats, for connect rate, server memory and heap per
 * agent, and CPU while holding; then heartbeat intake at a short interval;
 * then the same with N MQTT clients held by Mosquitto.
 */
@Command(name = "connections", mixinStandardHelpOptions = true,
        description = {"Hold N agents with heartbeats: connect rate, server memory and heap per agent, CPU; "
                + "heartbeat intake at a short interval; the same N MQTT clients on Mosquitto for comparison."})
public final class ConnectionsScenario implements Callable<Integer> {

    /** The real agent's floor on the heartbeat interval, whatever the server asks. */
    static final int MIN_INTAKE_INTERVAL_MS = 50;

    /** Sizes reported by default, below N. */
    static final List<Integer> DEFAULT_STEPS = List.of(1_000, 5_000, 10_000);

    @Mixin
    RunOptions run;

    @Option(names = "--agents", paramLabel = "N", defaultValue = "1000",
            description = "agents at the last step (default: ${DEFAULT-VALUE}); one server holds at most its "
                    + "open-files limit less 500")
    int agents;

    @Option(names = "--steps", paramLabel = "N,N,...", split = ",",
            description = "sizes to measure at (default: 1000, 5000, 10000 below N, and N)")
    List<Integer> steps;

    @Option(names = "--heartbeat-interval", paramLabel = "DURATION", defaultValue = "30s",
            converter = DurationConverter.class,
            description = "interval while measuring memory (default: ${DEFAULT-VALUE})")
    Duration interval;

    @Option(names = "--hold", paramLabel = "DURATION", defaultValue = "30s", converter = DurationConverter.class,
            description = "how long each step is held before it is measured; one interval lets every agent "
                    + "heartbeat once (default: ${DEFAULT-VALUE})")
    Duration hold;

    @Option(names = "--intake-rate", paramLabel = "PER_SECOND", defaultValue = "21000",
            description = "heartbeats per second to aim for in the intake phase, over all N agents; sets the "
                    + "interval to N / rate, at least " + MIN_INTAKE_INTERVAL_MS + " ms (default: ${DEFAULT-VALUE}, "
                    + "5 %% above the 20,000/s target so timer jitter cannot take the measured rate under it)")
    int intakeRate;

    @Option(names = "--intake-interval", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "heartbeat interval of the intake phase instead of --intake-rate; 0s skips the phase")
    Duration intakeInterval;

    @Option(names = "--intake-hold", paramLabel = "DURATION", defaultValue = "15s", converter = DurationConverter.class,
            description = "how long intake is measured (default: ${DEFAULT-VALUE})")
    Duration intakeHold;

    @Option(names = "--ramp-rate", paramLabel = "PER_SECOND", defaultValue = "0",
            description = "new connections per second; 0 for as fast as --max-in-flight allows "
                    + "(default: ${DEFAULT-VALUE})")
    int rampRate;

    @Option(names = "--max-in-flight", paramLabel = "N", defaultValue = "256",
            description = "handshakes in progress at once during the ramp (default: ${DEFAULT-VALUE})")
    int maxInFlight;

    @Option(names = "--warm-up", paramLabel = "N", defaultValue = "0",
            description = "agents connected and dropped before the idle server is measured, so the code that "
                    + "serves them is compiled and loaded by then and per-agent memory leaves it out "
                    + "(default: ${DEFAULT-VALUE}, a cold server)")
    int warmUp;

    @Option(names = "--no-peer", description = "skip the Mosquitto side")
    boolean noPeer;

    @Option(names = "--intake-only", description = "skip the memory steps: heartbeat intake only, both sides")
    boolean intakeOnly;

    @Override
    public Integer call() throws Exception {
        if (agents < 1) {
            throw new IllegalArgumentException("--agents must be at least 1, was " + agents);
        }
        if (warmUp < 0 || warmUp > agents) {
            throw new IllegalArgumentException("--warm-up must be between 0 and --agents (" + agents + "), was "
                    + warmUp);
        }
        try (BenchRun bench = BenchRun.open("connections", run, System.out, agents)) {
            TetherConnections.Settings settings = new TetherConnections.Settings(agents, steps(), interval, hold,
                    intakeInterval(), intakeHold, rampRate, maxInFlight, warmUp);
            TetherConnections.Result tether = TetherConnections.measure(bench, settings);
            MosquittoConnections.Result peer = noPeer ? null : MosquittoConnections.measure(bench, settings);
            ConnectionsReport report = new ConnectionsReport(bench, settings, tether, peer);
            report.print(System.out);
            report.write();
            return report.targetsMet() ? 0 : 1;
        }
    }

    /** The explicit interval, or N / rate rounded down to whole milliseconds, at least the agent's floor. */
    Duration intakeInterval() {
        if (intakeInterval != null) {
            return intakeInterval;
        }
        if (intakeRate <= 0) {
            return Duration.ZERO;
        }
        return Duration.ofMillis(Math.max(MIN_INTAKE_INTERVAL_MS, 1000L * agents / intakeRate));
    }

    List<Integer> steps() {
        if (intakeOnly) {
            return List.of();
        }
        TreeSet<Integer> sizes = new TreeSet<>();
        for (int s : steps != null ? steps : DEFAULT_STEPS) {
            if (s > 0 && s < agents) {
                sizes.add(s);
            }
        }
        sizes.add(agents);
        return new ArrayList<>(sizes);
    }
}
