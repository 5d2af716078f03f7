package dev.tether.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.agent.json.Json;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The package as a user gets it: the tarball unpacked, {@code install-agent.sh} installing it into a temporary
 * root, and the installed {@code bin/tether-agent} started on its own runtime with no JDK on its PATH, with the
 * settings the script wrote. It must enrol with a token, run a command and serve a shell of a real server.
 */
class InstalledAgentTest {

    @TempDir
    Path dir;

    @Test
    void theInstalledAgentEnrolsRunsACommandAndServesAShell() throws Exception {
        Path unpacked = AgentPackage.unpack(Files.createDirectory(dir.resolve("unpacked")));
        Path root = dir.resolve("root");
        try (TetherServer server = TetherServer.start(Files.createDirectory(dir.resolve("server")))) {
            String token = server.post("/api/v1/enrollment-tokens", Map.of("description", "package test"))
                    .get("token").text();

            Commands.run(List.of(unpacked.resolve("install-agent.sh").toString(), "--root", root.toString(),
                            "--server", server.url().toString(), "--insecure", "--token-stdin", "--name", "dist-agent",
                            "--label", "installed-by=test", "--enable-shell"),
                    Map.of(), token + "\n", Duration.ofSeconds(60)).assertExit(0);
            assertThat(mode(root.resolve("etc/tether/enroll-token"))).isEqualTo("rw-r-----");
            assertThat(mode(root.resolve("var/lib/tether-agent"))).isEqualTo("rwx------");

            Process agent = startInstalled(root);
            try {
                Map<String, Json.Member> record = awaitOnline(server, agent);
                assertThat(record.get("agent_version").text()).isEqualTo(AgentPackage.VERSION);
                assertThat(record.get("reported_labels").text()).contains("\"installed-by\":\"test\"");
                assertThat(mode(root.resolve("var/lib/tether-agent/agent.key"))).isEqualTo("rw-------");
                assertThat(Files.readString(Path.of("/proc/" + agent.pid() + "/maps")))
                        .as("the shipped class-data archive is mapped (it matches the installed jar)")
                        .contains(root.resolve("opt/tether-agent/lib/tether-agent.jsa").toString());

                String command = server.post("/api/v1/commands", Map.of("agents", List.of("dist-agent"),
                        "argv", List.of("/bin/sh", "-c", "echo from-$((6 * 7))"))).get("id").text();
                await().atMost(Duration.ofSeconds(30)).until(
                        () -> server.get("/api/v1/commands/" + command).get("state").text(), "completed"::equals);
                assertThat(server.text("/api/v1/commands/" + command + "/output")).contains("from-42");

                assertThat(shell(server, "PATH=/usr/bin:/bin; stty size; exit 3")).isEqualTo(new ShellEnd("24 80", 3));
            } finally {
                agent.destroy();
                assertThat(agent.waitFor(20, TimeUnit.SECONDS)).as("the agent stops on SIGTERM").isTrue();
            }
            List<String> log = Files.readAllLines(dir.resolve("agent.log"));
            assertThat(log).as("the agent's log, one JSON object a line (TETHER_LOG_FORMAT=json)").isNotEmpty()
                    .allSatisfy(line -> assertThat(Json.members(line)).containsKeys("time", "level", "message"));
            assertThat(log).anySatisfy(line -> assertThat(line).contains("enrolled as agent dist-agent"));
        }
    }

    /**
     * Starts {@code opt/tether-agent/bin/tether-agent} as its unit would, with the settings of
     * {@code etc/tether/agent.env}, in an environment whose PATH has only the two programs the launcher uses: no
     * {@code java} anywhere on it, no JAVA_HOME.
     */
    private Process startInstalled(Path root) throws IOException {
        Path bin = Files.createDirectory(dir.resolve("path-without-java"));
        for (String tool : List.of("dirname", "readlink")) {
            Files.createSymbolicLink(bin.resolve(tool), Path.of("/usr/bin", tool));
        }
        ProcessBuilder builder = new ProcessBuilder("/bin/sh", "-c",
                "set -a; . \"$1/etc/tether/agent.env\"; set +a; exec \"$1/opt/tether-agent/bin/tether-agent\"",
                "sh", root.toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("agent.log").toFile());
        builder.environment().clear();
        builder.environment().put("PATH", bin.toString());
        builder.environment().put("HOME", dir.toString());
        builder.environment().put("TETHER_LOG_FORMAT", "json");
        return builder.start();
    }

    private Map<String, Json.Member> awaitOnline(TetherServer server, Process agent) throws IOException {
        try {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
                if (!agent.isAlive()) {
                    throw new AssertionError("the agent exited with " + agent.exitValue());
                }
                Map<String, Json.Member> record = server.find("/api/v1/agents/dist-agent");
                return record != null && "online".equals(record.get("status").text());
            });
        } catch (Throwable e) {
            throw new AssertionError("the installed agent did not come online; its log:\n"
                    + Files.readString(dir.resolve("agent.log")), e);
        }
        try {
            return server.get("/api/v1/agents/dist-agent");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    record ShellEnd(String output, int exitCode) {
    }

    /** Runs {@code /bin/sh -c SCRIPT} in a terminal on the agent: its output, trimmed, and its exit code. */
    private static ShellEnd shell(TetherServer server, String script) throws Exception {
        String query = "rows=24&cols=80&command=/bin/sh&command=-c&command="
                + URLEncoder.encode(script, StandardCharsets.UTF_8);
        URI uri = URI.create("ws://127.0.0.1:" + server.url().getPort() + "/api/v1/agents/dist-agent/shell?" + query);
        StringBuilder output = new StringBuilder();
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        try (HttpClient http = HttpClient.newHttpClient()) {
            WebSocket socket = http.newWebSocketBuilder()
                    .header("Authorization", "Bearer " + TetherServer.ADMIN_TOKEN)
                    .buildAsync(uri, new WebSocket.Listener() {
                        @Override
                        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
                            synchronized (output) {
                                output.append(StandardCharsets.UTF_8.decode(data));
                            }
                            ws.request(1);
                            return null;
                        }

                        @Override
                        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                            Map<String, Json.Member> message = Json.members(data.toString());
                            if ("exit".equals(message.get("type").text())) {
                                exit.complete(Integer.parseInt(message.get("exit_code").text()));
                            }
                            ws.request(1);
                            return null;
                        }

                        @Override
                        public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
                            exit.completeExceptionally(new AssertionError("closed before the exit: " + code + " "
                                    + reason + "; output so far: " + output));
                            return null;
                        }
                    }).get(30, TimeUnit.SECONDS);
            int code = exit.get(30, TimeUnit.SECONDS);
            socket.abort();
            synchronized (output) {
                return new ShellEnd(output.toString().strip(), code);
            }
        }
    }

    private static String mode(Path file) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
    }
}
