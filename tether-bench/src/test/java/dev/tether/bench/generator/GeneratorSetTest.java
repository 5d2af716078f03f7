package dev.tether.bench.generator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.bench.TestServers;
import dev.tether.bench.server.AdminClient;
import dev.tether.bench.server.ServerProcess;
import dev.tether.bench.sim.Credentials;
import dev.tether.bench.sim.FleetConfig;
import dev.tether.bench.sim.FleetSnapshot;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fleet split over child generator processes, against a real server. */
class GeneratorSetTest {

    @TempDir
    Path dir;

    @Test
    void childProcessesCarryTheirShareAndReportOneMergedSnapshot() throws Exception {
        try (ServerProcess server = TestServers.start(dir, Duration.ofMillis(500))) {
            List<Credentials> agents = AdminClient.create(server.baseUri(), TestServers.ADMIN_TOKEN)
                    .createAgents("split", 12, 6);
            FleetConfig config = FleetConfig.defaults(server.agentUri())
                    .withSourceAddresses(FleetConfig.loopbackRange(2, 2)).withEventLoops(1);
            long deadline = System.currentTimeMillis() + 60_000;
            try (GeneratorSet fleet = GeneratorSet.start(config, agents, 2, dir.resolve("gen"),
                    List.of("-Xmx128m", "-XX:TieredStopAtLevel=1"), deadline)) {
                assertThat(fleet.processes()).isEqualTo(2);
                assertThat(fleet.pids()).hasSize(2).doesNotContain(ProcessHandle.current().pid());

                fleet.connect(5);
                await().atMost(Duration.ofSeconds(20)).until(() -> fleet.snapshot().online() == 5);
                fleet.connect(12);
                await().atMost(Duration.ofSeconds(20)).until(() -> fleet.snapshot().online() == 12);
                fleet.publish(3, 100);
                await().atMost(Duration.ofSeconds(20)).until(() -> fleet.snapshot().drained() == 12
                        && fleet.snapshot().published() == 36);

                FleetSnapshot snapshot = fleet.snapshot();
                assertThat(snapshot.agents()).isEqualTo(12);
                assertThat(snapshot.connect().count()).isEqualTo(12);
                assertThat(snapshot.failureCount()).isZero();
            }
        }
    }
}
