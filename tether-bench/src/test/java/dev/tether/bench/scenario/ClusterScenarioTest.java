package dev.tether.bench.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tether.bench.TestPeers;
import dev.tether.bench.TestServers;
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
 * The cluster scenario end to end at a tiny size: three real nodes from the CLI jar on a throwaway Debian
 * PostgreSQL, real HAProxy, simulated agents spread over them, one node killed -9 mid fan-out. Checks the counts,
 * not the speed. Skipped without the jar, PostgreSQL or HAProxy (a missing one fails under CI=true).
 */
class ClusterScenarioTest {

    private static final int AGENTS = 24;
    private static final int WAKEUPS = 5;

    @TempDir
    Path dir;

    @Test
    void everyAgentIsHeldReachedOnceFromNodeAAndReHomedWithEveryJobEndedWhenANodeIsKilled() throws Exception {
        Path jar = TestServers.serverJar();
        assumeTrue(TestPeers.installed(ClusterScenarioTest.class, BenchCluster::checkInstalled),
                "PostgreSQL or HAProxy is not installed");
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        PrintStream original = System.out;
        int exit;
        try (PrintStream capture = new PrintStream(console, true, StandardCharsets.UTF_8)) {
            System.setOut(capture);
            exit = new CommandLine(new ClusterScenario()).execute("--server-jar", jar.toString(),
                    "--results-dir", dir.toString(), "--server-jvm-opts", "-Xmx256m -XX:TieredStopAtLevel=1",
                    "--timeout", "2m", "--round-timeout", "60s", "--agents", Integer.toString(AGENTS),
                    "--wakeups", Integer.toString(WAKEUPS), "--warm-up", "0", "--generators", "1");
        } finally {
            System.setOut(original);
        }
        String output = console.toString(StandardCharsets.UTF_8);
        System.out.print(output);
        assertThat(exit).as(output).isZero();

        Map<String, Object> result = result();
        @SuppressWarnings("unchecked")
        Map<String, Object> held = (Map<String, Object>) result.get("held_per_node");
        assertThat(held.keySet()).containsExactlyInAnyOrder("node-a", "node-b", "node-c");
        assertThat(held.values()).allMatch(n -> ((Number) n).longValue() > 0);
        assertThat(held.values().stream().mapToLong(n -> ((Number) n).longValue()).sum()).isEqualTo(AGENTS);
        assertThat(((Map<?, ?>) result.get("settings")).get("agents_through_haproxy")).isEqualTo((long) AGENTS / 4);

        Map<?, ?> fanout = (Map<?, ?>) result.get("fanout");
        assertThat(((Map<?, ?>) fanout.get("ack")).get("count")).as("acks").isEqualTo((long) AGENTS);
        assertThat(((Map<?, ?>) fanout.get("job_end")).get("count")).as("job ends").isEqualTo((long) AGENTS);
        assertThat(fanout.get("duplicates")).isEqualTo(0L);
        assertThat(((Number) fanout.get("cross_node_share")).doubleValue()).isGreaterThan(0.3);

        Map<?, ?> wakeups = (Map<?, ?>) result.get("wakeups");
        assertThat(((Map<?, ?>) wakeups.get("ack")).get("count")).isEqualTo((long) WAKEUPS);
        assertThat(wakeups.get("holder_node")).isEqualTo("node-b");

        Map<?, ?> recovery = (Map<?, ?>) result.get("recovery");
        assertThat(recovery.get("victim")).isEqualTo("node-c");
        assertThat(((Number) recovery.get("held_by_victim")).longValue()).isPositive();
        assertThat(((Number) recovery.get("agents_online_ms_after_kill")).longValue()).isNotNegative();
        assertThat(((Number) recovery.get("jobs_ended_ms_after_kill")).longValue()).isNotNegative();
        assertThat(((Number) recovery.get("rehomed_ms_after_kill")).longValue()).isNotNegative();
        assertThat(((Number) recovery.get("jobs_final_ms_after_kill")).longValue()).isNotNegative();
        assertThat(recovery.get("received")).isEqualTo((long) AGENTS);
        assertThat(recovery.get("duplicates")).isEqualTo(0L);
        assertThat(recovery.get("lost")).isEqualTo(0L);
        assertThat((List<?>) result.get("memory")).hasSize(3);
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).anyMatch(n -> n.endsWith("-latency.png"))
                    .anyMatch(n -> n.endsWith("-wakeup.png"))
                    .anyMatch(n -> n.endsWith("-recovery.png")).anyMatch(n -> n.endsWith("-memory-per-agent.png"));
        }
    }

    private Map<String, Object> result() throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            Path json = files.filter(p -> p.getFileName().toString().matches("cluster-\\d{8}-\\d{6}\\.json"))
                    .findFirst().orElseThrow();
            return Json.parseObject(Files.readString(json));
        }
    }
}
