package dev.tether.bench.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class AdminClientTest {

    @Test
    void readsPrometheusSamplesAndSkipsComments() {
        Map<String, Double> metrics = AdminClient.parseMetrics("""
                # HELP tether_frames_total WebSocket messages on agent connections
                # TYPE tether_frames_total counter
                tether_frames_total{direction="in"} 1234.0
                tether_frames_total{direction="out"} 1.5E3
                tether_agents_connected 7.0

                """);
        assertThat(metrics).containsEntry("tether_frames_total{direction=\"in\"}", 1234.0)
                .containsEntry("tether_frames_total{direction=\"out\"}", 1500.0)
                .containsEntry("tether_agents_connected", 7.0)
                .hasSize(3);
    }
}
