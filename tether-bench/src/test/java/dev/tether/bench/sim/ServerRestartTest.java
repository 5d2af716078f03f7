package dev.tether.bench.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.bench.TestServers;
import dev.tether.bench.server.AdminClient;
import dev.tether.bench.server.ServerProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The storm in miniature: events held across a kill -9 of the server are applied exactly once after it. */
class ServerRestartTest {

    private static final int AGENTS = 15;

    @TempDir
    Path dir;

    @Test
    void eventsPublishedAroundAKillAreAppliedExactlyOnceAfterTheRestart() throws Exception {
        try (ServerProcess server = TestServers.start(dir, Duration.ofSeconds(1))) {
            AdminClient admin = AdminClient.create(server.baseUri(), TestServers.ADMIN_TOKEN);
            List<Credentials> agents = admin.createAgents("storm", AGENTS, 8);
            FleetConfig config = FleetConfig.defaults(server.agentUri())
                    .withBackoff(new Backoff(Duration.ofMillis(100), 2, Duration.ofMillis(800)));
            try (Fleet fleet = Fleet.create(config, agents)) {
                fleet.connectAll();
                await().atMost(Duration.ofSeconds(15)).until(() -> fleet.snapshot().online() == AGENTS);

                fleet.publish(3, Long.MAX_VALUE);
                server.kill();
                await().atMost(Duration.ofSeconds(10)).until(() -> fleet.snapshot().online() == 0);
                fleet.publish(5, Long.MAX_VALUE);
                server.restart();
                await().atMost(Duration.ofSeconds(20)).until(() -> fleet.snapshot().online() == AGENTS
                        && fleet.snapshot().pending() == 0);

                FleetSnapshot after = fleet.snapshot();
                assertThat(after.published()).isEqualTo(8L * AGENTS);
                assertThat(after.ackRegressions()).isZero();
                assertThat(after.protocolErrors()).isZero();
                for (Credentials agent : agents.subList(0, 5)) {
                    assertThat(copiesOfEachNumber(admin, agent.id(), config.runId()))
                            .containsOnlyKeys(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L).containsValues(1);
                }
            }
        }
    }

    private static Map<Long, Integer> copiesOfEachNumber(AdminClient admin, String agentId, String runId)
            throws Exception {
        Map<Long, Integer> copies = new HashMap<>();
        for (Map<String, Object> event : admin.events(agentId, "bench.event")) {
            Map<?, ?> payload = (Map<?, ?>) event.get("payload");
            if (runId.equals(payload.get("run"))) {
                copies.merge((Long) payload.get("n"), 1, Integer::sum);
            }
        }
        return copies;
    }
}
