package dev.tether.bench.scenario;

import dev.tether.bench.sim.Credentials;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real agents of {@code tether bench chaos}: one process each, running
 * {@code dev.tether.agent.load.EventSource} from the CLI jar (the real agent
 * with its SQLite outbox and exec jobs) in a directory of its own that holds
 * its state dir, its key, its event ledger and the ledger its jobs append to.
 * Killed with SIGKILL and started again on the same directory.
 *
 * <p>Thread safe: the fault thread kills and restarts while the main thread
 * checks and finally stops them; every method synchronizes on this.
 */
final class ChaosFleet implements AutoCloseable {

    static final String EVENT_LEDGER = "events.ledger";
    static final String COMMAND_LEDGER = "commands.ledger";
    private static final String MAIN_CLASS = "dev.tether.agent.load.EventSource";

    private final Path jar;
    private final Path java;
    private final URI server;
    private final List<Credentials> agents;
    private final Path root;
    private final long intervalMillis;
    private final Map<String, String> environment;
    /** One per agent, the latest process; guarded by this. */
    private final Process[] processes;
    private int kills;

    ChaosFleet(Path jar, Path java, URI server, List<Credentials> agents, Path root, long intervalMillis,
            Map<String, String> environment) {
        this.jar = jar;
        this.java = java;
        this.server = server;
        this.agents = List.copyOf(agents);
        this.root = root;
        this.intervalMillis = intervalMillis;
        this.environment = Map.copyOf(environment);
        this.processes = new Process[agents.size()];
    }

    int size() {
        return agents.size();
    }

    Credentials agent(int i) {
        return agents.get(i);
    }

    List<String> agentIds() {
        return agents.stream().map(Credentials::id).toList();
    }

    /** The agent's own directory: its cwd, so its jobs' relative paths land there. */
    Path dir(int i) {
        return root.resolve(agents.get(i).name());
    }

    synchronized void startAll() throws IOException {
        for (int i = 0; i < agents.size(); i++) {
            start(i);
        }
    }

    synchronized boolean alive(int i) {
        return processes[i] != null && processes[i].isAlive();
    }

    /** SIGKILL: nothing flushed beyond what the agent already wrote. */
    synchronized void kill(int i) throws InterruptedException {
        Process process = processes[i];
        if (process != null && process.isAlive()) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
            kills++;
        }
    }

    synchronized int kills() {
        return kills;
    }

    /** Starts agent {@code i} again when it is not running. */
    synchronized void start(int i) throws IOException {
        if (alive(i)) {
            return;
        }
        Path dir = dir(i);
        Files.createDirectories(dir);
        Path keyFile = dir.resolve("agent.key");
        if (!Files.exists(keyFile)) {
            Files.createFile(keyFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(keyFile, agents.get(i).key());
        }
        List<String> command = new ArrayList<>(List.of(java.toString(), "-Xmx96m", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "--enable-native-access=ALL-UNNAMED", "-cp", jar.toString(), MAIN_CLASS,
                "--server", server.toString(), "--key-file", keyFile.toString(),
                "--state-dir", dir.resolve("state").toString(),
                "--ledger", dir.resolve(EVENT_LEDGER).toString(),
                "--interval-ms", Long.toString(intervalMillis)));
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("agent.log").toFile()));
        builder.environment().putAll(environment);
        processes[i] = builder.start();
    }

    /** Makes every agent stop publishing (they stay connected and send what they stored). */
    void stopPublishing() throws IOException {
        for (int i = 0; i < agents.size(); i++) {
            Files.writeString(dir(i).resolve(EVENT_LEDGER + ".stop"), "");
        }
    }

    /** SIGTERM to every agent (they stop publishing and close cleanly), SIGKILL to any that lingers. */
    @Override
    public synchronized void close() {
        for (Process process : processes) {
            if (process != null) {
                process.destroy();
            }
        }
        for (Process process : processes) {
            if (process == null) {
                continue;
            }
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.descendants().forEach(ProcessHandle::destroyForcibly);
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }
}
