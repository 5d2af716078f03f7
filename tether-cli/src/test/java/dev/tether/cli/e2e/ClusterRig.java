package dev.tether.cli.e2e;

import static org.awaitility.Awaitility.await;

import dev.tether.server.testing.RequiredTool;
import dev.tether.server.testing.TestDatabase;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.TestInfo;

/**
 * Server nodes of one cluster as real processes on one PostgreSQL database, with HAProxy (the Debian package)
 * in front of them as the agents' one URL, the way the cluster is deployed. Each node has its own port and
 * data dir and keeps them across restarts.
 */
final class ClusterRig implements AutoCloseable {

    static final String HAPROXY = "/usr/sbin/haproxy";

    private final Path dir;
    private final Path logDir;
    private final String jdbcUrl;
    private final Path secretFile;
    private final Map<String, Node> nodes = new LinkedHashMap<>();
    private final List<JavaProcess> processes = new ArrayList<>();
    private Process haproxy;
    private int haproxyPort;
    private int starts;

    /** A server node: its name, port (bound on its first start, kept across restarts) and current process. */
    static final class Node {
        final String name;
        int port;
        JavaProcess process;

        Node(String name) {
            this.name = name;
        }

        URI url() {
            return URI.create("http://127.0.0.1:" + port);
        }

        ServerApi api() {
            return new ServerApi(url(), Fleet.ADMIN_TOKEN);
        }
    }

    /**
     * A rig for one test on a fresh database of the shared embedded PostgreSQL. HAProxy is the cluster's load
     * balancer: missing on a laptop the test is skipped, under CI=true it fails.
     */
    static ClusterRig forTest(Path dir, TestInfo test) throws IOException {
        String testName = test.getTestClass().orElseThrow().getSimpleName();
        RequiredTool.require(Files.isExecutable(Path.of(HAPROXY)), testName,
                "HAProxy is the cluster's load balancer: apt-get install haproxy (.ci/install-test-tools does)");
        return new ClusterRig(dir, testName + "/" + test.getTestMethod().orElseThrow().getName(),
                TestDatabase.POSTGRESQL.freshJdbcUrl(dir));
    }

    ClusterRig(Path dir, String testName, String jdbcUrl) throws IOException {
        this.dir = dir;
        this.logDir = JavaProcess.LOG_ROOT.resolve(testName);
        this.jdbcUrl = jdbcUrl;
        this.secretFile = dir.resolve("cluster.secret");
        Files.writeString(secretFile, "0123456789abcdef0123456789abcdef-cluster-test-secret\n");
        JavaProcess.prepareStarts();
    }

    /** Starts nodes with these names, one after another, each ready before the next. */
    ClusterRig start(String... names) throws IOException {
        for (String name : names) {
            Node node = new Node(name);
            nodes.put(name, node);
            launch(node);
            awaitReady(node);
        }
        return this;
    }

    /** Starts nodes with these names, one after another, each ready before the next, without a cluster secret. */
    ClusterRig startWithoutSecret(String... names) throws IOException {
        for (String name : names) {
            Node node = new Node(name);
            nodes.put(name, node);
            node.process = JavaProcess.start("node-" + node.name + "-" + (++starts), logDir,
                    Map.of("TETHER_ADMIN_TOKEN", Fleet.ADMIN_TOKEN), Fleet.MAIN, List.of("server",
                            "--listen", "127.0.0.1:0",
                            "--data-dir", dir.resolve("node-" + node.name).toString(),
                            "--insecure-http", "--heartbeat-interval", "1s", "--db", jdbcUrl,
                            "--node-name", node.name));
            processes.add(node.process);
            awaitReady(node);
        }
        return this;
    }

    Node node(String name) {
        return nodes.get(name);
    }

    List<Node> nodes() {
        return List.copyOf(nodes.values());
    }

    /** Starts the node's process again (after a kill), and waits until it is ready. */
    void restart(String name) throws IOException {
        Node node = nodes.get(name);
        launch(node);
        awaitReady(node);
    }

