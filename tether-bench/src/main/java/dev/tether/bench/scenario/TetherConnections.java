package dev.tether.bench.scenario;

import dev.tether.bench.DurationConverter;
import dev.tether.bench.generator.GeneratorSet;
import dev.tether.bench.probe.CpuWindow;
import dev.tether.bench.probe.HeapProbe;
import dev.tether.bench.probe.ProcessProbe;
import dev.tether.bench.report.Histogram;
import dev.tether.bench.server.AdminClient;
import dev.tether.bench.server.ServerProcess;
import dev.tether.bench.sim.Credentials;
import dev.tether.bench.sim.FleetSnapshot;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * The Tether side of the connections scenario. First, with the normal
 * heartbeat interval, it ramps the fleet up step by step and at each step
 * holds, then reads the server's CPU over the hold, its resident memory, and
 * its live heap after a full GC ({@code jcmd GC.run} + {@code GC.heap_info});
 * per-agent figures are the growth over the baseline (server up, agents
 * enrolled, none connected) divided by the agents connected. Then, on a
 * server restarted with a short interval, it measures heartbeat intake (the
 * server's {@code tether_frames_total{direction="in"}} over the hold) and the
 * server's CPU.
 */
final class TetherConnections {

    static final String FRAMES_IN = "tether_frames_total{direction=\"in\"}";
    /** Shortest settling time before intake is measured: heartbeats spread out, the JIT compiles the hot path. */
    static final Duration MIN_WARM_UP = Duration.ofSeconds(5);

    private TetherConnections() {
    }

    /**
     * @param interval heartbeat interval of the memory steps
     * @param intakeInterval heartbeat interval of the intake phase; zero skips it
     */
    /** @param warmUp agents connected and dropped before the baseline; 0 measures a cold server */
    record Settings(int agents, List<Integer> steps, Duration interval, Duration hold, Duration intakeInterval,
            Duration intakeHold, int rampPerSecond, int maxInFlight, int warmUp) {
    }

    /** The server with agents enrolled and none connected, after a full GC. */
    record Baseline(long rssBytes, long heapBytes) {
    }

    /**
     * @param connectSeconds from the step's first dial to its last Welcome
     * @param connectCpuPercent server CPU while the step connected, percent of one core
     * @param rssBytes resident memory at the end of the hold
     * @param rssAfterGcBytes resident memory right after the full GC
     * @param heapBytes live heap after the full GC
     * @param serverCpuPercent server CPU over the hold, percent of one core
     * @param heartbeatsPerSecond frames the server received per second over the hold
     */
    record Step(int agents, double connectSeconds, double connectCpuPercent, long rssBytes, long rssAfterGcBytes,
            long heapBytes, double serverCpuPercent, double generatorCpuPercent, double heartbeatsPerSecond,
            long threads, long openFiles) {

        double connectPerSecond(int previousAgents) {
            return connectSeconds <= 0 ? Double.NaN : (agents - previousAgents) / connectSeconds;
        }
    }

    /**
     * @param framesInPerSecond frames the server received per second (heartbeats, as nothing else is sent)
     * @param acksPerSecond HeartbeatAcks the simulated agents received per second
     * @param rtt heartbeat to HeartbeatAck during the hold, microseconds
     * @param connect dial to Welcome while this phase ramped up, microseconds
     */
    record Intake(int agents, Duration interval, double framesInPerSecond, double acksPerSecond,
            double serverCpuPercent, double generatorCpuPercent, long disconnects, Histogram rtt, Histogram connect) {
    }

    /**
     * @param baseline null when the memory steps were skipped (intake only)
     * @param fleet the fleet after the memory steps; null when they were skipped
     * @param heapGrowth classes whose live bytes grew most from the baseline to the last step
     */
    record Result(Baseline baseline, List<Step> steps, Intake intake, Histogram connect, Histogram heartbeatRtt,
            FleetSnapshot fleet, List<HeapProbe.Growth> heapGrowth) {
    }

    /** Classes listed in the heap growth breakdown. */
    static final int HEAP_GROWTH_CLASSES = 40;
    /** How often resident memory is read while it settles after a full GC, and for how long at most. */
    static final Duration SETTLE_PERIOD = Duration.ofMillis(250);
    static final Duration SETTLE_LIMIT = Duration.ofSeconds(5);

    static Result measure(BenchRun run, Settings settings) throws IOException, InterruptedException,
            TimeoutException {
        if (settings.steps().isEmpty()) {
            Intake intake = intake(run, null, settings);
            return new Result(null, List.of(), intake, intake.connect(), intake.rtt(), null, List.of());
        }
        ServerProcess server = run.startServer(settings.interval());
        List<Credentials> agents = run.agents(server, settings.agents());
        HeapProbe heap = run.heapProbe();
        if (settings.warmUp() > 0) {
            warmUp(run, server, agents.subList(0, settings.warmUp()), settings);
        }
        HeapProbe.Heap idleHeap = heap.liveHeap(server.pid());
        Baseline baseline = new Baseline(settledRss(server.probe()), idleHeap.usedBytes());
        Map<String, HeapProbe.ClassUsage> idleClasses = heap.classHistogram(server.pid());
        run.out().printf("baseline: RSS %.1f MiB, live heap %.1f MiB%n", mib(baseline.rssBytes()),
                mib(baseline.heapBytes()));

        GeneratorSet fleet = run.generators(run.fleetConfig(server, settings.rampPerSecond(), settings.maxInFlight(),
                0), agents);
        AdminClient admin = run.admin(server);
        List<Step> steps = new ArrayList<>();
        for (int size : settings.steps()) {
            steps.add(step(run, server, admin, heap, fleet, size, settings.hold()));
        }
        FleetSnapshot last = fleet.snapshot();
        List<HeapProbe.Growth> growth = HeapProbe.growth(idleClasses, heap.classHistogram(server.pid()),
                HEAP_GROWTH_CLASSES);
        run.release(fleet);
        run.release(server);

        Intake intake = settings.intakeInterval().isZero() ? null : intake(run, agents, settings);
        return new Result(baseline, steps, intake, last.connect(), last.heartbeatRtt(), last, growth);
    }

    /**
     * Connects the agents, holds them one interval, drops them (their generator processes end) and waits until the
     * server has none: what serving them compiled and loaded stays, which a long-running server has too.
     */
    private static void warmUp(BenchRun run, ServerProcess server, List<Credentials> agents, Settings settings)
            throws IOException, InterruptedException, TimeoutException {
        AdminClient admin = run.admin(server);
        try (GeneratorSet warm = run.generators(run.fleetConfig(server, settings.rampPerSecond(),
                settings.maxInFlight(), 0), agents)) {
            warm.connect(agents.size());
            run.await(agents.size() + " warm-up agents online", connectTimeout(agents.size()),
                    () -> warm.snapshot().online() >= agents.size());
            run.hold(settings.interval());
        }
        run.await("the warm-up agents offline", connectTimeout(agents.size()), () -> {
            try {
                return admin.connectedAgents() == 0;
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return true;
            }
        });
        run.out().printf("warm-up: %,d agents connected, held %s and dropped%n", agents.size(),
                DurationConverter.format(settings.interval()));
    }

    /**
     * Resident memory once it stops falling after a full GC: G1 gives the regions it shrank back on a thread of
     * its own after the collection, so a reading right after it would still count some of them. Settled when
     * two readings {@link #SETTLE_PERIOD} apart differ by less than 1 MiB, or after {@link #SETTLE_LIMIT}.
     */
    private static long settledRss(ProcessProbe probe) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + SETTLE_LIMIT.toNanos();
        long last = probe.rssBytes();
        while (System.nanoTime() < deadline) {
            Thread.sleep(SETTLE_PERIOD.toMillis());
            long now = probe.rssBytes();
            if (Math.abs(last - now) < 1 << 20) {
                return Math.min(last, now);
            }
            last = now;
        }
        return last;
    }

    private static Step step(BenchRun run, ServerProcess server, AdminClient admin, HeapProbe heap,
            GeneratorSet fleet, int size, Duration hold) throws IOException, InterruptedException, TimeoutException {
        long start = System.nanoTime();
        CpuWindow connectCpu = CpuWindow.open(server.probe());
        fleet.connect(size);
        run.await(size + " agents online", connectTimeout(size), () -> fleet.snapshot().online() >= size);
        double connectCpuPercent = connectCpu.percent();
        FleetSnapshot connected = fleet.snapshot();
        double connectSeconds = (connected.lastWelcomeNanos() - start) / 1e9;

        Scrape before = Scrape.of(admin);
        CpuWindow serverCpu = CpuWindow.open(server.probe());
        CpuWindow generatorCpu = CpuWindow.open(probes(fleet));
        run.hold(hold);
        double cpu = serverCpu.percent();
        double genCpu = generatorCpu.percent();
        double heartbeats = before.rateUntil(Scrape.of(admin), FRAMES_IN);
        ProcessProbe.Sample sample = server.probe().sample();
        HeapProbe.Heap live = heap.liveHeap(server.pid());
        long rssAfterGc = settledRss(server.probe());
        int online = fleet.snapshot().online();
        if (online < size) {
            run.out().printf("warning: %,d of %,d agents dropped during the hold%n", size - online, size);
        }
        Step step = new Step(size, connectSeconds, connectCpuPercent, sample.rssBytes(), rssAfterGc,
                live.usedBytes(), cpu, genCpu, heartbeats, sample.threads(), sample.openFiles());
        run.out().printf("%,7d agents: connected in %.1f s (server CPU %.0f %%), RSS %.1f MiB (%.1f after GC), "
                + "live heap %.1f MiB, server CPU %.1f %%, %,.0f frames/s in%n", size, connectSeconds,
                connectCpuPercent, mib(step.rssBytes()), mib(rssAfterGc), mib(live.usedBytes()), cpu, heartbeats);
        return step;
    }

    /** @param enrolled the agents, or null to enrol them on this phase's server */
    private static Intake intake(BenchRun run, List<Credentials> enrolled, Settings settings)
            throws IOException, InterruptedException, TimeoutException {
        ServerProcess server = run.startServer(settings.intakeInterval());
        AdminClient admin = run.admin(server);
        List<Credentials> agents = enrolled != null ? enrolled : run.agents(server, settings.agents());
        GeneratorSet fleet = run.generators(run.fleetConfig(server, settings.rampPerSecond(),
                settings.maxInFlight(), 0), agents);
        fleet.connect(agents.size());
        run.await("all agents online", connectTimeout(agents.size()), () -> fleet.snapshot().online() >= agents.size());
        // Let the heartbeats spread out after the ramp, and the JIT settle, before measuring.
        run.hold(warmUp(settings.intakeInterval()));
        // Each counter's rate is taken over the time between its own two readings (their midpoints).
        long firstAt = System.nanoTime();
        FleetSnapshot first = fleet.snapshot();
        firstAt = (firstAt + System.nanoTime()) / 2;
        Scrape before = Scrape.of(admin);
        CpuWindow serverCpu = CpuWindow.open(server.probe());
        CpuWindow generatorCpu = CpuWindow.open(probes(fleet));
        run.hold(settings.intakeHold());
        double cpu = serverCpu.percent();
        double genCpu = generatorCpu.percent();
        long lastAt = System.nanoTime();
        FleetSnapshot last = fleet.snapshot();
        lastAt = (lastAt + System.nanoTime()) / 2;
        double framesIn = before.rateUntil(Scrape.of(admin), FRAMES_IN);
        double acks = (last.heartbeatAcks() - first.heartbeatAcks()) * 1e9 / (lastAt - firstAt);
        Intake intake = new Intake(agents.size(), settings.intakeInterval(), framesIn, acks, cpu, genCpu,
                last.disconnects() - first.disconnects(), last.heartbeatRtt().since(first.heartbeatRtt()),
                last.connect());
        run.out().printf("intake: %,d agents every %s: %,.0f heartbeats/s in, server CPU %.1f %%, generators %.1f %%%n",
                agents.size(), DurationConverter.format(settings.intakeInterval()), framesIn, cpu, genCpu);
        run.release(fleet);
        run.release(server);
        return intake;
    }

    static List<ProcessProbe> probes(GeneratorSet fleet) {
        return fleet.pids().stream().map(ProcessProbe::of).toList();
    }

    /** One read of {@code /metrics}, timed at the midpoint of the request. */
    record Scrape(Map<String, Double> series, long atNanos) {

        static Scrape of(AdminClient admin) throws IOException, InterruptedException {
            long start = System.nanoTime();
            Map<String, Double> series = admin.metrics();
            return new Scrape(series, (start + System.nanoTime()) / 2);
        }

        /** Per second of a counter, from this scrape to a later one. */
        double rateUntil(Scrape later, String name) {
            return (later.series.getOrDefault(name, 0.0) - series.getOrDefault(name, 0.0)) * 1e9
                    / (later.atNanos - atNanos);
        }
    }

    /** Before measuring intake: three intervals, at least {@link #MIN_WARM_UP}. */
    static Duration warmUp(Duration interval) {
        return max(interval.multipliedBy(3), MIN_WARM_UP);
    }

    /** A minute, or longer for big steps (at 100 connections per second at worst). */
    static Duration connectTimeout(int agents) {
        return max(Duration.ofSeconds(60), Duration.ofSeconds(agents / 100));
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    static double mib(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }
}
