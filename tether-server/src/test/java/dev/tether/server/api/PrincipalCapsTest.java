package dev.tether.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.server.auth.BrowserSessions;
import dev.tether.server.testing.Api;
import dev.tether.server.testing.JobAgent;
import dev.tether.server.testing.SseClient;
import dev.tether.server.testing.TestDatabase;
import dev.tether.server.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Caps per principal below the server-wide ones: one viewer holding every event stream or output stream it
 * may, or signing in again and again, leaves room for everyone else.
 */
class PrincipalCapsTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;
    private TestServer server;
    private final List<SseClient> streams = new ArrayList<>();

    @BeforeEach
    void startServer() throws Exception {
        server = TestServer.start(dir, TestDatabase.SQLITE, Duration.ofSeconds(30));
    }

    @AfterEach
    void stopServer() {
        streams.forEach(SseClient::close);
        server.close();
    }

    @Test
    void aSecondViewersEventStreamOpensWhileTheFirstHoldsItsCap() throws Exception {
        String ann = viewerToken("ann");
        String bob = viewerToken("bob");
        for (int i = 0; i < EventStreamRoutes.MAX_STREAMS_PER_PRINCIPAL; i++) {
            assertThat(open(ann, "/api/v1/events").status()).isEqualTo(200);
        }

        Refusal refused = refused(ann, "/api/v1/events");

        assertThat(refused.status()).isEqualTo(429);
        assertThat(refused.retryAfter()).isEqualTo(Long.toString(StreamQuota.RETRY_AFTER.toSeconds()));
        assertThat(refused.body()).contains("too_many_streams");
        assertThat(open(bob, "/api/v1/events").status()).isEqualTo(200);
    }

    @Test
    void aSecondViewersOutputStreamOpensWhileTheFirstHoldsItsCap() throws Exception {
        Api.Enrolled agent = server.api().enrol("busy-1");
        try (JobAgent running = JobAgent.connect(server.port(), agent.key(), request -> JobAgent.Script.hang())) {
            String command = server.api().exec(List.of("busy-1"), "sleep", "3600").getString("id");
            String path = "/api/v1/commands/" + command + "/output?follow=true";
            String ann = viewerToken("ann");
            String bob = viewerToken("bob");
            for (int i = 0; i < OutputRoutes.MAX_FOLLOWERS_PER_PRINCIPAL; i++) {
                assertThat(open(ann, path).status()).isEqualTo(200);
            }

            Refusal refused = refused(ann, path);

            assertThat(refused.status()).isEqualTo(429);
            assertThat(refused.retryAfter()).isNotNull();
            assertThat(open(bob, path).status()).isEqualTo(200);
        }
    }

    @Test
    void signingInAgainAndAgainEndsOnlyYourOwnOldestBrowserSession() throws Exception {
        String bobsCookie = signIn(new JsonObject().put("user", "bob").put("password", password(viewer("bob"))));
        List<String> admins = new ArrayList<>();
        for (int i = 0; i <= BrowserSessions.MAX_SESSIONS_PER_ACTOR; i++) {
            admins.add(signIn(new JsonObject().put("token", TestServer.ADMIN_TOKEN)));
        }

        assertThat(withCookie(admins.get(0))).as("the admin's oldest session").isEqualTo(401);
        assertThat(withCookie(admins.get(1))).isEqualTo(200);
        assertThat(withCookie(admins.get(admins.size() - 1))).isEqualTo(200);
        assertThat(withCookie(bobsCookie)).as("another user's session").isEqualTo(200);
    }

    private SseClient open(String token, String path) {
        SseClient stream = SseClient.open(server.port(), token, path, null);
        streams.add(stream);
        return stream;
    }

    /** The answer to a stream request expected to be refused; the body is read only from a refusal. */
    private record Refusal(int status, String retryAfter, String body) {
    }

    private Refusal refused(String token, String path) throws Exception {
        HttpResponse<InputStream> response = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + server.port() + path)).header("Authorization", "Bearer " + token)
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = response.body()) {
            // An open stream never ends: its body is not read.
            String text = response.statusCode() == 200 ? "" : new String(body.readAllBytes(), StandardCharsets.UTF_8);
            return new Refusal(response.statusCode(), response.headers().firstValue("retry-after").orElse(null), text);
        }
    }

    private String viewer(String name) {
        Api.Response created = server.api().post("/api/v1/users", new JsonObject().put("name", name)
                .put("role", "viewer").put("password", password(name)).encode());
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        return name;
    }

    private String viewerToken(String name) {
        viewer(name);
        Api.Response login = new Api(server.port(), null).post("/api/v1/login", new JsonObject().put("user", name)
                .put("password", password(name)).encode());
        assertThat(login.status()).as(login.body()).isEqualTo(201);
        return login.json().getString("token");
    }

    private static String password(String name) {
        return name + "-long-password";
    }

    /** Signs in to the web UI; returns the session cookie. */
    private String signIn(JsonObject credentials) throws Exception {
        HttpResponse<String> reply = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                + "/api/v1/session")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(credentials.encode())).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(reply.statusCode()).as(reply.body()).isEqualTo(201);
        String setCookie = reply.headers().firstValue("set-cookie").orElseThrow();
        return setCookie.substring(0, setCookie.indexOf(';'));
    }

    private int withCookie(String cookie) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/v1/session"))
                .header("Cookie", cookie).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }
}
