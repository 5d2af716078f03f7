package dev.tether.cli.e2e;

import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A real server process and the agent processes of one test, with the
 * server's port, data dir and database kept across restarts.
 */
final class Fleet implements AutoCloseable {

    static final String ADMIN_TOKEN = "tat_e2e-admin-token-0123456789abcdefghijklmnop";
    static final String MAIN = "dev.tether.cli.Main";

    private final Path dir;
    private final Path logDir;
    private final String jdbcUrl;
    private final String heartbeat;
    /** The port the first server bound (it listens on port 0); later servers reuse it. 0 until then. */
    private int port;
    private ServerApi api;
    private final List<JavaProcess> processes = new ArrayList<>();
    private JavaProcess server;
    private int serverStarts;
    /** What the server process starts under ({@link JavaProcess#start}): a umask, say. */
    private List<String> serverPrefix = List.of();
    /** What the server and agent processes start under; none by default. */
    private List<String> prefix = List.of();

    Fleet(Path dir, String testName, String jdbcUrl, String heartbeat) throws IOException {
        this.dir = dir;
        this.logDir = JavaProcess.LOG_ROOT.resolve(testName);
        this.jdbcUrl = jdbcUrl;
        this.heartbeat = heartbeat;
        JavaProcess.prepareStarts();
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + port());
    }

    int port() {
        if (port == 0) {
            throw new IllegalStateException("the server has not bound its port yet: startServer() or awaitReady()"
                    + " first");
        }
        return port;
    }

    ServerApi api() {
        port();
        return api;
    }

    /** Starts later server processes under {@code umask} (e.g. "000"). */
    Fleet serverUmask(String umask) {
        this.serverPrefix = JavaProcess.underUmask(umask);
        return this;
    }

    /** Starts later server and agent processes under {@code prefix} (see {@link JavaProcess#start}). */
    Fleet startingUnder(List<String> prefix) {
        this.prefix = List.copyOf(prefix);
        return this;
    }

    JavaProcess startServer() throws IOException {
        launchServer(Map.of());
        awaitReady();
        return server;
    }

    /** Starts a server process with {@code env} and {@code extra} arguments added; does not wait for it. */
    JavaProcess launchServer(Map<String, String> env, String... extra) throws IOException {
        List<String> args = new ArrayList<>(List.of("server",
                "--listen", "127.0.0.1:" + port,
                "--data-dir", dir.resolve("server").toString(),
                "--insecure-http",
                "--heartbeat-interval", heartbeat));
        if (jdbcUrl != null) {
            args.add("--db");
            args.add(jdbcUrl);
        }
        args.addAll(List.of(extra));
        Map<String, String> all = new HashMap<>(env);
        all.put("TETHER_ADMIN_TOKEN", ADMIN_TOKEN);
        List<String> under = new ArrayList<>(prefix);
        under.addAll(serverPrefix);
        server = JavaProcess.start("server-" + (++serverStarts), logDir, all, MAIN, args, null, under);
        processes.add(server);
        return server;
    }

    JavaProcess server() {
        return server;
    }

    /** Waits until the last server started answers /readyz; fails with its output if it exits. */
    void awaitReady() {
        HttpClient http = HttpClient.newHttpClient();
        await("server ready").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> {
            if (!server.alive()) {
                throw new AssertionError("server exited:\n" + server.output());
            }
            if (port == 0 && !learnPort()) {
                return false;
            }
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(url().resolve("/readyz")).build(),
                        HttpResponse.BodyHandlers.discarding());
                return r.statusCode() == 200;
            } catch (IOException e) {
                return false;
            }
        });
    }

    /** Creates an agent through the API and writes its key file; returns {id, name, key, keyFile}. */
    AgentIdentity createAgent(String name) throws IOException, InterruptedException {
        return createAgent(name, new JsonObject());
    }

    AgentIdentity createAgent(String name, JsonObject labels) throws IOException, InterruptedException {
        JsonObject created = api().createAgent(name, labels);
        Path keyFile = dir.resolve(name + ".key");
        Files.writeString(keyFile, created.getString("key"));
        return new AgentIdentity(created.getString("id"), name, keyFile, dir.resolve(name + "-state"));
    }

    record AgentIdentity(String id, String name, Path keyFile, Path stateDir) {
    }

    /** Starts {@code tether agent} exactly as the README's quick start does, with {@code flags} added. */
    JavaProcess startAgent(AgentIdentity agent, URI server, String... flags) throws IOException {
        return startAgent(agent, server, Map.of(), flags);
    }

    /** As {@link #startAgent(AgentIdentity, URI, String...)}, with {@code env} added to the agent's environment. */
    JavaProcess startAgent(AgentIdentity agent, URI server, Map<String, String> env, String... flags)
            throws IOException {
        List<String> args = new ArrayList<>(List.of("agent", "--server", server.toString(), "--insecure",
                "--key-file", agent.keyFile().toString(),
                "--state-dir", agent.stateDir().toString()));
        args.addAll(List.of(flags));
        JavaProcess process = JavaProcess.start(agent.name() + "-" + processes.size(), logDir, env, MAIN, args,
                null, prefix);
        processes.add(process);
        return process;
    }

    /** Starts {@code tether agent} with exactly these arguments after {@code agent} (enrollment, say). */
    JavaProcess startAgentWith(String name, List<String> args) throws IOException {
        List<String> all = new ArrayList<>(List.of("agent"));
        all.addAll(args);
        JavaProcess process = JavaProcess.start(name + "-" + processes.size(), logDir, Map.of(), MAIN, all);
        processes.add(process);
        return process;
    }

    /** Where this test's processes write their logs. */
    Path logDir() {
        return logDir;
    }

    /** Starts an agent process that publishes test.n events first..last. */
    JavaProcess startPublisher(AgentIdentity agent, URI server, long first, long last, int batch, long pauseMs)
            throws IOException {
        return startPublisher(agent, server, first, last, batch, pauseMs, null);
    }

    /** As above; publishing also ends when {@code stopFile} appears. */
    JavaProcess startPublisher(AgentIdentity agent, URI server, long first, long last, int batch, long pauseMs,
            Path stopFile) throws IOException {
        List<String> args = new ArrayList<>(List.of(server.toString(), agent.keyFile().toString(),
                agent.stateDir().toString(), Long.toString(first), Long.toString(last),
                Integer.toString(batch), Long.toString(pauseMs)));
        if (stopFile != null) {
            args.add(stopFile.toString());
        }
        JavaProcess process = JavaProcess.start(agent.name() + "-pub-" + processes.size(), logDir, Map.of(),
                PublishingAgentMain.class.getName(), args);
        processes.add(process);
        return process;
    }

    /** Runs one operator command of the CLI against this server; returns its exit code and output. */
    CliResult cli(String... args) throws IOException, InterruptedException {
        return cliWithInput(null, args);
    }

    /** As {@link #cli}, with {@code input} as the command's standard input (null: none). */
    CliResult cliWithInput(String input, String... args) throws IOException, InterruptedException {
        Path stdin = null;
        if (input != null) {
            stdin = Files.createTempFile(dir, "stdin-", ".txt");
            Files.writeString(stdin, input);
        }
        JavaProcess process = JavaProcess.start("cli-" + processes.size(), logDir,
                Map.of("TETHER_URL", url().toString(), "TETHER_TOKEN", ADMIN_TOKEN), MAIN, List.of(args), stdin);
        processes.add(process);
        int exit = process.waitForExit(Duration.ofSeconds(120));
        return new CliResult(exit, process.output());
    }

    /** Runs one CLI command with only {@code env} added: no token unless it says so. */
    CliResult cliWithEnv(Map<String, String> env, String... args) throws IOException, InterruptedException {
        JavaProcess process = JavaProcess.start("cli-" + processes.size(), logDir, env, MAIN, List.of(args));
        processes.add(process);
        int exit = process.waitForExit(Duration.ofSeconds(120));
        return new CliResult(exit, process.output());
    }

    record CliResult(int exit, String output) {
    }

    Path dir() {
        return dir;
    }

    /** A loopback URL nothing listens on (a port the system just handed out and took back), for a dead server. */
    static URI nowhere() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return URI.create("http://127.0.0.1:" + socket.getLocalPort());
        }
    }

    /** Takes the port the first server bound from its log; false until it has logged it. */
    private boolean learnPort() {
        Integer bound = server.listeningPort();
        if (bound == null) {
            return false;
        }
        port = bound;
        api = new ServerApi(url(), ADMIN_TOKEN);
        return true;
    }

    @Override
    public void close() throws InterruptedException {
        for (JavaProcess process : processes) {
            process.close();
        }
    }
}
