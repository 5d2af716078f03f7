package dev.tether.cli.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent ↔ server channel end to end: real server and agent processes on
 * loopback, killed, restarted and cut apart, with the server's own REST API as
 * the judge. Subclasses choose the database; the scenarios here are the ones
 * whose outcome goes through the store (delivery exactly once, replay, config),
 * so they run on each. Liveness and bad input are in {@link SqliteChannelTest}.
 */
abstract class ChannelScenarios {

    /** Short so that "3 missed heartbeats" is quick to observe. */
    static final Duration HEARTBEAT = Duration.ofSeconds(1);

    @TempDir
    Path dir;

    Fleet fleet;
    ServerApi api;

    /** JDBC URL of a fresh, empty database, or null for the default SQLite. */
    abstract String freshDatabase() throws Exception;

    @BeforeEach
    void startServer(TestInfo test) throws Exception {
        String name = getClass().getSimpleName() + "/" + test.getTestMethod().orElseThrow().getName();
        fleet = new Fleet(dir, name, freshDatabase(), HEARTBEAT.toSeconds() + "s");
        fleet.startServer();
        api = fleet.api();
    }

    @AfterEach
    void stopFleet() throws Exception {
        fleet.close();
    }

    @Test
    void killedAgentHoldingAThousandUnacknowledgedEventsDeliversEachExactlyOnceInOrder() throws Exception {
        Fleet.AgentIdentity agent = fleet.createAgent("backlog");
        java.net.URI nowhere = Fleet.nowhere();
        JavaProcess offline = fleet.startPublisher(agent, nowhere, 1, 1000, 100, 0);
        offline.awaitOutput("publishing done 1000", Duration.ofSeconds(30));

        offline.kill9();
        fleet.startPublisher(agent, fleet.url(), 1, 0, 1, 0);

        assertExactlyOnceInOrder(agent, 1000);
    }

    @Test
    void anAgentWhoseStateDirIsRestoredFromAnEarlierCopyLosesNoEventPublishedAfterTheRestore() throws Exception {
        Fleet.AgentIdentity agent = fleet.createAgent("restored");
        Path copy = dir.resolve("restored-state-copy");
        JavaProcess early = fleet.startPublisher(agent, fleet.url(), 1, 100, 100, 0);
        awaitApplied(agent, 100);
        early.stop();
        copyDir(agent.stateDir(), copy);
        JavaProcess later = fleet.startPublisher(agent, fleet.url(), 101, 300, 50, 0);
        awaitApplied(agent, 300);
        later.stop();

        // The restored copy numbers its next payloads from where the copy stopped: 250 of them pass the seq
        // the server applied before the agent connects again.
        copyDir(copy, agent.stateDir());
        java.net.URI nowhere = Fleet.nowhere();
        JavaProcess offline = fleet.startPublisher(agent, nowhere, 301, 550, 50, 0);
        offline.awaitOutput("publishing done 550", Duration.ofSeconds(30));
        offline.kill9();
        fleet.startPublisher(agent, fleet.url(), 1, 0, 1, 0);

        assertExactlyOnceInOrder(agent, 550);
    }

    @Test
    void killedServerMidStreamLosesAndDuplicatesNothing() throws Exception {
        Fleet.AgentIdentity agent = fleet.createAgent("streamer");
        JavaProcess publisher = fleet.startPublisher(agent, fleet.url(), 1, 3000, 50, 10);
        publisher.awaitOutput("published 1000", Duration.ofSeconds(30));
        awaitStatus(agent, "online", Duration.ofSeconds(10));

        fleet.server().kill9();
        fleet.startServer();
        publisher.awaitOutput("publishing done 3000", Duration.ofSeconds(60));

        assertExactlyOnceInOrder(agent, 3000);
    }

