package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.server.ServerConfig;
import dev.tether.server.TetherServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.PrintStream;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code tether agents ls | label | delete} against a real server in this JVM, on SQLite. */
class AgentsCommandTest {

    /** One more than a page the CLI asks for, so listing them all takes two. */
    private static final int FLEET = 1001;
    private static final String TOKEN = "tat_agents-command-test-0123456789";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    @TempDir
    static Path dir;
    private static TetherServer server;
    private static Path tokenFile;
    private StringWriter out = new StringWriter();
    private StringWriter err = new StringWriter();

    @BeforeAll
    static void start() throws Exception {
        server = TetherServer.start(ServerConfig.defaults().withHost("127.0.0.1").withPort(0)
                .withDataDir(dir.resolve("data")).withInsecureHttp(true).withAdminToken(TOKEN)
                .withHeartbeatInterval(Duration.ofSeconds(30)).withConsole(new PrintStream(PrintStream.nullOutputStream())));
        tokenFile = Files.writeString(dir.resolve("admin.token"), TOKEN + "\n");
        for (int i = 0; i < FLEET; i++) {
            enrol(String.format("fleet-%04d", i), new JsonObject().put("tier", i % 2 == 0 ? "even" : "odd"));
        }
    }

    private static void enrol(String name, JsonObject labels) throws Exception {
        assertThat(call("POST", "/api/v1/agents", new JsonObject().put("name", name).put("labels", labels).encode())
                .statusCode()).isEqualTo(201);
    }

    private static HttpResponse<String> call(String method, String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private int run(String... args) throws IOException {
        out = new StringWriter();
        err = new StringWriter();
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--url", "http://127.0.0.1:" + server.port(), "--token-file", tokenFile.toString()));
        return new CommandLine(new Main())
                .setExecutionExceptionHandler(new ErrorReporter())
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(all.toArray(String[]::new));
    }

    @Test
    void lsFollowsEveryPage() throws IOException {
        assertThat(run("agents", "ls", "-q", "fleet-", "--json")).as(err.toString()).isZero();

        JsonObject listed = new JsonObject(out.toString());
        JsonArray agents = listed.getJsonArray("agents");
        assertThat(agents).hasSize(FLEET);
        assertThat(agents.getJsonObject(FLEET - 1).getString("name")).isEqualTo("fleet-1000");
        assertThat(listed.getValue("next_before")).isNull();
        assertThat(run("agents", "ls", "-q", "fleet-")).isZero();
        assertThat(out.toString()).contains(FLEET + " agents, 0 online" + System.lineSeparator())
                .doesNotContain("more");
    }

    @Test
    void lsShowsAtMostTheLimitAndSaysWhenThereAreMore() throws IOException {
        assertThat(run("agents", "ls", "-q", "FLEET-000", "--limit", "3")).isZero();

        List<String> lines = out.toString().lines().toList();
        assertThat(lines.get(1)).startsWith("fleet-0000 ");
        assertThat(lines.get(3)).startsWith("fleet-0002 ");
        assertThat(lines).last().isEqualTo("3 agents, 0 online (more: raise --limit)");
    }

    @Test
    void lsPassesTheFiltersOn() throws Exception {
        assertThat(run("agents", "ls", "--selector", "tier=odd", "-q", "fleet-000", "--json")).isZero();
        assertThat(names(out.toString())).containsExactly("fleet-0001", "fleet-0003", "fleet-0005",
                "fleet-0007", "fleet-0009");
        assertThat(run("agents", "ls", "-q", "fleet-000", "--status", "offline", "--json")).isZero();
        assertThat(names(out.toString())).hasSize(10);
        assertThat(run("agents", "ls", "-q", "fleet-000", "--status", "online", "--json")).isZero();
        assertThat(names(out.toString())).isEmpty();
        enrol("gone-1", new JsonObject());
        call("POST", "/api/v1/agents/gone-1/revoke", null);
        assertThat(run("agents", "ls", "--revoked", "true", "--json")).isZero();
        assertThat(names(out.toString())).containsExactly("gone-1");
    }

    private static List<String> names(String json) {
        List<String> names = new ArrayList<>();
        new JsonObject(json).getJsonArray("agents").forEach(a -> names.add(((JsonObject) a).getString("name")));
        return names;
    }

    @Test
    void badFiltersAreUsageErrors() throws IOException {
        assertThat(run("agents", "ls", "--status", "revoked")).isEqualTo(ErrorReporter.USAGE);
        assertThat(err.toString()).contains("online, offline, pending").contains("--revoked true");
        assertThat(run("agents", "ls", "--limit", "0")).isEqualTo(ErrorReporter.USAGE);
        assertThat(err.toString()).contains("--limit must be at least 1");
        assertThat(run("agents", "ls", "--selector", "env==x")).isEqualTo(ErrorReporter.FAILURE);
        assertThat(err.toString()).contains("invalid selector");
    }

    @Test
    void labelSetsAndRemovesLabels() throws Exception {
        enrol("relabel-1", new JsonObject().put("env", "staging").put("canary", "yes"));

        assertThat(run("agents", "label", "relabel-1", "env=prod", "canary-", "team=")).as(err.toString()).isZero();

        assertThat(out.toString()).isEqualTo("relabel-1: env=prod,team=" + System.lineSeparator());
        assertThat(new JsonObject(call("GET", "/api/v1/agents/relabel-1", null).body()).getJsonObject("labels")
                .getMap()).containsOnlyKeys("env", "team");
        assertThat(run("agents", "label", "relabel-1", "=x")).isEqualTo(ErrorReporter.USAGE);
        assertThat(err.toString()).contains("KEY=VALUE to set a label or KEY- to remove it");
        assertThat(run("agents", "label", "relabel-1", "-")).isEqualTo(ErrorReporter.USAGE);
        assertThat(run("agents", "label", "relabel-1")).isEqualTo(ErrorReporter.USAGE);
    }

    @Test
    void deleteRefusesALiveAgentAndDeletesARevokedOne() throws Exception {
        enrol("retire-1", new JsonObject());

        assertThat(run("agents", "delete", "retire-1")).isEqualTo(ErrorReporter.FAILURE);
        assertThat(err.toString()).contains("revoke it first");
        assertThat(run("agents", "revoke", "retire-1")).isZero();
        assertThat(run("agents", "delete", "retire-1")).isZero();
        assertThat(out.toString()).isEqualTo("deleted retire-1" + System.lineSeparator());
        assertThat(call("GET", "/api/v1/agents/retire-1", null).statusCode()).isEqualTo(404);
    }
}
