package dev.tether.bench.scenario;

import dev.tether.bench.DurationConverter;
import dev.tether.bench.peer.SlowDisk;
import dev.tether.bench.peer.ThrowawayPostgres;
import dev.tether.bench.report.Table;
import dev.tether.bench.server.AdminClient;
import dev.tether.bench.server.ServerProcess;
import dev.tether.bench.sim.Credentials;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tether bench chaos}: real agents publish numbered events and run
 * commands while agents and the server are killed with SIGKILL at random, the
 * database stalls and the disk is slow ({@link ChaosFaults}); then every fault
 * ends, the stream drains, and each event and job is checked against the
 * ledgers ({@link ChaosVerdict}): 0 lost and 0 applied twice, or the run fails.
 */
@Command(name = "chaos", mixinStandardHelpOptions = true,
        description = {"Fault injection: kill -9 agents and the server at random while the database stalls "
                + "(SQLite write lock held past the busy timeout, or PostgreSQL SIGSTOPped) and fsync is slow; "
                + "then count lost and twice-applied events and jobs (both must be 0)."})
public final class ChaosScenario implements Callable<Integer> {

    @Mixin
    RunOptions run;

    @Option(names = "--agents", paramLabel = "N", defaultValue = "6",
            description = "real agent processes (default: ${DEFAULT-VALUE})")
    int agents;

    @Option(names = "--duration", paramLabel = "DURATION", defaultValue = "3m", converter = DurationConverter.class,
            description = "how long faults are injected (default: ${DEFAULT-VALUE})")
    Duration duration;

    @Option(names = "--store", paramLabel = "sqlite|postgresql", defaultValue = "sqlite",
            description = "the server's database; postgresql starts a throwaway Debian PostgreSQL "
                    + "(default: ${DEFAULT-VALUE})")
    String store;

    @Option(names = "--fault-every", paramLabel = "DURATION", defaultValue = "4s",
            converter = DurationConverter.class, description = "mean time between faults (default: ${DEFAULT-VALUE})")
    Duration faultEvery;

    @Option(names = "--command-every", paramLabel = "DURATION", defaultValue = "1500ms",
            converter = DurationConverter.class,
            description = "time between commands to every agent (default: ${DEFAULT-VALUE})")
    Duration commandEvery;

    @Option(names = "--event-interval", paramLabel = "DURATION", defaultValue = "50ms",
            converter = DurationConverter.class,
            description = "each agent publishes one event per interval (default: ${DEFAULT-VALUE})")
    Duration eventInterval;

    @Option(names = "--slow-disk", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "slow every fsync in spells (LD_PRELOAD, built with gcc; default: on)")
    boolean slowDisk;

    @Option(names = "--seed", paramLabel = "N", description = "seed of the fault schedule (default: random)")
    Long seed;

    @Option(names = "--settle-timeout", paramLabel = "DURATION", defaultValue = "180s",
            converter = DurationConverter.class,
            description = "how long the stream may take to drain after the faults (default: ${DEFAULT-VALUE})")
    Duration settleTimeout;

    @Override
    public Integer call() throws Exception {
        if (agents < 1 || !List.of("sqlite", "postgresql").contains(store)) {
            throw new IllegalArgumentException("--agents must be >= 1 and --store sqlite or postgresql");
        }
        long usedSeed = seed != null ? seed : System.nanoTime();
        run.fresh = true;
        try (BenchRun bench = BenchRun.open("chaos", run, System.out, agents)) {
            return chaos(bench, usedSeed);
        }
    }

    private int chaos(BenchRun bench, long usedSeed) throws Exception {
        Path work = bench.results().json().resolveSibling("chaos-" + bench.runId());
        SlowDisk disk = slowDisk ? SlowDisk.build(work.resolve("slowdisk")) : null;
        Map<String, String> env = disk != null ? disk.environment() : Map.of();
        ThrowawayPostgres postgres = store.equals("postgresql")
                ? bench.own(ThrowawayPostgres.start(work.resolve("postgres"), ServerProcess.freePort(), env)) : null;
        List<String> serverArgs = postgres != null ? List.of("--db", postgres.jdbcUrl()) : List.of();
        ServerProcess server = bench.startServer(Duration.ofSeconds(2), serverArgs, env);
        AdminClient admin = bench.admin(server);
        List<Credentials> creds = bench.agents(server, agents);
        ChaosFleet fleet = bench.own(new ChaosFleet(run.resolvedServerJar(), run.resolvedJava(), server.baseUri(),
                creds, work.resolve("agents"), eventInterval.toMillis(), env));
        fleet.startAll();
        bench.await("all agents online", Duration.ofSeconds(60), () -> online(admin) >= agents);
        bench.out().printf("%d agents online; injecting faults for %s (seed %d, store %s)%n", agents,
                DurationConverter.format(duration), usedSeed, store);

        Path sqlite = postgres == null ? run.resolvedDataDir().resolve("tether.db") : null;
        Map<String, String> commands = new LinkedHashMap<>();
        int refused;
        ChaosFaults faults = bench.own(new ChaosFaults(usedSeed, server, fleet, sqlite, postgres, disk,
                line -> bench.out().println("  " + line)));
        refused = inject(bench, admin, fleet, faults, commands, usedSeed);
        faults.heal();
        bench.out().println("faults over; letting the streams drain");
        fleet.stopPublishing();
        boolean drained = settle(bench, admin, fleet, commands);
        ChaosVerdict verdict = ChaosVerdict.of(admin, fleet, commands);
        report(bench, verdict, faults, fleet, commands.size(), refused, drained, usedSeed);
        return verdict.clean() && drained ? 0 : 1;
    }

