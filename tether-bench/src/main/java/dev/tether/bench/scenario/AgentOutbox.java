package dev.tether.bench.scenario;

import dev.tether.bench.probe.ProcessProbe;
import dev.tether.bench.report.Json;
import dev.tether.bench.server.ServerProcess;
import dev.tether.bench.sim.Credentials;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The agent side of the outbox scenario: the real agent library (from the CLI
 * jar, run as {@code dev.tether.agent.load.PublishLoad}) publishes events into
 * its SQLite outbox, {@code synchronous=FULL}, so every event is on disk when
 * its publish call returns and before it can be sent; measured are the events
 * stored per second and the events acknowledged by the server per second.
 * Run once per setting: one event per transaction from one thread and from
 * several, and batches of events per transaction.
 */
final class AgentOutbox {

    static final String MAIN_CLASS = "dev.tether.agent.load.PublishLoad";
    /** {@code PublishLoad.MEASURING}: the bench runs PublishLoad from the server jar, not its own class path. */
    static final String MEASURING = "{\"phase\":\"measuring\"}";

    private AgentOutbox() {
    }

    /** One way of publishing: {@code batch} events per transaction from {@code threads} threads. */
    record Setting(long events, int batch, int threads) {
    }

    /**
     * How the agent's process runs: {@code warmUp} events published and acknowledged first, unmeasured, in the
     * same process (its JIT compiles the path meanwhile); {@code jvmOptions} before its class.
     */
    record AgentJvm(long warmUp, List<String> jvmOptions) {
    }

    /**
     * @param storeSeconds until every publish call returned (all on disk)
     * @param acknowledgedSeconds until the server acknowledged the last one
     * @param agentCpuNanos the agent process's CPU from the start of the measured events to their last ack; -1
     *     when the agent's jar does not say when the measured events start
     * @param serverCpuNanos the server's over the same window, -1 likewise
     */
    record Result(Setting setting, double storeSeconds, double acknowledgedSeconds, long agentCpuNanos,
            long serverCpuNanos) {

        double storedPerSecond() {
            return setting.events() / storeSeconds;
        }

        double acknowledgedPerSecond() {
            return setting.events() / acknowledgedSeconds;
        }

        /** CPU microseconds per event of the agent's process; NaN when not measured. */
        double agentCpuMicrosPerEvent() {
            return agentCpuNanos < 0 ? Double.NaN : agentCpuNanos / 1e3 / setting.events();
        }

        /** CPU microseconds per event of the server; NaN when not measured. */
        double serverCpuMicrosPerEvent() {
            return serverCpuNanos < 0 ? Double.NaN : serverCpuNanos / 1e3 / setting.events();
        }
    }

    static final List<Setting> DEFAULT_SETTINGS = List.of(new Setting(5_000, 1, 1), new Setting(20_000, 1, 16),
            new Setting(200_000, 100, 1), new Setting(200_000, 100, 4));

    static List<Result> measure(BenchRun run, ServerProcess server, List<Setting> settings, AgentJvm agentProcess,
            Duration timeout) throws IOException, InterruptedException {
        List<Result> results = new ArrayList<>();
        Path root = run.results().json().resolveSibling(
                run.results().json().getFileName().toString().replace(".json", "-agent"));
        int i = 0;
        for (Setting setting : settings) {
            Credentials agent = run.admin(server).createAgents("outbox-agent-" + run.runId() + "-" + i, 1, 1).get(0);
            Path dir = root.resolve("agent-" + i++);
            results.add(runOne(run, server, agent, setting, agentProcess, dir, timeout));
            Result last = results.getLast();
            run.out().printf("agent outbox, %d per transaction from %d thread(s): %,.0f stored/s, %,.0f "
                    + "acknowledged/s%n", setting.batch(), setting.threads(), last.storedPerSecond(),
                    last.acknowledgedPerSecond());
        }
        return results;
    }

    /** CPU nanoseconds {@code probe}'s process used since {@code start}; -1 when it has just exited. */
    private static long cpuSince(ProcessProbe probe, ProcessProbe.Sample start) {
        try {
            return probe.sample().cpuNanos() - start.cpuNanos();
        } catch (UncheckedIOException e) {
            return -1;
        }
    }

    private static Result runOne(BenchRun run, ServerProcess server, Credentials agent, Setting setting,
            AgentJvm agentProcess, Path dir, Duration timeout) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path keyFile = dir.resolve("agent.key.bench");
        Files.createFile(keyFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(keyFile, agent.key());
        Path log = dir.resolve("publish-load.log");
        List<String> command = new ArrayList<>(List.of(run.options().resolvedJava().toString(),
                "--enable-native-access=ALL-UNNAMED"));
        command.addAll(agentProcess.jvmOptions());
        command.addAll(List.of("-cp", run.options().resolvedServerJar().toString(), MAIN_CLASS,
                "--server", server.baseUri().toString(), "--key-file", keyFile.toString(),
                "--state-dir", dir.resolve("state").toString(), "--events", Long.toString(setting.events()),
                "--batch", Integer.toString(setting.batch()), "--threads", Integer.toString(setting.threads()),
                "--warm-up", Long.toString(agentProcess.warmUp()), "--timeout-s", Long.toString(timeout.toSeconds())));
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.to(log.toFile())).start();
        ProcessProbe agentProbe = ProcessProbe.of(process.pid());
        ProcessProbe serverProbe = server.probe();
        try (BufferedReader output = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            // Both processes' CPU from the line that starts the measured events to the result line, which the
            // agent prints once the last ack came (and before it closes).
            ProcessProbe.Sample agentStart = null;
            ProcessProbe.Sample serverStart = null;
            long agentCpu = -1;
            long serverCpu = -1;
            String last = null;
            for (String line; (line = output.readLine()) != null; ) {
                if (line.equals(MEASURING)) {
                    agentStart = agentProbe.sample();
                    serverStart = serverProbe.sample();
                } else if (!line.isBlank()) {
                    last = line;
                    if (agentStart != null) {
                        agentCpu = cpuSince(agentProbe, agentStart);
                        serverCpu = cpuSince(serverProbe, serverStart);
                    }
                }
            }
            if (!process.waitFor(timeout.toSeconds() + 30, TimeUnit.SECONDS) || process.exitValue() != 0
                    || last == null) {
                throw new IOException("the agent's publish load failed (exit " + (process.isAlive() ? "none"
                        : process.exitValue()) + "); see " + log);
            }
            Map<String, Object> json = Json.parseObject(last);
            return new Result(setting, ((Number) json.get("store_s")).doubleValue(),
                    ((Number) json.get("acknowledged_s")).doubleValue(), agentCpu, serverCpu);
        } finally {
            process.destroyForcibly();
        }
    }
}
