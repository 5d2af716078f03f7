package dev.tether.bench.server;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A real Tether agent, run as its own process from the same CLI jar as the
 * server ({@code java -jar tether.jar agent ...}) with its own state directory
 * and key file, so what it costs can be read from {@code /proc} and the shells
 * it serves are its child processes. Output goes to a log file. Not thread safe.
 */
public final class AgentProcess implements AutoCloseable {

    private static final Duration STOP_GRACE = Duration.ofSeconds(10);

    private final Process process;
    private final Options options;

    private AgentProcess(Process process, Options options) {
        this.process = process;
        this.options = options;
    }

    /**
     * How to run one agent.
     *
     * @param jar the Tether CLI jar
     * @param server the server's base URL ({@code http://127.0.0.1:PORT}); the agent adds the connect path
     * @param key the agent key, written to a 0600 file in {@code stateDir}
     * @param extraArgs more agent flags ({@code --enable-shell --max-shells 64 ...})
     */
    public record Options(Path jar, Path java, List<String> jvmOptions, URI server, String key, Path stateDir,
            Path logFile, List<String> extraArgs) {

        public Options {
            Objects.requireNonNull(jar, "jar");
            Objects.requireNonNull(key, "key");
            jvmOptions = List.copyOf(jvmOptions);
            extraArgs = List.copyOf(extraArgs);
        }

        @Override
        public String toString() {
            return "AgentProcess.Options[server=" + server + ", stateDir=" + stateDir + ", args=" + extraArgs
                    + ", key=***]";
        }
    }

    /** Starts the agent; it connects on its own (wait for it to be online through the API). */
    public static AgentProcess start(Options options) throws IOException {
        Files.createDirectories(options.stateDir());
        Path keyFile = options.stateDir().resolve("agent.key.bench");
        Files.deleteIfExists(keyFile);
        Files.createFile(keyFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(keyFile, options.key());
        List<String> command = new ArrayList<>();
        command.add(options.java().toString());
        command.addAll(options.jvmOptions());
        command.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-jar", options.jar().toString(), "agent",
                "--server", options.server().toString(), "--insecure",
                "--key-file", keyFile.toString(), "--state-dir", options.stateDir().toString()));
        command.addAll(options.extraArgs());
        Files.createDirectories(options.logFile().toAbsolutePath().getParent());
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(options.logFile().toFile())).start();
        return new AgentProcess(process, options);
    }

    public long pid() {
        return process.pid();
    }

    public ProcessHandle handle() {
        return process.toHandle();
    }

    public boolean alive() {
        return process.isAlive();
    }

    public Path logFile() {
        return options.logFile();
    }

    /** SIGTERM (the agent closes its sessions and its connection), then SIGKILL if it takes too long. */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "agent pid " + process.pid();
    }
}
