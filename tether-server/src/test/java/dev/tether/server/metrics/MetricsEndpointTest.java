package dev.tether.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.server.testing.Api;
import dev.tether.server.testing.TestAgent;
import dev.tether.server.testing.TestDatabase;
import dev.tether.server.testing.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code /metrics} exports every counter and gauge the server promises, with live values. */
class MetricsEndpointTest {

    @TempDir
    Path dir;

    @Test
    void metricsReflectConnectionsHandshakesFramesAndCloses() throws Exception {
        try (TestServer server = TestServer.start(dir, TestDatabase.SQLITE, Duration.ofSeconds(30))) {
            Api.Enrolled agent = server.api().enrol("measured");
            TestAgent.rejection(server.port(), "tak_wrong");
            TestAgent first = TestAgent.connect(server.port(), agent.key());
            first.hello();
            TestAgent second = TestAgent.connect(server.port(), agent.key());
            second.hello();
            first.awaitCloseCode();
            second.heartbeatAcked();
            server.api().put("/api/v1/agents/measured/config", "{}");

            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                String metrics = server.api().withToken(null).get("/metrics").body();
                assertThat(metrics)
                        .contains("tether_agents_connected 1.0")
                        .contains("tether_handshakes_total{result=\"ok\"} 2.0")
                        .contains("tether_handshake_failures_total{reason=\"unknown_key\"} 1.0")
                        .contains("tether_reconnects_total 1.0")
                        .contains("tether_connection_closes_total{code=\"4001\"} 1.0")
                        .contains("tether_reliable_pending{direction=\"from_agents\"} 3.0")
                        .contains("tether_reliable_pending{direction=\"to_agents\"} 1.0")
                        .contains("tether_unknown_payloads_total 0.0")
                        .containsPattern("tether_frames_total\\{direction=\"in\"\\} [1-9]")
                        .containsPattern("tether_frames_total\\{direction=\"out\"\\} [1-9]")
                        .containsPattern("tether_bytes_total\\{direction=\"in\"\\} [1-9]")
                        .containsPattern("tether_bytes_total\\{direction=\"out\"\\} [1-9]");
            });
            second.close();
        }
    }

    @Test
    void theProcessAndTheDatabasePoolAreMeasuredToo() throws Exception {
        try (TestServer server = TestServer.start(dir, TestDatabase.SQLITE, Duration.ofSeconds(30))) {
            String metrics = server.api().withToken(null).get("/metrics").body();

            assertThat(metrics)
                    .containsPattern("tether_build_info\\{version=\"[^\"]+\"\\} 1(\\.0)?\\b")
                    .containsPattern("jvm_memory_used_bytes\\{area=\"heap\",id=\"[^\"]+\"\\} [1-9]")
                    .contains("jvm_gc_")
                    .containsPattern("jvm_threads_live_threads [1-9]")
                    .contains("process_cpu_usage")
                    .containsPattern("process_files_open_files [1-9]")
                    .containsPattern("process_uptime_seconds [0-9]")
                    .containsPattern("hikaricp_connections\\{pool=\"tether-db\"\\} [0-9]")
                    .contains("hikaricp_connections_timeout_total{pool=\"tether-db\"}")
                    .containsPattern("tether_cluster_lease_age_seconds [0-5]\\.");
        }
    }
}