    /** Faults and commands until the duration is over; returns the commands the API refused or lost. */
    private int inject(BenchRun bench, AdminClient admin, ChaosFleet fleet, ChaosFaults faults,
            Map<String, String> commands, long usedSeed) throws Exception {
        Random timing = new Random(usedSeed ^ 0x5DEECE66DL);
        List<String> ids = fleet.agentIds();
        long end = System.nanoTime() + duration.toNanos();
        long nextFault = System.nanoTime() + jitter(timing, faultEvery);
        int refused = 0;
        for (int n = 1; System.nanoTime() < end; n++) {
            if (System.nanoTime() >= nextFault) {
                faults.inject();
                nextFault = System.nanoTime() + jitter(timing, faultEvery);
            }
            String token = "cmd-" + n;
            try {
                commands.put(token, admin.createCommand(ids, List.of("sh", "-c", "echo \"$0\" >> "
                        + ChaosFleet.COMMAND_LEDGER, token)).id());
            } catch (IOException | RuntimeException e) {
                refused++;
            }
            Thread.sleep(commandEvery.toMillis());
        }
        return refused;
    }

    private static long jitter(Random random, Duration mean) {
        return (long) (mean.toNanos() * (0.5 + random.nextDouble()));
    }

    /** Waits until every agent is online, every logged event is applied and every job has ended. */
    private boolean settle(BenchRun bench, AdminClient admin, ChaosFleet fleet, Map<String, String> commands)
            throws Exception {
        long deadline = System.nanoTime() + settleTimeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (drained(admin, fleet, commands)) {
                return true;
            }
            Thread.sleep(1_000);
        }
        bench.out().println("the streams did not drain within " + DurationConverter.format(settleTimeout));
        return false;
    }

    private static boolean drained(AdminClient admin, ChaosFleet fleet, Map<String, String> commands) {
        try {
            if (online(admin) < fleet.size()) {
                return false;
            }
            for (int i = 0; i < fleet.size(); i++) {
                if (ChaosVerdict.events(admin, fleet, i).lost() > 0) {
                    return false;
                }
            }
            for (String id : commands.values()) {
                for (Object job : (List<?>) admin.command(id).get("jobs")) {
                    if (!ChaosVerdict.FINAL_JOB_STATES.contains(((Map<?, ?>) job).get("state"))) {
                        return false;
                    }
                }
            }
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static int online(AdminClient admin) {
        try {
            return (int) admin.agentStatuses().values().stream().filter("online"::equals).count();
        } catch (IOException | RuntimeException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    private void report(BenchRun bench, ChaosVerdict verdict, ChaosFaults faults, ChaosFleet fleet, int commands,
            int refused, boolean drained, long usedSeed) throws IOException {
        Table table = Table.of("measure", "value")
                .row("store", store)
                .row("faults", faults.counts().toString())
                .row("agent kills", fleet.kills())
                .row("events stored by agents", verdict.eventsPublished())
                .row("events lost", verdict.eventsLost())
                .row("events applied twice", verdict.eventsDuplicated())
                .row("commands accepted / refused", commands + " / " + refused)
                .row("jobs", verdict.jobs())
                .row("job states", verdict.jobStates().toString())
                .row("jobs unfinished", verdict.jobsUnfinished())
                .row("jobs run twice", verdict.jobsRunTwice())
                .row("jobs succeeded but not run", verdict.jobsSucceededUnrun())
                .row("drained", drained)
                .row("verdict", verdict.clean() && drained ? "PASS: 0 lost, 0 applied twice" : "FAIL");
        bench.out().println(table.render());
        Map<String, Object> document = new HashMap<>();
        document.put("scenario", "chaos");
        document.put("seed", usedSeed);
        document.put("store", store);
        document.put("agents", agents);
        document.put("duration_s", duration.toSeconds());
        document.put("faults", faults.counts().toString());
        document.put("verdict", Map.of("events_published", verdict.eventsPublished(),
                "events_lost", verdict.eventsLost(), "events_duplicated", verdict.eventsDuplicated(),
                "jobs", verdict.jobs(), "jobs_unfinished", verdict.jobsUnfinished(),
                "jobs_run_twice", verdict.jobsRunTwice(), "jobs_succeeded_unrun", verdict.jobsSucceededUnrun(),
                "drained", drained, "commands_refused", refused));
        document.put("environment", bench.environment());
        bench.out().println("results: " + bench.results().write(document));
    }
}