    /**
     * Starts the node's process: on its first start on port 0, advertising the address it bound (no port is
     * guessed free); after that on the same port, advertised with --advertise-url.
     */
    private void launch(Node node) throws IOException {
        List<String> args = new ArrayList<>(List.of("server",
                "--listen", "127.0.0.1:" + node.port,
                "--data-dir", dir.resolve("node-" + node.name).toString(),
                "--insecure-http",
                "--heartbeat-interval", "1s",
                "--db", jdbcUrl,
                "--node-name", node.name,
                "--cluster-secret-file", secretFile.toString()));
        if (node.port != 0) {
            args.addAll(List.of("--advertise-url", node.url().toString()));
        }
        node.process = JavaProcess.start("node-" + node.name + "-" + (++starts), logDir,
                Map.of("TETHER_ADMIN_TOKEN", Fleet.ADMIN_TOKEN), Fleet.MAIN, args);
        processes.add(node.process);
    }

    private static void awaitReady(Node node) {
        if (node.port == 0) {
            node.port = node.process.awaitListeningPort(Duration.ofSeconds(60));
        }
        HttpClient http = HttpClient.newHttpClient();
        await("node " + node.name + " ready").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                .until(() -> {
                    if (!node.process.alive()) {
                        throw new AssertionError("node " + node.name + " exited:\n" + node.process.output());
                    }
                    return ready(http, node.url());
                });
    }

