package dev.tether.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.server.testing.Api;
import dev.tether.server.testing.TestAgent;
import dev.tether.server.testing.TestDatabase;
import dev.tether.server.testing.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

    @Test
    void requestsAreTimedByRouteTemplateInOneSeriesWithCumulativeBuckets() throws Exception {
        try (TestServer server = TestServer.start(dir, TestDatabase.SQLITE, Duration.ofSeconds(30))) {
            server.api().get("/api/v1/agents/some-id");
            server.api().get("/api/v1/agents/another-id");
            server.api().get("/api/v1/agents");

            String metrics = server.api().withToken(null).get("/metrics").body();

            String agent = "method=\"GET\",route=\"/api/v1/agents/:agent\",status=\"4xx\"";
            assertThat(value(metrics, "tether_http_request_duration_seconds_count{" + agent + "}")).isEqualTo(2.0);
            assertThat(value(metrics, "tether_http_request_duration_seconds_sum{" + agent + "}")).isPositive();
            List<double[]> buckets = buckets(metrics, "tether_http_request_duration_seconds_bucket", agent);
            assertThat(buckets).hasSizeGreaterThan(10);
            for (int i = 1; i < buckets.size(); i++) {
                assertThat(buckets.get(i)[0]).isGreaterThan(buckets.get(i - 1)[0]);
                assertThat(buckets.get(i)[1]).as("cumulative").isGreaterThanOrEqualTo(buckets.get(i - 1)[1]);
            }
            assertThat(buckets.getLast()[0]).isInfinite();
            assertThat(buckets.getLast()[1]).isEqualTo(2.0);
            assertThat(value(metrics, "tether_http_request_duration_seconds_count{method=\"GET\","
                    + "route=\"/api/v1/agents\",status=\"2xx\"}")).isEqualTo(1.0);
            assertThat(metrics).doesNotContain("some-id").doesNotContain("another-id");
        }
    }

    @Test
    void pathsNoRouteDeclaresShareOneSeriesAndOddMethodsOneLabel() throws Exception {
        try (TestServer server = TestServer.start(dir, TestDatabase.SQLITE, Duration.ofSeconds(30))) {
            for (int i = 0; i < 3; i++) {
                server.api().get("/scanner/guess-" + i);
            }
            server.api().send("BREW", "/api/v1/agents", null, null);

            String metrics = server.api().withToken(null).get("/metrics").body();

            assertThat(metrics).doesNotContain("guess-").doesNotContain("BREW");
            assertThat(value(metrics, "tether_http_request_duration_seconds_count{method=\"GET\",route=\"other\","))
                    .isEqualTo(3.0);
            assertThat(value(metrics, "tether_http_request_duration_seconds_count{method=\"other\","
                    + "route=\"/api/v1/agents\","))
                    .isEqualTo(1.0);
        }
    }

    @Test
    void fleetAgentsAreCountedByStatus() throws Exception {
        try (TestServer server = TestServer.start(dir, TestDatabase.SQLITE, Duration.ofSeconds(30))) {
            Api.Enrolled online = server.api().enrol("online-one");
            server.api().enrol("offline-one");
            server.api().enrol("offline-two");
            server.api().enrol("revoked-one");
            assertThat(server.api().post("/api/v1/agents/revoked-one/revoke", "").status()).isEqualTo(200);
            try (TestAgent agent = TestAgent.connect(server.port(), online.key())) {
                agent.hello();
                agent.heartbeatAcked();

                String metrics = server.api().withToken(null).get("/metrics").body();

                assertThat(value(metrics, "tether_fleet_agents{status=\"online\"}")).isEqualTo(1.0);
                assertThat(value(metrics, "tether_fleet_agents{status=\"offline\"}")).isEqualTo(2.0);
                assertThat(value(metrics, "tether_fleet_agents{status=\"revoked\"}")).isEqualTo(1.0);
                assertThat(value(metrics, "tether_fleet_agents{status=\"pending\"}")).isEqualTo(0.0);
                assertThat(value(metrics, "tether_fleet_agents{status=\"rejected\"}")).isEqualTo(0.0);
            }
        }
    }

    @Test
    void reliableAppliesAndFanOutsAreTimed() throws Exception {
        try (TestServer server = TestServer.start(dir, TestDatabase.SQLITE, Duration.ofSeconds(30))) {
            Api.Enrolled enrolled = server.api().enrol("timed");
            try (TestAgent agent = TestAgent.connect(server.port(), enrolled.key())) {
                agent.hello();
                String before = server.api().withToken(null).get("/metrics").body();
                double appliesBefore = value(before, "tether_reliable_apply_duration_seconds_count");
                assertThat(value(before, "tether_fanout_duration_seconds_count")).isEqualTo(0.0);

                agent.event(1, "test.one");
                server.api().exec(List.of("timed"), "true");
                server.api().exec(List.of("timed"), "true");

                await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                    String metrics = server.api().withToken(null).get("/metrics").body();
                    assertThat(value(metrics, "tether_reliable_apply_duration_seconds_count"))
                            .isGreaterThan(appliesBefore);
                    assertThat(value(metrics, "tether_fanout_duration_seconds_count")).isEqualTo(2.0);
                    assertThat(value(metrics, "tether_fanout_duration_seconds_bucket{le=\"+Inf\"}")).isEqualTo(2.0);
                    assertThat(value(metrics, "tether_fanout_duration_seconds_sum")).isPositive();
                });
            }
        }
    }

    /** The value of the one series whose line starts with {@code series}; fails when there is none or several. */
    static double value(String metrics, String series) {
        List<String> lines = metrics.lines().filter(line -> line.startsWith(series)).toList();
        assertThat(lines).as("series " + series).hasSize(1);
        String line = lines.getFirst();
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
    }

    /** The (le, count) pairs of a histogram's series having {@code labels}, in exposition order; fails when none. */
    static List<double[]> buckets(String metrics, String name, String labels) {
        Pattern le = Pattern.compile("le=\"([^\"]+)\"");
        List<double[]> found = new ArrayList<>();
        for (String line : metrics.lines().toList()) {
            Matcher bound = le.matcher(line);
            if (line.startsWith(name + "{") && line.contains(labels) && bound.find()) {
                String value = bound.group(1);
                found.add(new double[] {value.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(value),
                        Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))});
            }
        }
        assertThat(found).as(name + " buckets of " + labels).isNotEmpty();
        return found;
    }
}
