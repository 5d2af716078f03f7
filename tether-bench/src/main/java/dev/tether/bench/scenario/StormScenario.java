package dev.tether.bench.scenario;

import dev.tether.bench.DurationConverter;
import dev.tether.bench.generator.GeneratorSet;
import dev.tether.bench.server.ServerProcess;
import dev.tether.bench.sim.Backoff;
import dev.tether.bench.sim.Credentials;
import dev.tether.bench.sim.FleetSnapshot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tether bench storm}: N agents online; the server is killed with
 * SIGKILL; while it is down every agent publishes K events into its outbox;
 * the server starts again on the same data dir. Measures the time until all
 * agents are back and every event is applied, lost and duplicated events,
 * and the server's peak memory.
 */
@Command(name = "storm", mixinStandardHelpOptions = true,
        description = {"Reconnect storm: kill -9 the server under N agents holding K unacknowledged events each, "
                + "restart it on the same data dir; time to all online and all applied, lost, duplicated, "
                + "peak memory."})
public final class StormScenario implements Callable<Integer> {

    /** All agents back and all events applied within this long after the restart. */
    static final Duration TARGET_RECOVERY = Duration.ofSeconds(30);

    @Mixin
    RunOptions run;

    @Option(names = "--agents", paramLabel = "N", defaultValue = "1000",
            description = "agents (default: ${DEFAULT-VALUE})")
    int agents;

    @Option(names = "--pending", paramLabel = "K", defaultValue = "10",
            description = "events each agent publishes while the server is down (default: ${DEFAULT-VALUE})")
    int pending;

    @Option(names = "--in-flight", paramLabel = "J", defaultValue = "2",
            description = "events each agent publishes just before the kill, so some are applied but not yet "
                    + "acknowledged when the server dies: the replay must not apply them twice "
                    + "(default: ${DEFAULT-VALUE})")
    int inFlight;

    @Option(names = "--heartbeat-interval", paramLabel = "DURATION", defaultValue = "5s",
            converter = DurationConverter.class, description = "server heartbeat interval (default: ${DEFAULT-VALUE})")
    Duration interval;

    @Option(names = "--down-time", paramLabel = "DURATION", defaultValue = "0s", converter = DurationConverter.class,
            description = "extra time the server stays down after the events are published (default: ${DEFAULT-VALUE})")
    Duration downTime;

    @Option(names = "--recovery-timeout", paramLabel = "DURATION", defaultValue = "120s",
            converter = DurationConverter.class,
            description = "give up waiting for the recovery after this long (default: ${DEFAULT-VALUE})")
    Duration recoveryTimeout;

    @Option(names = "--backoff-initial", paramLabel = "DURATION", defaultValue = "1s",
            converter = DurationConverter.class,
            description = "ceiling of the agents' first reconnect wait; doubles per failure "
                    + "(default: ${DEFAULT-VALUE}, the real agent's)")
    Duration backoffInitial;

    @Option(names = "--backoff-max", paramLabel = "DURATION", defaultValue = "60s", converter = DurationConverter.class,
            description = "largest reconnect wait ceiling (default: ${DEFAULT-VALUE}, the real agent's)")
    Duration backoffMax;

    @Option(names = "--verify-sample", paramLabel = "N", defaultValue = "200",
            description = "agents whose events are read back from the server and checked one by one "
                    + "(default: ${DEFAULT-VALUE}; all when N is larger than the fleet)")
    int verifySample;

    @Override
    public Integer call() throws Exception {
        if (agents < 1 || pending < 0 || inFlight < 0 || pending + inFlight == 0) {
            throw new IllegalArgumentException("--agents must be >= 1 and --pending + --in-flight >= 1");
        }
        try (BenchRun bench = BenchRun.open("storm", run, System.out, agents)) {
            StormResult result = storm(bench);
            StormReport report = new StormReport(bench, result);
            report.print(System.out);
            report.write();
            return report.targetsMet() ? 0 : 1;
        }
    }

    private StormResult storm(BenchRun bench) throws Exception {
        ServerProcess server = bench.startServer(interval);
        List<Credentials> creds = bench.agents(server, agents);
        GeneratorSet fleet = bench.generators(bench.fleetConfig(server, 0, 256, 0)
                .withBackoff(new Backoff(backoffInitial, 2.0, backoffMax)), creds);
        fleet.connect(agents);
        bench.await("all agents online", TetherConnections.connectTimeout(agents),
                () -> fleet.snapshot().online() >= agents);
        FleetSnapshot before = fleet.snapshot();
        bench.out().printf("%,d agents online; %s%n", agents, inFlight > 0
                ? "publishing " + inFlight + " events each and killing the server at once" : "killing the server");

        if (inFlight > 0) {
            fleet.publish(inFlight, Long.MAX_VALUE);
        }
        server.kill();
        bench.await("agents see the server gone", Duration.ofSeconds(60), () -> fleet.snapshot().online() == 0);
        fleet.publish(pending, Long.MAX_VALUE);
        long expected = before.published() + (long) agents * (inFlight + pending);
        bench.await("events published", Duration.ofSeconds(60), () -> fleet.snapshot().published() >= expected);
        FleetSnapshot down = fleet.snapshot();
        bench.out().printf("server down: %,d events pending over %,d agents; restarting%n", down.pending(), agents);
        bench.hold(downTime);

        Recovery recovery = Recovery.start(server);
        // The timeline starts at the restart command, not once the server answers /readyz: under the herd
        // that answer can come late, and the agents are coming back meanwhile.
        CompletableFuture<Void> restarted = CompletableFuture.runAsync(() -> {
            try {
                server.restart();
                bench.out().printf("server pid %d ready (/readyz) %.1f s after the restart command%n", server.pid(),
                        server.startupSeconds());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while restarting the server", e);
            }
        });
        boolean complete = recover(bench, fleet, recovery, restarted);
        restarted.join();
        FleetSnapshot after = fleet.snapshot();
        recovery.finish();
        Map<String, Double> metrics = bench.admin(server).metrics();
        Verification verification = Verification.run(bench.admin(server), creds, verifySample, bench.runId(),
                inFlight + pending, bench.out());
        return new StormResult(agents, pending, inFlight, interval, backoffInitial, backoffMax, before, down, after,
                complete, recovery, server.startupSeconds(), verification, metrics);
    }

    /** Polls until every agent is online with nothing pending, recording the timeline. */
    private boolean recover(BenchRun bench, GeneratorSet fleet, Recovery recovery, CompletableFuture<Void> restarted)
            throws InterruptedException {
        try {
            bench.await("all agents back with every event applied", recoveryTimeout, () -> {
                if (restarted.isCompletedExceptionally()) {
                    restarted.join();
                }
                FleetSnapshot s = fleet.snapshot();
                recovery.record(s);
                return s.online() >= agents && s.pending() == 0 && restarted.isDone();
            });
            return true;
        } catch (TimeoutException e) {
            bench.out().println("recovery incomplete: " + e.getMessage());
            return false;
        }
    }
}