    /** SIGSTOP or SIGCONT to a node's process. */
    void signal(String name, String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(nodes.get(name).process.pid()))
                .inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new AssertionError("kill -" + signal + " failed");
        }
    }

    /**
     * Starts HAProxy in front of every node, balancing by least connections and checking /readyz. HAProxy
     * cannot listen on port 0 and report it, so it gets a port the system just handed out; should another
     * process take that port first, HAProxy fails to bind and is started again on another.
     */
    URI startLoadBalancer() throws IOException {
        Files.createDirectories(logDir);
        Path log = logDir.resolve("haproxy.log");
        for (int attempt = 1; ; attempt++) {
            haproxyPort = freePort();
            Path file = dir.resolve("haproxy.cfg");
            Files.writeString(file, haproxyConfig(haproxyPort));
            haproxy = new ProcessBuilder(HAPROXY, "-db", "-f", file.toString())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            URI url = URI.create("http://127.0.0.1:" + haproxyPort);
            HttpClient http = HttpClient.newHttpClient();
            await("haproxy ready").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                    .until(() -> !haproxy.isAlive() || ready(http, url));
            if (haproxy.isAlive()) {
                return url;
            }
            String output = Files.readString(log);
            if (attempt == 3 || !output.contains("cannot bind")) {
                throw new AssertionError("haproxy exited:\n" + output);
            }
        }
    }

    private String haproxyConfig(int port) {
        StringBuilder config = new StringBuilder("""
                global
                    maxconn 4000
                defaults
                    mode http
                    timeout connect 1s
                    timeout client 1h
                    timeout server 1h
                    timeout tunnel 1h
                    timeout check 2s
                    option redispatch
                    retries 2
                frontend agents
                    bind 127.0.0.1:%d
                    default_backend nodes
                backend nodes
                    balance leastconn
                    option httpchk GET /readyz
                    default-server inter 1s fall 3 rise 2 on-marked-down shutdown-sessions
                """.formatted(port));
        for (Node node : nodes.values()) {
            config.append("    server ").append(node.name).append(" 127.0.0.1:").append(node.port).append(" check\n");
        }
        return config.toString();
    }

    private static boolean ready(HttpClient http, URI url) throws InterruptedException {
        try {
            return http.send(HttpRequest.newBuilder(url.resolve("/readyz")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        }
    }

    /** Creates an agent through the first node and writes its key file. */
    Fleet.AgentIdentity createAgent(String name) throws IOException, InterruptedException {
        JsonObject created = nodes.values().iterator().next().api().createAgent(name, new JsonObject());
        Path keyFile = dir.resolve(name + ".key");
        Files.writeString(keyFile, created.getString("key"));
        return new Fleet.AgentIdentity(created.getString("id"), name, keyFile, dir.resolve(name + "-state"));
    }

    /** Starts {@code tether agent} against {@code server}. */
    JavaProcess startAgent(Fleet.AgentIdentity agent, URI server) throws IOException {
        JavaProcess process = JavaProcess.start(agent.name() + "-" + processes.size(), logDir, Map.of(), Fleet.MAIN,
                List.of("agent", "--server", server.toString(), "--insecure", "--key-file", agent.keyFile().toString(),
                        "--state-dir", agent.stateDir().toString()));
        processes.add(process);
        return process;
    }

    /** Starts {@code tether agent} with one {@code --server} flag per URL. */
    JavaProcess startAgent(Fleet.AgentIdentity agent, List<URI> servers) throws IOException {
        List<String> args = new ArrayList<>(List.of("agent", "--insecure", "--key-file", agent.keyFile().toString(),
                "--state-dir", agent.stateDir().toString()));
        servers.forEach(server -> args.addAll(List.of("--server", server.toString())));
        JavaProcess process = JavaProcess.start(agent.name() + "-" + processes.size(), logDir, Map.of(), Fleet.MAIN,
                args);
        processes.add(process);
        return process;
    }

    /** Starts {@code tether agent} against {@code server} serving shells ({@code /bin/sh}). */
    JavaProcess startShellAgent(Fleet.AgentIdentity agent, URI server) throws IOException {
        JavaProcess process = JavaProcess.start(agent.name() + "-" + processes.size(), logDir, Map.of(), Fleet.MAIN,
                List.of("agent", "--server", server.toString(), "--insecure", "--key-file", agent.keyFile().toString(),
                        "--state-dir", agent.stateDir().toString(), "--enable-shell", "--shell", "/bin/sh"));
        processes.add(process);
        return process;
    }

    /** Runs one operator command of the CLI against {@code node}; returns its exit code and output. */
    Fleet.CliResult cli(Node node, String... args) throws IOException, InterruptedException {
        JavaProcess process = JavaProcess.start("cli-" + processes.size(), logDir,
                Map.of("TETHER_URL", node.url().toString(), "TETHER_TOKEN", Fleet.ADMIN_TOKEN), Fleet.MAIN,
                List.of(args));
        processes.add(process);
        int exit = process.waitForExit(Duration.ofSeconds(120));
        return new Fleet.CliResult(exit, process.output());
    }

    /** SIGKILL to a node's process; returns when it is gone. */
    void kill(String name) throws InterruptedException {
        nodes.get(name).process.kill9();
    }

    /** Starts an agent process that publishes test.n events first..last through {@code server}. */
    JavaProcess startPublisher(Fleet.AgentIdentity agent, URI server, long first, long last, int batch, long pauseMs)
            throws IOException {
        JavaProcess process = JavaProcess.start(agent.name() + "-pub-" + processes.size(), logDir, Map.of(),
                PublishingAgentMain.class.getName(), List.of(server.toString(), agent.keyFile().toString(),
                        agent.stateDir().toString(), Long.toString(first), Long.toString(last),
                        Integer.toString(batch), Long.toString(pauseMs)));
        processes.add(process);
        return process;
    }

    Path dir() {
        return dir;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() throws Exception {
        for (Node node : nodes.values()) {
            if (node.process != null && node.process.alive()) {
                // A stopped process ignores SIGTERM until continued.
                new ProcessBuilder("kill", "-CONT", Long.toString(node.process.pid())).start().waitFor();
            }
        }
        for (JavaProcess process : processes) {
            process.close();
        }
        if (haproxy != null) {
            haproxy.destroy();
            haproxy.waitFor(5, TimeUnit.SECONDS);
        }
    }
}
