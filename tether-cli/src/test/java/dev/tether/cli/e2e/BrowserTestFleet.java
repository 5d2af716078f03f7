package dev.tether.cli.e2e;

import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The end-to-end harness ({@link Fleet}: a real server process, real agent
 * processes) as the web UI's browser tests in {@code dev.tether.cli.ui} use it.
 * Not thread safe: one test drives it.
 */
public final class BrowserTestFleet implements AutoCloseable {

    public static final String ADMIN_TOKEN = Fleet.ADMIN_TOKEN;
    private static final Duration WAIT = Duration.ofSeconds(20);

    private final Fleet fleet;

    private BrowserTestFleet(Fleet fleet) {
        this.fleet = fleet;
    }

    /** Starts the server (SQLite in {@code dir}) with this heartbeat interval, e.g. {@code "1s"}. */
    public static BrowserTestFleet start(Path dir, String testName, String heartbeat) throws IOException {
        BrowserTestFleet fleet = new BrowserTestFleet(new Fleet(dir, testName, null, heartbeat));
        fleet.fleet.startServer();
        return fleet;
    }

    public URI url() {
        return fleet.url();
    }

    /** Enrols an agent with server-assigned labels; start it with {@link Agent#start}. */
    public Agent createAgent(String name, Map<String, String> labels) throws IOException, InterruptedException {
        JsonObject json = new JsonObject();
        labels.forEach(json::put);
        return new Agent(fleet.createAgent(name, json));
    }

    /** Calls the REST API with the admin token; fails unless the answer is 2xx. */
    public JsonObject api(String method, String path, String body) throws IOException, InterruptedException {
        return fleet.api().ok(method, path, body);
    }

    /** GETs {@code path} with the admin token and returns the body as text; fails unless the answer is 200. */
    public String text(String path) throws IOException, InterruptedException {
        ServerApi.Response response = fleet.api().call("GET", path, null);
        if (response.status() != 200) {
            throw new AssertionError("GET " + path + " → " + response.status() + " " + response.body());
        }
        return response.body();
    }

    /**
     * Runs a shell session on {@code agent} through the terminal API (not the browser): types each line, then
     * {@code exit 3}, and waits for the end. Returns the session id; the session is recorded.
     */
    public String recordShellSession(Agent agent, String... lines) throws Exception {
        TerminalClient client = TerminalClient.open(fleet.url(), ADMIN_TOKEN, agent.id(), "rows=24&cols=80");
        client.awaitControl("ready", WAIT);
        for (String line : lines) {
            client.type(line + "\r");
        }
        client.type("echo session-$((40 + 2))-done\r");
        client.awaitOutput("session-42-done", WAIT);
        client.type("exit 3\r");
        client.closed().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        return client.control("ready").getString("session");
    }

    /** One enrolled agent and its process, if started. */
    public final class Agent {

        private final Fleet.AgentIdentity identity;
        private final List<JavaProcess> processes = new ArrayList<>();

        private Agent(Fleet.AgentIdentity identity) {
            this.identity = identity;
        }

        public String id() {
            return identity.id();
        }

        public String name() {
            return identity.name();
        }

        /** Starts {@code tether agent} against the server with these extra flags (e.g. --enable-shell). */
        public void start(String... flags) throws IOException {
            processes.add(fleet.startAgent(identity, fleet.url(), flags));
        }

        /**
         * Starts the agent with these flags unless it runs already (a running agent keeps the flags it started
         * with); returns once the server sees it online.
         */
        public void ensureOnline(String... flags) throws IOException {
            if (processes.stream().noneMatch(JavaProcess::alive)) {
                start(flags);
            }
            await(name() + " online").atMost(WAIT).until(() -> "online".equals(fleet.api().status(id())));
        }

        /** Stops the agent if it runs; returns once the server sees it offline. */
        public void ensureOffline() throws InterruptedException {
            stop();
            await(name() + " offline").atMost(WAIT).until(() -> !"online".equals(fleet.api().status(id())));
        }

        /** SIGTERM, and waits for the process to exit. */
        public void stop() throws InterruptedException {
            for (JavaProcess process : processes) {
                if (process.alive()) {
                    process.stop();
                }
            }
        }

        public Path log() {
            return processes.isEmpty() ? null : processes.get(processes.size() - 1).log();
        }
    }

    @Override
    public void close() {
        try {
            fleet.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
