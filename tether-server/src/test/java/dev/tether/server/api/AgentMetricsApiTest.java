package dev.tether.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.server.testing.TestAgent;
import dev.tether.server.testing.TestDatabase;
import dev.tether.server.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /api/v1/agents/{id}/metrics}, the heartbeat history behind the web UI's charts. */
class AgentMetricsApiTest {

    @TempDir
    Path dir;
    private TestServer server;

    @BeforeEach
    void start() throws Exception {
        server = TestServer.start(dir, TestDatabase.SQLITE, Duration.ofSeconds(30));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void metricsCarryTheLatestHeartbeatWhileTheAgentIsConnected() {
        try (TestAgent agent = server.connectNew("beating")) {
            agent.heartbeatAcked();

            JsonObject metrics = server.api().get("/api/v1/agents/beating/metrics").json();

            assertThat(metrics.getString("status")).isEqualTo("online");
            assertThat(metrics.getInteger("slot_s")).isEqualTo(60);
            assertThat(metrics.getInteger("window_s")).isEqualTo(3600);
            assertThat(metrics.getJsonArray("samples")).isNotNull();
            assertThat(metrics.getJsonObject("latest").getDouble("cpu_percent")).isEqualTo(12.5);
            assertThat(metrics.getJsonObject("latest").getLong("mem_total_bytes")).isEqualTo(4000);
            assertThat(metrics.getJsonObject("latest").getLong("outbox_depth")).isEqualTo(3);
        }
    }

    @Test
    void anOfflineAgentHasNoLatestAndAnUnknownOneIsNotFound() {
        server.api().enrol("quiet");

        JsonObject metrics = server.api().get("/api/v1/agents/quiet/metrics").json();

        assertThat(metrics.getString("status")).isEqualTo("offline");
        assertThat(metrics.getValue("latest")).isNull();
        assertThat(metrics.getJsonArray("samples")).isEmpty();
        assertThat(server.api().get("/api/v1/agents/nobody/metrics").status()).isEqualTo(404);
    }
}
