package dev.tether.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.agent.json.Json;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
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
                        .as("the shipped AOT cache or class-data archive is mapped (it matches the installed jar)")
                        .contains(root.resolve("opt/tether-agent/lib/" + AgentPackage.classDataFile()).toString());
                assertThat(Files.readString(Path.of("/proc/" + agent.pid() + "/cmdline")).split("\0"))
                        .as("a guest's JVM: the serial collector, a small heap, the C heap's free pages given back")
                        .contains("-XX:+UseSerialGC", "-Xmx96m", "-XX:TrimNativeHeapInterval=5000");

                String command = server.post("/api/v1/commands", Map.of("agents", List.of("dist-agent"),
                        "argv", List.of("/bin/sh", "-c", "echo from-$((6 * 7))"))).get("id").text();
                await().atMost(Duration.ofSeconds(30)).until(
                        () -> server.get("/api/v1/commands/" + command).get("state").text(), "completed"::equals);
                assertThat(server.text("/api/v1/commands/" + command + "/output")).contains("from-42");

                assertThat(shell(server, "PATH=/usr/bin:/bin; stty size; exit 3")).isEqualTo(new ShellEnd("24 80", 3));

                Commands.Result status = installed(root, "", "status");
                status.assertExit(0);
                assertThat(status.out()).contains("dist-agent (id ", "running       yes, pid " + agent.pid(),
                        "connected     yes, to ", "outbox        empty");
                installed(root, "", "emit", "hook.ran", "{\"step\":1}").assertExit(0);
                installed(root, "{\"step\":2}", "emit", "hook.ran", "-").assertExit(0);
                await().atMost(Duration.ofSeconds(30)).until(() -> server.text(
                        "/api/v1/agents/dist-agent/events?type=hook.ran").split("\"step\"").length - 1 == 2);
            } finally {
                agent.destroy();
                assertThat(agent.waitFor(20, TimeUnit.SECONDS)).as("the agent stops on SIGTERM").isTrue();
            }
            Commands.Result stopped = installed(root, "", "status");
            stopped.assertExit(4);
            assertThat(stopped.out()).contains("running       no (last run: version " + AgentPackage.VERSION);
            Commands.Result notRunning = installed(root, "", "emit", "hook.ran", "{}");
            notRunning.assertExit(1);
            assertThat(notRunning.err()).contains("the agent is not running", "not stored");
            List<String> log = Files.readAllLines(dir.resolve("agent.log"));
            assertThat(log).as("the agent's log, one JSON object a line (TETHER_LOG_FORMAT=json)").isNotEmpty()
                    .allSatisfy(line -> assertThat(Json.members(line)).containsKeys("time", "level", "message"));
            assertThat(log).anySatisfy(line -> assertThat(line).contains("enrolled as agent dist-agent"));
        }
    }

    /**
     * A self_update to a jar that cannot start: the agent replaces its jar and exits 75, the unit (here a
     * {@link Supervisor}) restarts it, the launcher puts the previous jar back after two failed starts, and the
     * agent is online again on its old version and reports the rollback.
     */
    @Test
    void aSelfUpdateToABrokenJarRollsBackAndTheAgentComesBackOnline() throws Exception {
        Path unpacked = AgentPackage.unpack(Files.createDirectory(dir.resolve("unpacked")));
        Path root = dir.resolve("root");
        byte[] broken = brokenJar();
        HttpServer downloads = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        downloads.createContext("/broken.jar", exchange -> {
            exchange.sendResponseHeaders(200, broken.length);
            exchange.getResponseBody().write(broken);
            exchange.close();
        });
        downloads.start();
        try (TetherServer server = TetherServer.start(Files.createDirectory(dir.resolve("server")))) {
            String token = server.post("/api/v1/enrollment-tokens", Map.of("description", "package test"))
                    .get("token").text();
            Commands.run(List.of(unpacked.resolve("install-agent.sh").toString(), "--root", root.toString(),
                            "--server", server.url().toString(), "--insecure", "--token-stdin", "--name", "dist-agent"),
                    Map.of(), token + "\n", Duration.ofSeconds(60)).assertExit(0);
            Path jar = root.resolve("opt/tether-agent/lib/tether-agent.jar");
            byte[] installed = Files.readAllBytes(jar);

            try (Supervisor unit = new Supervisor(() -> startInstalled(root), 8)) {
                awaitOnline(server, unit.current());
                String url = "http://127.0.0.1:" + downloads.getAddress().getPort() + "/broken.jar";
                Map<String, Json.Member> created = server.post("/api/v1/commands", Map.of("agents",
                        List.of("dist-agent"), "type", "self_update", "params", Map.of("url", url, "sha256",
                                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(broken)))));
                String command = created.get("id").text();
                await().atMost(Duration.ofSeconds(60)).until(
                        () -> server.get("/api/v1/commands/" + command).get("state").text(), "completed"::equals);
                Matcher jobId = Pattern.compile("\"id\":\"([^\"]+)\"").matcher(created.get("jobs").text());
                assertThat(jobId.find()).isTrue();
                String job = server.text("/api/v1/jobs/" + jobId.group(1)).replace("\\", "");
                assertThat(job).as("the job's result names both versions").contains(
                        "\"version_before\":\"" + AgentPackage.VERSION + "\"", "\"version_after\":\"9.9.9-broken\"");

                try {
                    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).until(() ->
                            server.text("/api/v1/agents/dist-agent/events?type=agent.update_rolled_back")
                                    .contains("9.9.9-broken"));
                } catch (Throwable e) {
                    throw new AssertionError("no rollback reported; events: "
                            + server.text("/api/v1/agents/dist-agent/events?limit=10") + "\nstarts: " + unit.starts()
                            + "\nagent log:\n" + Files.readString(dir.resolve("agent.log")), e);
                }
                assertThat(Files.readAllBytes(jar)).as("the installed jar is back").isEqualTo(installed);
                Map<String, Json.Member> record = awaitOnline(server, unit.current());
                assertThat(record.get("agent_version").text()).isEqualTo(AgentPackage.VERSION);
                assertThat(unit.starts()).as("the exit after the update and two failed starts").isGreaterThanOrEqualTo(4);
                assertThat(root.resolve("opt/tether-agent/lib/tether-agent.jar.trial")).doesNotExist();
                assertThat(unit.stop()).as("the agent stops on SIGTERM").isTrue();
            }
        } finally {
            downloads.stop(0);
        }
        assertThat(Files.readString(dir.resolve("agent.log"))).contains("going back to the previous one");
    }

    /** A jar whose manifest names a main class it does not hold: the JVM cannot start it. */
    private static byte[] brokenJar() throws IOException {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "dev.tether.cli.NotThere");
        manifest.getMainAttributes().put(Attributes.Name.IMPLEMENTATION_VERSION, "9.9.9-broken");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(bytes, manifest)) {
            jar.putNextEntry(new ZipEntry("README"));
            jar.write("not an agent".getBytes(StandardCharsets.UTF_8));
        }
        return bytes.toByteArray();
    }

    /**
     * Starts {@code opt/tether-agent/bin/tether-agent} as its unit would, with the settings of
     * {@code etc/tether/agent.env}, in an environment whose PATH has only the programs the launcher uses: no
     * {@code java} anywhere on it, no JAVA_HOME.
     */
    private Process startInstalled(Path root) throws IOException {
        Path bin = dir.resolve("path-without-java");
        if (!Files.isDirectory(bin)) {
            Files.createDirectory(bin);
            for (String tool : List.of("dirname", "readlink", "head", "sed", "mv", "rm")) {
                Files.createSymbolicLink(bin.resolve(tool), Path.of("/usr/bin", tool));
            }
        }
        ProcessBuilder builder = new ProcessBuilder("/bin/sh", "-c",
                "set -a; . \"$1/etc/tether/agent.env\"; set +a; exec \"$1/opt/tether-agent/bin/tether-agent\"",
                "sh", root.toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("agent.log").toFile()));
        builder.environment().clear();
        builder.environment().put("PATH", bin.toString());
        builder.environment().put("HOME", dir.toString());
        builder.environment().put("TETHER_LOG_FORMAT", "json");
        return builder.start();
    }

    /** Runs the installed launcher's {@code args} (status, emit) on its own runtime, with no JDK on the PATH. */
    private Commands.Result installed(Path root, String input, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(
                root.resolve("opt/tether-agent/bin/tether-agent").toString()));
        command.addAll(List.of(args));
        command.addAll(List.of("--state-dir", root.resolve("var/lib/tether-agent").toString()));
        return Commands.run(command, Map.of("-", "", "PATH", dir.resolve("path-without-java").toString(),
                "HOME", dir.toString()), input, Duration.ofSeconds(60));
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
