package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code tether cluster status} against a real HTTP server on a local socket that answers
 * {@code GET /api/v1/cluster/nodes} as a cluster node does, or with 404 as a server from before clusters does.
 */
class ClusterStatusTest {

    private static final String TOKEN = "tat_admin-token-0123456789";
    private static final String THREE_NODES = """
            {"self":"node-b","nodes":[
             {"name":"node-a","advertise_url":"http://127.0.0.1:8081","version":"0.1.0",
              "started_at":"2026-12-05T11:00:00Z","renewed_at":"2026-12-05T11:05:00Z","lease_age_ms":1200,
              "agents":12,"state":"alive"},
             {"name":"node-b","advertise_url":"http://127.0.0.1:8082","version":"0.1.0",
              "started_at":"2026-12-05T11:00:00Z","renewed_at":"2026-12-05T11:05:01Z","lease_age_ms":350,
              "agents":3,"state":"draining"},
             {"name":"node-c","advertise_url":"http://127.0.0.1:8083","version":"0.0.9",
              "started_at":"2026-12-05T10:00:00Z","renewed_at":"2026-12-05T10:58:55Z","lease_age_ms":365000,
              "agents":0,"state":"expired"}]}""";
    private static final String OLD_SERVER_404 =
            "{\"error\":\"not_found\",\"message\":\"no such endpoint: the API lives under /api/v1\"}";

    @TempDir
    Path dir;
    private HttpServer server;
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @BeforeEach
    void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.start();
    }

    @AfterEach
    void stopServer() {
        server.stop(0);
    }

    @Test
    void statusPrintsEveryNodeWithItsAgentsLeaseAgeVersionAndStateAndMarksTheNodeThatAnswered() throws Exception {
        answer(200, THREE_NODES);

        int exit = run("cluster", "status");

        assertThat(exit).isZero();
        assertThat(out.toString().lines().toList()).containsExactly(
                "  NAME    ADVERTISE URL          AGENTS  LEASE AGE  VERSION  STATE",
                "  node-a  http://127.0.0.1:8081  12      1.2s       0.1.0    alive",
                "* node-b  http://127.0.0.1:8082  3       350ms      0.1.0    draining",
                "  node-c  http://127.0.0.1:8083  0       6m05s      0.0.9    expired",
                "",
                "3 nodes, 1 alive; * answered");
        assertThat(requests).containsExactly("GET /api/v1/cluster/nodes Bearer " + TOKEN);
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void aSingleNodeServerListsItselfAsTheNodeThatAnswered() throws Exception {
        answer(200, """
                {"self":"web-host","nodes":[{"name":"web-host","advertise_url":"http://127.0.0.1:8080",
                 "version":"0.1.0","started_at":"2026-12-05T11:00:00Z","renewed_at":"2026-12-05T11:05:00Z",
                 "lease_age_ms":61000,"agents":1,"state":"alive"}]}""");

        assertThat(run("cluster", "status")).isZero();

        assertThat(out.toString().lines().toList()).containsExactly(
                "  NAME      ADVERTISE URL          AGENTS  LEASE AGE  VERSION  STATE",
                "* web-host  http://127.0.0.1:8080  1       1m01s      0.1.0    alive",
                "",
                "1 node, 1 alive; * answered");
    }

    @Test
    void jsonPrintsTheServersAnswer() throws Exception {
        answer(200, THREE_NODES);

        assertThat(run("cluster", "status", "--json")).isZero();

        assertThat(new JsonObject(out.toString())).isEqualTo(new JsonObject(THREE_NODES));
    }

    @Test
    void aServerFromBeforeClustersGetsAnErrorSayingToUpgradeIt() throws Exception {
        answer(404, OLD_SERVER_404);

        int exit = run("cluster", "status");

        assertThat(exit).isEqualTo(ErrorReporter.FAILURE);
        assertThat(err.toString()).isEqualTo("tether: this server does not support cluster status: upgrade it "
                + "(GET /api/v1/cluster/nodes answered HTTP 404)" + System.lineSeparator());
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void otherErrorsKeepTheServersMessage() throws Exception {
        answer(403, "{\"error\":\"forbidden\",\"message\":\"this needs the admin role\"}");

        assertThat(run("cluster", "status")).isEqualTo(ErrorReporter.FAILURE);

        assertThat(err.toString()).startsWith("tether: this needs the admin role (HTTP 403");
    }

    private void answer(int status, String json) {
        server.createContext("/api/v1/cluster/nodes", exchange -> respond(exchange, status, json));
    }

    private void respond(HttpExchange exchange, int status, String json) throws IOException {
        requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI() + " "
                + exchange.getRequestHeaders().getFirst("Authorization"));
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, body.length);
        try (var stream = exchange.getResponseBody()) {
            stream.write(body);
        }
    }

    private int run(String... args) throws IOException {
        Path tokenFile = Files.writeString(dir.resolve("admin.token"), TOKEN + "\n");
        String[] all = new String[args.length + 4];
        System.arraycopy(args, 0, all, 0, args.length);
        System.arraycopy(new String[] {"--url", "http://127.0.0.1:" + server.getAddress().getPort(),
                "--token-file", tokenFile.toString()}, 0, all, args.length, 4);
        return new CommandLine(new Main())
                .setExecutionExceptionHandler(new ErrorReporter())
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(all);
    }
}
