package dev.tether.bench.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.bench.TestServers;
import dev.tether.bench.report.Json;
import dev.tether.bench.server.AdminClient;
import dev.tether.bench.server.ServerProcess;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Simulated agents against a real server: handshake, heartbeats, reliable events and the server's acks. */
class FleetTest {

    private static final int AGENTS = 20;

    @TempDir
    static Path dir;
    static ServerProcess server;
    static AdminClient admin;
    static List<Credentials> agents;

    @BeforeAll
    static void startServer() throws Exception {
        server = TestServers.start(dir, Duration.ofMillis(300));
        admin = AdminClient.create(server.baseUri(), TestServers.ADMIN_TOKEN);
        agents = admin.createAgents("fleet-test", AGENTS, 8);
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void agentsComeOnlineHeartbeatAndHaveTheirEventsAppliedOnce() throws Exception {
        FleetConfig config = FleetConfig.defaults(server.agentUri())
                .withSourceAddresses(FleetConfig.loopbackRange(2, 3))
                .withLatencyWindow(64);
        try (Fleet fleet = Fleet.create(config, agents)) {
            fleet.connectAll();
            await().atMost(Duration.ofSeconds(15)).until(() -> fleet.snapshot().online() == AGENTS);
            assertThat(admin.agentStatuses().values()).containsOnly("online");

            fleet.publish(7, 1000);
            await().atMost(Duration.ofSeconds(15)).until(() -> fleet.snapshot().heartbeatAcks() >= 2L * AGENTS
                    && fleet.snapshot().drained() == AGENTS);

            FleetSnapshot snapshot = fleet.snapshot();
            assertThat(snapshot.published()).isEqualTo(7L * AGENTS);
            assertThat(snapshot.pending()).isZero();
            assertThat(snapshot.ackLatency().count()).isEqualTo(7L * AGENTS);
            assertThat(snapshot.protocolErrors()).isZero();
            assertThat(snapshot.connect().count()).isEqualTo(AGENTS);
            assertThat(eventNumbers(agents.get(3).id(), config.runId())).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L);
        }
    }

    @Test
    void agentsGivenSeveralServersStartSpreadOverThemAndMoveOnFromOneThatRefuses() throws Exception {
        // Agents 0, 2 and 4 dial the dead URL first, agents 1, 3 and 5 the live one.
        URI dead = URI.create("ws://127.0.0.1:" + ServerProcess.freePort() + "/v1/agents/connect");
        FleetConfig config = FleetConfig.defaults(dead).withServers(List.of(dead, server.agentUri()))
                .withBackoff(new Backoff(Duration.ofMillis(50), 2, Duration.ofMillis(200)));
        try (Fleet fleet = Fleet.create(config, agents.subList(0, 6))) {
            fleet.connectAll();
            await().atMost(Duration.ofSeconds(15)).until(() -> fleet.snapshot().online() == 6);
            FleetSnapshot snapshot = fleet.snapshot();
            assertThat(snapshot.failureCount()).as("one refused dial each for the agents that began on it")
                    .isEqualTo(3);
            assertThat(snapshot.welcomes()).isEqualTo(6);
        }
    }

    @Test
    void snapshotsSurviveTheTripThroughJson() throws Exception {
        FleetConfig config = FleetConfig.defaults(server.agentUri());
        try (Fleet fleet = Fleet.create(config, agents.subList(0, 2))) {
            fleet.connectAll();
            await().atMost(Duration.ofSeconds(15)).until(() -> fleet.snapshot().online() == 2);
            FleetSnapshot snapshot = fleet.snapshot();
            FleetSnapshot copy = FleetSnapshot.fromJson(Json.parseObject(Json.write(snapshot.toJson())));
            assertThat(copy.toJson()).isEqualTo(snapshot.toJson());
        }
    }

    private static List<Long> eventNumbers(String agentId, String runId) throws Exception {
        return admin.events(agentId, "bench.event").stream()
                .map(e -> (Map<?, ?>) e.get("payload"))
                .filter(p -> runId.equals(p.get("run")))
                .map(p -> (Long) p.get("n"))
                .toList();
    }
}
