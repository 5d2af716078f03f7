package dev.tether.bench.scenario;

import dev.tether.bench.generator.GeneratorSet;
import dev.tether.bench.peer.ThrowawayPostgres;
import dev.tether.bench.probe.CpuWindow;
import dev.tether.bench.report.Histogram;
import dev.tether.bench.server.AdminClient;
import dev.tether.bench.server.ServerProcess;
import dev.tether.bench.sim.Credentials;
import dev.tether.bench.sim.EpochMicros;
import dev.tether.bench.sim.FleetSnapshot;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * The Tether side of the fan-out scenario. At each size, with that many
 * simulated agents online, it sends commands one at a time ({@code POST
 * /api/v1/commands} listing the agents) and waits until every job has ended.
 * The agents time each command from the API call: to the CommandRequest's
 * arrival (the agent marks it applied and the JobStarted it sends at once
 * carries the ack) and to the server's ack of the JobFinished it sends right
 * after, i.e. the job's end on record.
 *
 * <p>The agents run in other processes, so the API call is timed on the wall
 * clock: the bench sets a mark a little ahead, waits for it, and calls the API
 * at the mark; how late the call actually started is reported.
 */
final class TetherFanout {

    static final List<String> ARGV = List.of("true");
    /** How far ahead the mark is set: enough for every generator to have it before the call. */
    static final long MARK_LEAD_MICROS = 50_000;
    private static final Duration FINAL_STATE_TIMEOUT = Duration.ofSeconds(30);

    private TetherFanout() {
    }

    /**
     * One command.
     *
     * @param apiMillis the {@code POST /api/v1/commands} round trip
     * @param lateMicros how long after the mark the call started
     * @param seconds from the call to the last job's end
     */
    record Round(String commandId, double apiMillis, long lateMicros, double seconds) {
    }

    /**
     * @param delivery API call to each CommandRequest's arrival, microseconds, over the rounds
     * @param jobEnd API call to each job's end on record, microseconds, over the rounds
     * @param duplicates CommandRequests that arrived more than once
     */
    record Step(int agents, List<Round> rounds, Histogram delivery, Histogram jobEnd, double serverCpuPercent,
            double generatorCpuPercent, long duplicates) {
    }

    static List<Step> measure(BenchRun run, FanoutScenario.Settings settings) throws IOException,
            InterruptedException, TimeoutException {
        ThrowawayPostgres postgres = settings.store().equals("postgresql") ? run.own(ThrowawayPostgres.start(
                run.results().json().resolveSibling("fanout-" + run.runId()).resolve("postgres"),
                ServerProcess.freePort(), Map.of())) : null;
        ServerProcess server = run.startServer(Duration.ofSeconds(30),
                postgres != null ? List.of("--db", postgres.jdbcUrl()) : List.of(), Map.of());
        AdminClient admin = run.admin(server);
        List<Credentials> enrolled = run.agents(server, settings.agents());
        GeneratorSet fleet = run.generators(run.fleetConfig(server, 0, settings.maxInFlight(), 0), enrolled);
        List<Step> steps = new ArrayList<>();
        try {
            for (int size : settings.steps()) {
                fleet.connect(size);
                run.await(size + " agents online", TetherConnections.connectTimeout(size),
                        () -> fleet.snapshot().online() >= size);
                List<String> ids = enrolled.subList(0, size).stream().map(Credentials::id).toList();
                if (steps.isEmpty()) {
                    for (int i = 0; i < settings.warmUp(); i++) {
                        Round warm = round(run, admin, fleet, ids, settings.roundTimeout());
                        run.out().printf("warm-up command %d/%d to %,d agents: all ended in %.2f s%n", i + 1,
                                settings.warmUp(), size, warm.seconds());
                    }
                }
                steps.add(step(run, admin, server, fleet, ids, settings));
            }
        } finally {
            // The peer runs next in this process and on this machine: leave it the files and the cores.
            run.release(fleet);
            run.release(server);
        }
        return steps;
    }

    private static Step step(BenchRun run, AdminClient admin, ServerProcess server, GeneratorSet fleet,
            List<String> ids, FanoutScenario.Settings settings) throws IOException, InterruptedException,
            TimeoutException {
        FleetSnapshot before = fleet.snapshot();
        CpuWindow serverCpu = CpuWindow.open(server.probe());
        CpuWindow generatorCpu = CpuWindow.open(TetherConnections.probes(fleet));
        List<Round> rounds = new ArrayList<>();
        for (int i = 0; i < settings.rounds(); i++) {
            Round round = round(run, admin, fleet, ids, settings.roundTimeout());
            rounds.add(round);
            run.out().printf("command %d/%d to %,d agents: API %.1f ms, all ended in %.2f s%n", i + 1,
                    settings.rounds(), ids.size(), round.apiMillis(), round.seconds());
        }
        double cpu = serverCpu.percent();
        double genCpu = generatorCpu.percent();
        FleetSnapshot after = fleet.snapshot();
        return new Step(ids.size(), rounds, after.commandDelivery().since(before.commandDelivery()),
                after.jobEnd().since(before.jobEnd()), cpu, genCpu,
                after.duplicatesFromServer() - before.duplicatesFromServer());
    }

    private static Round round(BenchRun run, AdminClient admin, GeneratorSet fleet, List<String> ids,
            Duration timeout) throws IOException, InterruptedException, TimeoutException {
        long finishedBefore = fleet.snapshot().jobsFinished();
        long mark = EpochMicros.now() + MARK_LEAD_MICROS;
        fleet.markCommands(mark);
        waitUntil(mark);
        long late = EpochMicros.now() - mark;
        long start = System.nanoTime();
        AdminClient.CreatedCommand created = admin.createCommand(ids, ARGV);
        String id = created.id();
        double apiMillis = created.roundTripMillis();
        long expected = finishedBefore + ids.size();
        run.await("command " + id + ": " + ids.size() + " jobs ended", timeout,
                () -> fleet.snapshot().jobsFinished() >= expected);
        double seconds = (System.nanoTime() - start) / 1e9;
        awaitSucceeded(run, admin, id, ids.size());
        return new Round(id, apiMillis, late, seconds);
    }

    /** The server's own account must agree: every job succeeded, none failed or was lost. */
    static void awaitSucceeded(BenchRun run, AdminClient admin, String id, int jobs)
            throws InterruptedException, TimeoutException {
        long[] succeeded = {0};
        run.await("command " + id + " shown with " + jobs + " succeeded jobs", FINAL_STATE_TIMEOUT, () -> {
            try {
                Map<String, Object> command = admin.command(id);
                Map<?, ?> counts = (Map<?, ?>) command.get("counts");
                succeeded[0] = ((Number) counts.get("succeeded")).longValue();
                long total = counts.values().stream().mapToLong(v -> ((Number) v).longValue()).sum();
                if (total != jobs) {
                    throw new IllegalStateException("command " + id + " has " + total + " jobs, expected " + jobs);
                }
                return succeeded[0] == jobs;
            } catch (IOException e) {
                throw new IllegalStateException("reading command " + id + ": " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        });
    }

    static void waitUntil(long epochMicros) throws InterruptedException {
        long left;
        while ((left = epochMicros - EpochMicros.now()) > 2_000) {
            Thread.sleep((left - 1_000) / 1_000);
        }
        while (EpochMicros.now() < epochMicros) {
            LockSupport.parkNanos(20_000);
        }
    }
}
