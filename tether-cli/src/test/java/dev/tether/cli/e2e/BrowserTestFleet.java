package dev.tether.cli.e2e;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The end-to-end harness ({@link Fleet}: a real server process, real agent
 * processes) as the web UI's browser tests in {@code dev.tether.cli.ui} use it.
 * Not thread safe: one test drives it.
 */
public final class BrowserTestFleet implements AutoCloseable {

    public static final String ADMIN_TOKEN = Fleet.ADMIN_TOKEN;

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
