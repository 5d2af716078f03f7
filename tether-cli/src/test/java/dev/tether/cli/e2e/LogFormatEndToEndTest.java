package dev.tether.cli.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code TETHER_LOG_FORMAT} with real processes: a server and an agent started with {@code json} write nothing
 * but JSON objects, one a line, from their first line to their shutdown; a bad value stops the server before
 * it starts.
 */
class LogFormatEndToEndTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Map<String, String> JSON = Map.of("TETHER_LOG_FORMAT", "json");

    @TempDir
    Path dir;

    private static String name(TestInfo test) {
        return "LogFormatEndToEndTest/" + test.getTestMethod().orElseThrow().getName();
    }

    @Test
    void aServerAndAnAgentLoggingJsonWriteOnlyParsableLinesWithTheRequestIdOfEachAccess(TestInfo test)
            throws Exception {
        try (Fleet fleet = new Fleet(dir, name(test), null, "1s")) {
            JavaProcess server = fleet.launchServer(JSON);
            fleet.awaitReady();
            Fleet.AgentIdentity agent = fleet.createAgent("json-logger");
            JavaProcess agentProcess = fleet.startAgent(agent, fleet.url(), JSON);
            await("agent online").atMost(WAIT).until(() -> "online".equals(fleet.api().status(agent.id())));
            HttpResponse<Void> missing = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            fleet.url().resolve("/api/v1/agents/no%22such%0Aagent"))
                    .header("Authorization", "Bearer " + Fleet.ADMIN_TOKEN)
                    .header("X-Request-Id", "e2e-json-1").build(), HttpResponse.BodyHandlers.discarding());
            assertThat(missing.statusCode()).isEqualTo(404);
            await("access line").atMost(WAIT).until(() -> server.output().contains("e2e-json-1"));

            assertThat(server.stop()).as("exit after SIGTERM").isIn(0, 143);
            assertThat(agentProcess.stop()).as("exit after SIGTERM").isIn(0, 143);

            List<JsonObject> serverLines = jsonLines(server);
            List<JsonObject> agentLines = jsonLines(agentProcess);
            assertThat(serverLines).anySatisfy(line -> assertThat(line.getString("message")).contains("listening on"));
            JsonObject access = serverLines.stream()
                    .filter(line -> "e2e-json-1".equals(mdc(line).getString("request_id")))
                    .findFirst().orElseThrow(() -> new AssertionError("no access line:\n" + server.output()));
            assertThat(access.getString("logger")).isEqualTo("tether.access");
            assertThat(access.getJsonObject("kv").getInteger("status")).isEqualTo(404);
            assertThat(access.getJsonObject("kv").getString("route")).isEqualTo("/api/v1/agents/:agent");
            assertThat(agentLines).isNotEmpty();
        }
    }

    @Test
    void aServerGivenAnUnknownFormatExitsTwoWithOneLineNamingTheValidOnes(TestInfo test) throws Exception {
        try (Fleet fleet = new Fleet(dir, name(test), null, "1s")) {
            JavaProcess server = fleet.launchServer(Map.of("TETHER_LOG_FORMAT", "xml"));

            assertThat(server.waitForExit(WAIT)).isEqualTo(2);
            assertThat(server.output()).isEqualTo("tether: TETHER_LOG_FORMAT is 'xml'; use text or json (default text)\n");
            assertThat(dir.resolve("server")).doesNotExist();
        }
    }

    /** Every line of the process's output as JSON with the fixed fields; fails naming the first line that is not. */
    private static List<JsonObject> jsonLines(JavaProcess process) {
        String output = process.output();
        assertThat(output).endsWith("\n");
        return output.lines().map(line -> {
            JsonObject json;
            try {
                json = new JsonObject(line);
            } catch (RuntimeException e) {
                throw new AssertionError("not a JSON line: " + line + "\nin:\n" + output, e);
            }
            assertThat(Instant.parse(json.getString("time"))).isBefore(Instant.now());
            assertThat(json.getString("level")).isIn("TRACE", "DEBUG", "INFO", "WARN", "ERROR");
            assertThat(json.getString("logger")).isNotBlank();
            assertThat(json.getString("thread")).isNotBlank();
            assertThat(json.getString("message")).isNotNull();
            return json;
        }).toList();
    }

    private static JsonObject mdc(JsonObject line) {
        JsonObject mdc = line.getJsonObject("mdc");
        return mdc == null ? new JsonObject() : mdc;
    }
}
