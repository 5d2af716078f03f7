package dev.tether.bench.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tether.bench.TestPeers;
import dev.tether.bench.TestServers;
import dev.tether.bench.peer.MosquittoBroker;
import dev.tether.bench.report.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The fan-out scenario end to end at a tiny size: the real server from the CLI
 * jar, simulated agents answering every command, real Mosquitto. Checks the
 * counts, not the speed. Skipped without the jar or Mosquitto (a missing
 * broker fails under CI=true).
 */
class FanoutScenarioTest {

    private static final int AGENTS = 40;
    private static final int FIRST_STEP = 15;
    private static final int ROUNDS = 2;

    @TempDir
    Path dir;

    @Test
    void everyAgentAcknowledgesAndEndsEveryCommandAndEverySubscriberGetsEveryPublish() throws Exception {
        Path jar = TestServers.serverJar();
        assumeTrue(TestPeers.installed(FanoutScenarioTest.class, MosquittoBroker::binary),
                "mosquitto is not installed");
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        PrintStream original = System.out;
        int exit;
        try (PrintStream capture = new PrintStream(console, true, StandardCharsets.UTF_8)) {
            System.setOut(capture);
            exit = new CommandLine(new FanoutScenario()).execute("--server-jar", jar.toString(),
                    "--results-dir", dir.toString(), "--server-jvm-opts", "-Xmx256m -XX:TieredStopAtLevel=1",
                    "--timeout", "2m", "--agents", Integer.toString(AGENTS), "--steps", Integer.toString(FIRST_STEP),
                    "--rounds", Integer.toString(ROUNDS), "--warm-up", "1");
        } finally {
            System.setOut(original);
        }
        String output = console.toString(StandardCharsets.UTF_8);
        System.out.print(output);
        // 40 agents cannot judge a target set for 10,000: the run says so and exits 1, as for a miss.
        assertThat(exit).as(output).isEqualTo(1);
        assertThat(output).contains("the target is for 10000 agents: not measured");

        Map<String, Object> result = result();
        List<?> tether = (List<?>) result.get("tether");
        assertThat(tether).hasSize(2);
        for (Object s : tether) {
            Map<?, ?> step = (Map<?, ?>) s;
            long expected = ((Number) step.get("agents")).longValue() * ROUNDS;
            assertThat(((Map<?, ?>) step.get("ack")).get("count")).as("acks").isEqualTo(expected);
            assertThat(((Map<?, ?>) step.get("job_end")).get("count")).as("job ends").isEqualTo(expected);
            assertThat(step.get("duplicates")).isEqualTo(0L);
            assertThat((List<?>) step.get("rounds")).hasSize(ROUNDS);
        }
        List<?> mosquitto = (List<?>) result.get("mosquitto");
        assertThat(mosquitto).hasSize(2);
        for (Object s : mosquitto) {
            Map<?, ?> step = (Map<?, ?>) s;
            long expected = ((Number) step.get("subscribers")).longValue() * ROUNDS;
            assertThat(((Map<?, ?>) step.get("delivery")).get("count")).as("deliveries").isEqualTo(expected);
            assertThat((List<?>) step.get("puback_us")).hasSize(ROUNDS).allMatch(us -> ((Number) us).longValue() >= 0);
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .anyMatch(n -> n.endsWith("-latency.png")).anyMatch(n -> n.endsWith("-p99-by-size.png"));
        }
    }

    private Map<String, Object> result() throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            Path json = files.filter(p -> p.getFileName().toString().matches("fanout-\\d{8}-\\d{6}\\.json"))
                    .findFirst().orElseThrow();
            return Json.parseObject(Files.readString(json));
        }
    }
}
