package dev.tether.bench.server;

import dev.tether.bench.probe.ProcessProbe;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Tether server under test, run as its own process from the CLI jar
 * ({@code java -jar tether.jar server ...}) on a loopback port, so its memory
 * and CPU can be read from {@code /proc} and it can be killed with SIGKILL and
 * started again on the same data directory. Output goes to a log file in the
 * results directory.
 *
 * <p>Not thread safe: one owner drives start, kill and stop.
 */
public final class ServerProcess implements AutoCloseable {

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_GRACE = Duration.ofSeconds(15);
    /** The server's log line naming the port it bound (the CLI tests' harness reads the same line). */
    private static final Pattern LISTENING = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)");

    private final Options options;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private volatile Process process;
    /** The port it listens on: the options' one, or the one it bound on its first start when that was 0. */
    private volatile int port;
    private int starts;
    /** System.nanoTime of the last start command and of the last readiness. */
    private long startedNanos;
    private long readyNanos;

    private ServerProcess(Options options) {
        this.options = options;
        this.port = options.port();
    }

    /**
     * How to run the server.
     *
     * @param jar the Tether CLI jar ({@code tether-cli/target/tether.jar})
     * @param java the {@code java} binary
     * @param jvmOptions options for the server JVM (heap, GC)
     * @param port loopback port to listen on; 0: one the system picks, read from the server's log (at INFO or
     *     finer), kept on restarts
     * @param heartbeatInterval told to agents in Welcome
     * @param adminToken the admin API token (TETHER_ADMIN_TOKEN), at least 16 characters
     * @param logFile where the server's stdout and stderr go (appended)
     * @param logLevel TETHER_LOG_LEVEL
     * @param extraArgs more {@code tether server} flags ({@code --db URL} ...)
     * @param environment more environment variables of the server process ({@code LD_PRELOAD} ...)
     */
    public record Options(Path jar, Path java, List<String> jvmOptions, int port, Path dataDir,
            Duration heartbeatInterval, String adminToken, Path logFile, String logLevel, List<String> extraArgs,
            Map<String, String> environment) {

        public Options(Path jar, Path java, List<String> jvmOptions, int port, Path dataDir,
                Duration heartbeatInterval, String adminToken, Path logFile, String logLevel) {
            this(jar, java, jvmOptions, port, dataDir, heartbeatInterval, adminToken, logFile, logLevel, List.of(),
                    Map.of());
        }

        public Options {
            Objects.requireNonNull(jar, "jar");
            Objects.requireNonNull(java, "java");
            jvmOptions = List.copyOf(jvmOptions);
            extraArgs = List.copyOf(extraArgs);
            environment = Map.copyOf(environment);
            if (adminToken == null || adminToken.length() < 16) {
                throw new IllegalArgumentException("the admin token must have at least 16 characters");
            }
            if (!Files.isRegularFile(jar)) {
                throw new IllegalArgumentException("no server jar at " + jar + ": build it with "
                        + "'./mvnw -B -q -Dmaven.test.skip=true -pl tether-cli -am package', or pass --server-jar");
            }
        }

        public Options withHeartbeatInterval(Duration interval) {
            return new Options(jar, java, jvmOptions, port, dataDir, interval, adminToken, logFile, logLevel,
                    extraArgs, environment);
        }

        public Options withServerArgs(List<String> args, Map<String, String> env) {
            return new Options(jar, java, jvmOptions, port, dataDir, heartbeatInterval, adminToken, logFile, logLevel,
                    args, env);
        }

        @Override
        public String toString() {
            return "Options[jar=" + jar + ", jvm=" + jvmOptions + ", port=" + port + ", dataDir=" + dataDir
                    + ", heartbeat=" + heartbeatInterval + ", adminToken=***]";
        }
    }

    /** Starts the server and waits until {@code /readyz} answers 200. */
    public static ServerProcess start(Options options) throws IOException, InterruptedException {
        ServerProcess server = new ServerProcess(options);
        server.launch();
        return server;
    }

    /** A free loopback port, for the server to listen on. */
    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            return socket.getLocalPort();
        }
    }

    public Options options() {
        return options;
    }

    public URI baseUri() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** The agent endpoint. */
    public URI agentUri() {
        return URI.create("ws://127.0.0.1:" + port + "/v1/agents/connect");
    }

    /** The port it listens on (the bound one when the options asked for 0). */
    public int port() {
        return port;
    }

    public long pid() {
        return process.pid();
    }

    public ProcessProbe probe() {
        return ProcessProbe.of(process.pid());
    }

    public boolean alive() {
        return process != null && process.isAlive();
    }

    /** Seconds from the last start command to readiness. */
    public double startupSeconds() {
        return (readyNanos - startedNanos) / 1e9;
    }

    public long startedNanos() {
        return startedNanos;
    }

    public long readyNanos() {
        return readyNanos;
    }

    /** SIGKILL, as a crash: nothing is flushed, no agent gets a close frame. */
    public void kill() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** Starts again on the same data directory and port; waits until ready. */
    public void restart() throws IOException, InterruptedException {
        if (alive()) {
            throw new IllegalStateException("the server is still running; kill or stop it first");
        }
        launch();
    }

    /** SIGTERM (clean shutdown), then SIGKILL if it takes too long. */
    @Override
    public void close() {
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private void launch() throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(options.java().toString());
        command.addAll(options.jvmOptions());
        command.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-jar", options.jar().toString(), "server",
                "--listen", "127.0.0.1:" + port,
                "--data-dir", options.dataDir().toString(),
                "--insecure-http",
                "--heartbeat-interval", options.heartbeatInterval().toMillis() + "ms"));
        command.addAll(options.extraArgs());
        Files.createDirectories(options.logFile().getParent());
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(options.logFile().toFile()));
        builder.environment().put("TETHER_ADMIN_TOKEN", options.adminToken());
        builder.environment().put("TETHER_LOG_LEVEL", options.logLevel());
        builder.environment().putAll(options.environment());
        long logOffset = Files.exists(options.logFile()) ? Files.size(options.logFile()) : 0;
        startedNanos = System.nanoTime();
        starts++;
        process = builder.start();
        if (port == 0) {
            port = awaitBoundPort(logOffset);
        }
        awaitReady();
        readyNanos = System.nanoTime();
    }

    /** The port from this start's "listening on" line in the log (written from {@code offset} on). */
    private int awaitBoundPort(long offset) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("the server exited with " + process.exitValue() + " during start " + starts
                        + "; see " + options.logFile());
            }
            byte[] log = Files.readAllBytes(options.logFile());
            Matcher listening = LISTENING.matcher(new String(log, (int) Math.min(offset, log.length),
                    (int) Math.max(0, log.length - offset), StandardCharsets.UTF_8));
            if (listening.find()) {
                return Integer.parseInt(listening.group(1));
            }
            Thread.sleep(20);
        }
        throw new IOException("the server logged no port it listens on within " + READY_TIMEOUT + "; see "
                + options.logFile());
    }

    private void awaitReady() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        HttpRequest readyz = HttpRequest.newBuilder(baseUri().resolve("/readyz")).timeout(Duration.ofSeconds(2))
                .GET().build();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("the server exited with " + process.exitValue() + " during start " + starts
                        + "; see " + options.logFile());
            }
            try {
                if (http.send(readyz, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // Not listening yet.
            }
            Thread.sleep(20);
        }
        process.destroyForcibly();
        throw new IOException("the server was not ready within " + READY_TIMEOUT + "; see " + options.logFile());
    }
}
