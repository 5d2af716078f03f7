package dev.tether.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.server.testing.Api;
import dev.tether.server.testing.TestAgent;
import dev.tether.server.testing.TestDatabase;
import dev.tether.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Many agents at once: each is served on its own, and what each sends stays its own. */
class ManyAgentsTest {

    private static final int AGENTS = 100;
    private static final int EVENTS_EACH = 50;

    @TempDir
    Path dir;

    @Test
    void hundredAgentsConnectAndPublishConcurrentlyWithoutMixingTheirEvents() throws Exception {
        try (TestServer server = TestServer.start(dir, TestDatabase.SQLITE, Duration.ofSeconds(30));
                ExecutorService threads = Executors.newFixedThreadPool(16)) {
            List<Api.Enrolled> enrolled = new ArrayList<>();
            for (int i = 0; i < AGENTS; i++) {
                enrolled.add(server.api().enrol("fleet-" + i));
            }
            List<Future<TestAgent>> connecting = new ArrayList<>();
            for (Api.Enrolled agent : enrolled) {
                connecting.add(threads.submit(() -> publish(server.port(), agent)));
            }
            List<TestAgent> agents = new ArrayList<>();
            for (Future<TestAgent> future : connecting) {
                agents.add(future.get());
            }

            JsonArray listed = server.api().get("/api/v1/agents?limit=" + AGENTS).json().getJsonArray("agents");
            assertThat(listed).hasSize(AGENTS).allSatisfy(agent ->
                    assertThat(((JsonObject) agent).getString("status")).isEqualTo("online"));
            JsonObject events = server.api().get("/api/v1/agents/fleet-7/events?limit=500").json();
            assertThat(events.getJsonArray("events")).hasSize(EVENTS_EACH).allSatisfy(event ->
                    assertThat(((JsonObject) event).getString("type")).isEqualTo("fleet-7.event"));

            agents.forEach(TestAgent::close);
            await().atMost(Duration.ofSeconds(5)).until(() -> server.api().get("/metrics").body()
                    .contains("tether_agents_connected 0.0"));
        }
    }

    private static TestAgent publish(int port, Api.Enrolled agent) {
        TestAgent connection = TestAgent.connect(port, agent.key());
        connection.hello();
        for (long seq = 1; seq <= EVENTS_EACH; seq++) {
            connection.event(seq, agent.name() + ".event");
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> connection.highestAck() == EVENTS_EACH);
        connection.heartbeatAcked();
        return connection;
    }
}
