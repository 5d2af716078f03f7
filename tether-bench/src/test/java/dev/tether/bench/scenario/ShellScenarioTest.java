package dev.tether.bench.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tether.bench.TestPeers;
import dev.tether.bench.TestServers;
import dev.tether.bench.peer.OpenSshServer;
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
 * The shell scenario end to end at tiny sizes: the real server and agent from
 * the CLI jar, the real sshd and ssh, and both clients again inside script.
 * Checks the counts, not the speed. Skipped without the jar or without sshd
 * (a missing sshd fails under CI=true).
 */
class ShellScenarioTest {

    private static final long BYTES = 4L << 20;
    private static final int KEYSTROKES = 50;
    private static final int WARM_UP = 10;
    private static final int IDLE = 5;

    @TempDir
    Path dir;

    @Test
    void everySideDeliversEveryByteAndEchoesEveryKeystrokeAndTheDirectOnesCloseEveryIdleShell() throws Exception {
        Path jar = TestServers.serverJar();
        assumeTrue(TestPeers.installed(ShellScenarioTest.class, OpenSshServer::binary), "sshd is not installed");
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        PrintStream original = System.out;
        int exit;
        try (PrintStream capture = new PrintStream(console, true, StandardCharsets.UTF_8)) {
            System.setOut(capture);
            exit = new CommandLine(new ShellScenario()).execute("--server-jar", jar.toString(),
                    "--results-dir", dir.toString(), "--server-jvm-opts", "-Xmx256m",
                    "--agent-jvm-opts", "-Xmx128m", "--timeout", "2m",
                    "--bytes", Long.toString(BYTES), "--runs", "1",
                    "--keystrokes", Integer.toString(KEYSTROKES), "--warm-up-keystrokes", Integer.toString(WARM_UP),
                    "--idle-shells", Integer.toString(IDLE));
        } finally {
            System.setOut(original);
        }
        String output = console.toString(StandardCharsets.UTF_8);
        System.out.print(output);
        assertThat(exit).as(output).isZero();

        Map<String, Object> result = result();
        for (String side : List.of("Tether", "OpenSSH", "Tether CLI", "OpenSSH in script")) {
            Map<?, ?> throughput = (Map<?, ?>) ((Map<?, ?>) result.get("throughput")).get(side);
            Map<?, ?> run = (Map<?, ?>) ((List<?>) throughput.get("runs")).get(0);
            assertThat(run.get("bytes")).as(side).isEqualTo(BYTES);
            Map<?, ?> echo = (Map<?, ?>) ((Map<?, ?>) result.get("echo")).get(side);
            assertThat(echo.get("keystrokes_measured")).as(side).isEqualTo((long) KEYSTROKES);
            assertThat(echo.get("echoed")).as(side).isEqualTo((long) (KEYSTROKES + WARM_UP));
            assertThat(echo.get("ended_cleanly")).as(side).isEqualTo(true);
        }
        assertThat(((Map<?, ?>) result.get("idle")).keySet().stream().map(String::valueOf).toList())
                .as("idle shells through script are not measured").containsExactlyInAnyOrder("Tether", "OpenSSH");
        for (String side : List.of("Tether", "OpenSSH")) {
            Map<?, ?> idle = (Map<?, ?>) ((Map<?, ?>) result.get("idle")).get(side);
            assertThat(idle.get("closed_cleanly")).as(side).isEqualTo((long) IDLE);
            assertThat(((Number) ((Map<?, ?>) idle.get("shells_after")).get("processes")).intValue())
                    .as(side + " shell processes").isGreaterThanOrEqualTo(IDLE);
        }
        assertThat(output).contains("Bulk output", "Keystroke echo round trip", "Idle shells",
                "Tether CLI / OpenSSH in script", "Tether CLI - OpenSSH in script");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .anyMatch(n -> n.endsWith("-echo-latency.png")).anyMatch(n -> n.endsWith("-throughput.png"))
                    .noneMatch(n -> n.endsWith("-sshd") && Files.exists(dir.resolve(n).resolve("ssh-keys")));
        }
    }

    private Map<String, Object> result() throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            Path json = files.filter(p -> p.getFileName().toString().matches("shell-\\d{8}-\\d{6}\\.json"))
                    .findFirst().orElseThrow();
            @SuppressWarnings("unchecked")
            Map<String, Object> result = (Map<String, Object>) Json.parseObject(Files.readString(json)).get("result");
            return result;
        }
    }
}
