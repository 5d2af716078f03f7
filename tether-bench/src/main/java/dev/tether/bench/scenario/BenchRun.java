package dev.tether.bench.scenario;

import dev.tether.bench.DurationConverter;
import dev.tether.bench.generator.GeneratorSet;
import dev.tether.bench.preflight.Preflight;
import dev.tether.bench.probe.HeapProbe;
import dev.tether.bench.probe.ProcFile;
import dev.tether.bench.report.ResultFile;
import dev.tether.bench.server.AdminClient;
import dev.tether.bench.server.KeyCache;
import dev.tether.bench.server.ServerProcess;
import dev.tether.bench.sim.Credentials;
import dev.tether.bench.sim.FleetConfig;
import dev.tether.bench.sim.Transport;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * One run of a scenario: checks the machine (preflight), owns every process
 * it starts (server, generators, peer) and stops them all at the end, on
 * Ctrl-C, or when the run's time bound passes, whichever comes first.
 *
 * <p>Not thread safe, except {@link #close}, which the watchdog may call.
 */
final class BenchRun implements AutoCloseable {

    /** Admin token of every server the bench starts; loopback only, so a fixed one is fine. */
    static final String ADMIN_TOKEN = "tat_tether-bench-admin-token-loopback-only";
    private static final Duration POLL = Duration.ofMillis(100);

    private final String scenario;
    private final RunOptions options;
    private final PrintStream out;
    private final Preflight preflight;
    private final ResultFile results;
    private final String runId = UUID.randomUUID().toString().substring(0, 8);
    private final long deadlineNanos;
    private final long deadlineEpochMillis;
    private final Deque<AutoCloseable> owned = new ArrayDeque<>();
    private final Thread watchdog;
    private final Thread shutdownHook;
    private final int generators;
    private final int sources;

    private BenchRun(String scenario, RunOptions options, PrintStream out, Preflight preflight, int agents) {
        this.scenario = scenario;
        this.options = options;
        this.out = out;
        this.preflight = preflight;
        this.results = ResultFile.create(options.resultsDir, scenario);
        this.deadlineNanos = System.nanoTime() + options.timeout.toNanos();
        this.deadlineEpochMillis = System.currentTimeMillis() + options.timeout.toMillis();
        this.generators = options.generators != null ? options.generators
                : preflight.generatorsFor(agents);
        this.sources = options.sourceAddresses != null ? options.sourceAddresses
                : preflight.sourceAddressesFor(agents);
        Thread main = Thread.currentThread();
        this.watchdog = Thread.ofPlatform().daemon().name("bench-deadline").unstarted(() -> {
            try {
                Thread.sleep(options.timeout.toMillis());
                out.println("the run passed --timeout " + options.timeout + ": stopping everything");
                close();
                main.interrupt();
            } catch (InterruptedException e) {
                // The run ended first.
            }
        });
        this.shutdownHook = new Thread(this::close, "bench-shutdown");
    }

    /** Checks the limits for {@code agents} and prepares the results directory. */
    static BenchRun open(String scenario, RunOptions options, PrintStream out, int agents) throws IOException {
        return open(scenario, options, out, agents, 1);
    }

    /** Like {@link #open(String, RunOptions, PrintStream, int)}, for agents spread over {@code nodes} servers. */
    static BenchRun open(String scenario, RunOptions options, PrintStream out, int agents, int nodes)
            throws IOException {
        Preflight preflight = Preflight.read();
        BenchRun run = new BenchRun(scenario, options, out, preflight, agents);
        Preflight.Report report = preflight.checkCluster(agents, nodes, run.generators);
        out.print(report.render());
        if (!report.ok() && !options.force) {
            throw new IllegalStateException("preflight failed: " + report.failures().get(0).advice()
                    + " (or pass --force)");
        }
        if (options.fresh) {
            deleteTree(options.resolvedDataDir());
            Files.deleteIfExists(run.keyCacheFile());
        }
        Files.createDirectories(options.resultsDir);
        run.watchdog.start();
        Runtime.getRuntime().addShutdownHook(run.shutdownHook);
        return run;
    }

    String runId() {
        return runId;
    }

    PrintStream out() {
        return out;
    }

    ResultFile results() {
        return results;
    }

    RunOptions options() {
        return options;
    }

    Preflight preflight() {
        return preflight;
    }

    int generators() {
        return generators;
    }

    /** Starts a server on a fresh loopback port and the run's data dir; stopped when the run ends. */
    ServerProcess startServer(Duration heartbeatInterval) throws IOException, InterruptedException {
        return startServer(heartbeatInterval, List.of(), Map.of());
    }

    /** Like {@link #startServer(Duration)}, with more server flags and environment variables. */
    ServerProcess startServer(Duration heartbeatInterval, List<String> serverArgs, Map<String, String> environment)
            throws IOException, InterruptedException {
        ServerProcess.Options serverOptions = new ServerProcess.Options(options.resolvedServerJar(),
                options.resolvedJava(), options.serverJvmOptionList(), ServerProcess.freePort(),
                options.resolvedDataDir(), heartbeatInterval, ADMIN_TOKEN,
                results.json().resolveSibling(results.json().getFileName().toString()
                        .replace(".json", "-server.log")), options.serverLogLevel)
                .withServerArgs(serverArgs, environment);
        out.printf("starting the server (%s, heartbeat %s)%n", serverOptions.jar(),
                DurationConverter.format(heartbeatInterval));
        ServerProcess server = own(ServerProcess.start(serverOptions));
        out.printf("server pid %d ready in %.1f s on port %d%n", server.pid(), server.startupSeconds(),
                serverOptions.port());
        return server;
    }

    /**
     * Starts one node of a cluster on a loopback port, with its own data dir and log file beside the
     * results; stopped when the run ends.
     */
    ServerProcess startNode(String name, int port, Duration heartbeatInterval, List<String> serverArgs)
            throws IOException, InterruptedException {
        String log = results.json().getFileName().toString().replace(".json", "-" + name + ".log");
        ServerProcess.Options serverOptions = new ServerProcess.Options(options.resolvedServerJar(),
                options.resolvedJava(), options.serverJvmOptionList(), port,
                options.resolvedDataDir().resolve(name), heartbeatInterval, ADMIN_TOKEN,
                results.json().resolveSibling(log), options.serverLogLevel)
                .withServerArgs(serverArgs, Map.of());
        ServerProcess node = own(ServerProcess.start(serverOptions));
        out.printf("node %s: pid %d ready in %.1f s on port %d%n", name, node.pid(), node.startupSeconds(),
                serverOptions.port());
        return node;
    }

    HeapProbe heapProbe() {
        return HeapProbe.besideJava(options.resolvedJava());
    }

    AdminClient admin(ServerProcess server) {
        return AdminClient.create(server.baseUri(), ADMIN_TOKEN);
    }

    /** {@code count} enrolled agents, reusing cached keys for this data dir. */
    List<Credentials> agents(ServerProcess server, int count) throws IOException, InterruptedException {
        long start = System.nanoTime();
        List<Credentials> agents = KeyCache.at(keyCacheFile()).ensure(admin(server), count, options.enrolConcurrency);
        out.printf("%,d agents enrolled or reused in %.1f s (keys cached in %s)%n", count,
                (System.nanoTime() - start) / 1e9, keyCacheFile());
        return agents;
    }

    private Path keyCacheFile() {
        Path dataDir = options.resolvedDataDir().toAbsolutePath();
        return dataDir.resolveSibling(dataDir.getFileName() + ".keys.tsv");
    }

    /** The fleet's settings for this run: source addresses, loops, ramp. */
    FleetConfig fleetConfig(ServerProcess server, int rampPerSecond, int maxInFlight, int latencyWindow) {
        return FleetConfig.defaults(server.agentUri())
                .withSourceAddresses(FleetConfig.loopbackRange(2, sources))
                .withEventLoops(options.loops)
                .withRamp(rampPerSecond, maxInFlight)
                .withLatencyWindow(latencyWindow)
                .withRunId(runId);
    }

    /** The simulated agents, over this run's generator processes; closed when the run ends. */
    GeneratorSet generators(FleetConfig config, List<Credentials> agents) throws IOException {
        int processes = Math.min(generators, agents.size());
        out.printf("%,d simulated agents over %d generator process(es), %d loop(s) each, %d source address(es), %s%n",
                agents.size(), processes, config.eventLoops(), config.sourceAddresses().size(),
                Transport.nativeEpoll() ? "epoll" : "nio");
        return own(GeneratorSet.start(config, agents, processes, results.json().getParent().resolve("generators"),
                options.generatorJvmOptionList(), deadlineEpochMillis));
    }

    /** Takes ownership: closed (in reverse order) when the run ends. */
    <T extends AutoCloseable> T own(T resource) {
        synchronized (owned) {
            owned.push(resource);
        }
        return resource;
    }

    /** Closes one owned resource now. */
    void release(AutoCloseable resource) {
        synchronized (owned) {
            owned.remove(resource);
        }
        closeQuietly(resource);
    }

    /** Polls {@code condition} until true; fails after {@code timeout} or the run's deadline. */
    void await(String what, Duration timeout, BooleanSupplier condition) throws TimeoutException,
            InterruptedException {
        long deadline = Math.min(System.nanoTime() + timeout.toNanos(), deadlineNanos);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new TimeoutException(what + ": not reached within " + timeout);
            }
            Thread.sleep(POLL.toMillis());
        }
    }

    /** Sleeps, bounded by the run's deadline. */
    void hold(Duration duration) throws InterruptedException {
        long until = Math.min(System.nanoTime() + duration.toNanos(), deadlineNanos);
        long left;
        while ((left = until - System.nanoTime()) > 0) {
            Thread.sleep(Math.min(left / 1_000_000 + 1, 1000));
        }
    }

    /** The machine and software the figures come from. */
    Map<String, Object> environment() {
        Map<String, Object> env = new LinkedHashMap<>();
        env.put("scenario", scenario);
        env.put("run_id", runId);
        env.put("cpu", cpuModel());
        env.put("cpus", preflight.limits().cpus());
        env.put("mem_total_bytes", preflight.limits().memTotalBytes());
        env.put("kernel", readOr(Path.of("/proc/sys/kernel/osrelease"), "?"));
        // Other work on the machine skews CPU figures: the load when the results were written says how much.
        env.put("loadavg_at_end", readOr(Path.of("/proc/loadavg"), "?"));
        env.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        env.put("server_jar", options.resolvedServerJar().toAbsolutePath().toString());
        env.put("server_jvm_options", options.serverJvmOptionList());
        env.put("generator_jvm_options", options.generatorJvmOptionList());
        env.put("transport", Transport.nativeEpoll() ? "epoll" : "nio");
        env.put("generators", generators);
        env.put("source_addresses", sources);
        env.put("open_files_limit", preflight.limits().openFilesSoft());
        env.put("ephemeral_ports", preflight.limits().portRangeLow() + "-" + preflight.limits().portRangeHigh());
        return env;
    }

    private static String cpuModel() {
        String info = readOr(Path.of("/proc/cpuinfo"), "");
        return info.lines().filter(l -> l.startsWith("model name")).findFirst()
                .map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("?");
    }

    private static String readOr(Path file, String fallback) {
        try {
            return ProcFile.read(file).trim();
        } catch (IOException e) {
            return fallback;
        }
    }

    @Override
    public void close() {
        while (true) {
            AutoCloseable next;
            synchronized (owned) {
                next = owned.poll();
            }
            if (next == null) {
                break;
            }
            closeQuietly(next);
        }
        watchdog.interrupt();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // Called from the hook itself.
        }
    }

    private void closeQuietly(AutoCloseable resource) {
        try {
            resource.close();
        } catch (Exception e) {
            out.println("while stopping " + resource + ": " + e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
