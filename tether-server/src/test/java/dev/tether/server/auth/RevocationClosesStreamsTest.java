package dev.tether.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.Envelope.PayloadCase;
import dev.tether.protocol.v1.ShellOpen;
import dev.tether.protocol.v1.ShellReady;
import dev.tether.server.testing.Api;
import dev.tether.server.testing.SseClient;
import dev.tether.server.testing.TerminalClient;
import dev.tether.server.testing.TestAgent;
import dev.tether.server.testing.TestDatabase;
import dev.tether.server.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Credentials checked when a stream opens are not enough: disabling a user or revoking a token closes the
 * shell sockets and server-sent event streams it holds open within a second, over real sockets.
 */
class RevocationClosesStreamsTest {

    private static final String PASSWORD = "correct horse battery";
    /** The deadline the guarantee names. */
    private static final Duration WITHIN = Duration.ofSeconds(1);
    @TempDir
    static Path dir;
    private static TestServer server;
    private static Api admin;
    private static TestAgent shellAgent;
    private static int agents;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(dir, TestDatabase.SQLITE, Duration.ofSeconds(30));
        admin = server.api();
        Api.Enrolled enrolled = admin.enrol("box-1");
        shellAgent = TestAgent.connect(server.port(), enrolled.key());
        shellAgent.hello(TestAgent.defaultHello().addCapabilities("shell"));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static void user(String name) {
        Api.Response created = admin.post("/api/v1/users", new JsonObject().put("name", name).put("role", "operator")
                .put("password", PASSWORD).encode());
        assertThat(created.status()).as(created.body()).isEqualTo(201);
    }

    /** Logs in; returns the token's JSON ({@code id}, {@code token}). */
    private static JsonObject login(String name) {
        Api.Response response = admin.withToken(null).post("/api/v1/login", new JsonObject().put("user", name)
                .put("password", PASSWORD).encode());
        assertThat(response.status()).as(response.body()).isEqualTo(201);
        return response.json();
    }

    private static TerminalClient openShell(String token) {
        TerminalClient client = TerminalClient.open(server.port(), token, "box-1", "");
        ShellOpen open = shellAgent.await(PayloadCase.SHELL_OPEN).getShellOpen();
        shellAgent.send(Envelope.newBuilder().setShellReady(ShellReady.newBuilder()
                .setSessionId(open.getSessionId()).setPid(1)).build());
        await().until(() -> client.hasControl("ready"));
        return client;
    }

    private static SseClient events(String token) {
        SseClient stream = SseClient.open(server.port(), token, "/api/v1/events", null);
        assertThat(stream.status()).isEqualTo(200);
        return stream;
    }

    /** Signs a browser in as the user; returns its cookie ({@code name=value}). */
    private static String browserSignIn(String name) throws Exception {
        String origin = "http://127.0.0.1:" + server.port();
        HttpResponse<String> reply = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(origin + "/api/v1/session")).header("Origin", origin)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("user", name)
                        .put("password", PASSWORD).encode())).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(reply.statusCode()).as(reply.body()).isEqualTo(201);
        String cookie = reply.headers().firstValue("set-cookie").orElseThrow();
        return cookie.substring(0, cookie.indexOf(';'));
    }

    @Test
    void disablingAUserClosesTheirShellEventStreamAndBrowserStreamWithinASecond() throws Exception {
        user("leaver");
        String token = login("leaver").getString("token");
        String cookie = browserSignIn("leaver");
        try (TerminalClient shell = openShell(token);
                SseClient stream = events(token);
                SseClient browser = SseClient.openWithHeaders(server.port(), "/api/v1/events", "Cookie", cookie)) {
            assertThat(browser.status()).isEqualTo(200);

            assertThat(admin.post("/api/v1/users/leaver/disable", "{}").status()).isEqualTo(200);

            await().atMost(WITHIN).until(() -> shell.closeCode() != null);
            assertThat(shell.closeCode()).isEqualTo(1008);
            assertThat(stream.awaitEnd(WITHIN)).as("the event stream ended").isTrue();
            assertThat(browser.awaitEnd(WITHIN)).as("the browser's event stream ended").isTrue();
        }
    }

    @Test
    void revokingATokenClosesWhatItOpenedWithinASecondAndLeavesTheUsersOtherTokensStreams() {
        user("rotator");
        JsonObject old = login("rotator");
        String fresh = login("rotator").getString("token");
        try (TerminalClient shell = openShell(old.getString("token"));
                SseClient stream = events(old.getString("token"));
                SseClient kept = events(fresh)) {

            assertThat(admin.withToken(fresh).post("/api/v1/tokens/" + old.getString("id") + "/revoke", "{}")
                    .status()).isEqualTo(200);

            await().atMost(WITHIN).until(() -> shell.closeCode() != null);
            assertThat(shell.closeCode()).isEqualTo(1008);
            assertThat(stream.awaitEnd(WITHIN)).as("the revoked token's event stream ended").isTrue();
            server.connectNew("later-" + ++agents);
            assertThat(kept.next(Duration.ofSeconds(10))).as("the other token's stream still delivers").isNotNull();
        }
    }
}
