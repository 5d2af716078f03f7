package dev.tether.bench.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.awaitility.Awaitility.await;

import dev.tether.bench.TestPeers;
import dev.tether.bench.server.ServerProcess;
import dev.tether.bench.sim.FleetConfig;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** MQTT clients against a real Mosquitto (skipped when it is not installed, except under CI=true). */
class MqttFleetTest {

    @TempDir
    Path dir;

    @Test
    void clientsConnectAndPingAtTheirInterval() throws Exception {
        assumeTrue(TestPeers.installed(MqttFleetTest.class, MosquittoBroker::binary), "mosquitto is not installed");
        try (MosquittoBroker broker = MosquittoBroker.start(MosquittoBroker.binary(), ServerProcess.freePort(), dir);
                MqttFleet clients = MqttFleet.create(broker.port(), FleetConfig.loopbackRange(2, 2), 1, 20,
                        Duration.ofMillis(200), 0, 64)) {
            clients.connect(20);
            await().atMost(Duration.ofSeconds(10)).until(() -> clients.snapshot().online() == 20);
            await().atMost(Duration.ofSeconds(10)).until(() -> clients.snapshot().pongs() >= 60);
            MqttSnapshot snapshot = clients.snapshot();
            assertThat(snapshot.connect().count()).isEqualTo(20);
            assertThat(snapshot.failures()).isEmpty();
            assertThat(broker.probe().rssBytes()).isPositive();
        }
    }
}