    @Test
    void fiftyRandomLinkCutsLoseAndDuplicateNothing() throws Exception {
        Fleet.AgentIdentity agent = fleet.createAgent("cut");
        Path stop = dir.resolve("stop-publishing");
        Random random = new Random(42);
        try (ChaosProxy proxy = new ChaosProxy(fleet.port())) {
            JavaProcess publisher = fleet.startPublisher(agent, proxyUrl(proxy), 1, 1_000_000, 10, 5, stop);
            for (int cut = 0; cut < 50; cut++) {
                int links = proxy.accepted();
                await("link " + (cut + 1)).atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(10))
                        .until(() -> proxy.accepted() > links);
                awaitStatus(agent, "online", Duration.ofSeconds(20));
                Thread.sleep(random.nextInt(150));
                proxy.cutAll();
            }
            Files.createFile(stop);
            publisher.awaitOutput("publishing done", Duration.ofSeconds(30));
            String done = publisher.output().lines().filter(l -> l.startsWith("publishing done")).findFirst().orElseThrow();
            long last = Long.parseLong(done.substring("publishing done ".length()).strip());

            assertExactlyOnceInOrder(agent, last);
        }
    }

    @Test
    void configChangedWhileOfflineIsAppliedOnceOnReconnect() throws Exception {
        Fleet.AgentIdentity agent = fleet.createAgent("configured");
        JavaProcess first = fleet.startAgent(agent, fleet.url());
        awaitStatus(agent, "online", Duration.ofSeconds(10));
        first.stop();
        awaitStatus(agent, "offline", Duration.ofSeconds(5));

        JsonObject put = api.ok("PUT", "/api/v1/agents/" + agent.id() + "/config", "{\"backup\":{\"every\":\"6h\"}}");
        long version = put.getLong("version");
        assertThat(put.getBoolean("applied")).isFalse();
        fleet.startAgent(agent, fleet.url());

        await("config applied").atMost(Duration.ofSeconds(10)).until(() ->
                api.ok("GET", "/api/v1/agents/" + agent.id() + "/config", null).getBoolean("applied"));
        assertThat(Files.readString(agent.stateDir().resolve("config.version")).strip()).isEqualTo(Long.toString(version));
        assertThat(new JsonObject(Files.readString(agent.stateDir().resolve("config.json"))))
                .isEqualTo(new JsonObject("{\"backup\":{\"every\":\"6h\"}}"));
        Thread.sleep(HEARTBEAT.toMillis() * 2);
        assertThat(api.events(agent.id(), "agent.config_applied")).hasSize(1);
    }

    // ------------------------------------------------------------ helpers

    void awaitStatus(Fleet.AgentIdentity agent, String status, Duration within) {
        await(agent.name() + " " + status).atMost(within).pollInterval(Duration.ofMillis(25))
                .until(() -> status.equals(api.status(agent.id())));
    }

    private void assertExactlyOnceInOrder(Fleet.AgentIdentity agent, long count) throws Exception {
        await("all " + count + " events applied").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                .until(() -> api.events(agent.id(), "test.n").size() >= count);
        List<Long> ns = api.events(agent.id(), "test.n").stream()
                .map(e -> e.getJsonObject("payload").getLong("n")).toList();
        assertThat(ns).hasSize((int) count);
        for (int i = 0; i < ns.size(); i++) {
            if (ns.get(i) != i + 1) {
                throw new AssertionError("event " + (i + 1) + " applied as n=" + ns.get(i) + " (lost, duplicated or reordered)");
            }
        }
    }

    private void awaitApplied(Fleet.AgentIdentity agent, int count) {
        await(count + " events applied").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> api.events(agent.id(), "test.n").size() >= count);
    }

    /** Replaces {@code to} with a copy of the files in {@code from} (an agent's state dir, agent stopped). */
    private static void copyDir(Path from, Path to) throws java.io.IOException {
        if (Files.exists(to)) {
            try (var old = Files.list(to)) {
                for (Path file : old.toList()) {
                    Files.delete(file);
                }
            }
        }
        Files.createDirectories(to);
        try (var files = Files.list(from)) {
            for (Path file : files.toList()) {
                Files.copy(file, to.resolve(file.getFileName()));
            }
        }
    }

    static java.net.URI proxyUrl(ChaosProxy proxy) {
        return java.net.URI.create("http://127.0.0.1:" + proxy.port());
    }

}
