package dev.tether.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.server.ServerConfig;
import dev.tether.server.testing.TestDatabase;
import dev.tether.server.testing.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rotating the admin token on a real server restarted over the same database: every earlier token, the
 * generated one included, gets 401 afterwards, and so do the browser sessions signed in with it.
 */
class AdminTokenRotationTest {

    private static final Pattern PRINTED_TOKEN = Pattern.compile("tat_[A-Za-z0-9_-]{43}");
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    /** What the first start left behind: its generated token and a browser session signed in with it. */
    private record Before(String token, String cookie) {
    }

    @Test
    void rotatingForgetsTheGeneratedTokenAndEndsItsBrowserSessions() throws Exception {
        ServerConfig config = TestServer.config(dir, TestDatabase.SQLITE, Duration.ofSeconds(30)).withAdminToken(null);
        Before before = firstStart(config);

        try (TestServer rotated = TestServer.start(config.withRotateAdminToken(true))) {
            String fresh = printedToken(rotated);

            assertThat(fresh).isNotEqualTo(before.token());
            assertThat(get(rotated, "Authorization", "Bearer " + before.token())).isEqualTo(401);
            assertThat(get(rotated, "Cookie", before.cookie())).isEqualTo(401);
            assertThat(get(rotated, "Authorization", "Bearer " + fresh)).isEqualTo(200);
        }
    }

    @Test
    void settingTetherAdminTokenForgetsTheGeneratedTokenAndEndsItsBrowserSessions() throws Exception {
        ServerConfig config = TestServer.config(dir, TestDatabase.SQLITE, Duration.ofSeconds(30)).withAdminToken(null);
        Before before = firstStart(config);

        try (TestServer withEnv = TestServer.start(config.withAdminToken("a-new-admin-token-from-the-env"))) {
            assertThat(get(withEnv, "Authorization", "Bearer " + before.token())).isEqualTo(401);
            assertThat(get(withEnv, "Cookie", before.cookie())).isEqualTo(401);
            assertThat(get(withEnv, "Authorization", "Bearer a-new-admin-token-from-the-env")).isEqualTo(200);
        }
    }

    private Before firstStart(ServerConfig config) throws Exception {
        try (TestServer first = TestServer.start(config)) {
            String token = printedToken(first);
            HttpResponse<String> signIn = send(first, HttpRequest.newBuilder(uri(first, "/api/v1/session"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"token\":\"" + token + "\"}")));
            assertThat(signIn.statusCode()).as(signIn.body()).isEqualTo(201);
            String setCookie = signIn.headers().firstValue("set-cookie").orElseThrow();
            String cookie = setCookie.substring(0, setCookie.indexOf(';'));
            assertThat(get(first, "Cookie", cookie)).isEqualTo(200);
            return new Before(token, cookie);
        }
    }

    private static String printedToken(TestServer server) {
        Matcher token = PRINTED_TOKEN.matcher(server.console());
        assertThat(token.find()).as("a token printed on start: " + server.console()).isTrue();
        return token.group();
    }

    private static int get(TestServer server, String header, String value) throws Exception {
        return send(server, HttpRequest.newBuilder(uri(server, "/api/v1/agents")).header(header, value).GET())
                .statusCode();
    }

    private static HttpResponse<String> send(TestServer server, HttpRequest.Builder request) throws Exception {
        return HTTP.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static URI uri(TestServer server, String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }
}
