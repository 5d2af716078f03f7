package dev.tether.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.server.ServerConfig;
import dev.tether.server.testing.TestDatabase;
import dev.tether.server.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The web UI's sign-in, session cookie and CSRF defence, over real HTTP against a real server. */
class BrowserSessionApiTest {

    /** HTTP/1.1, as browsers open WebSockets. */
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;
    private TestServer server;
    private String origin;

    @BeforeEach
    void start() throws Exception {
        server = TestServer.start(dir, TestDatabase.SQLITE, Duration.ofSeconds(30));
        origin = "http://127.0.0.1:" + server.port();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private record Reply(int status, String body, Map<String, List<String>> headers) {
        JsonObject json() {
            return new JsonObject(body);
        }

        String header(String name) {
            return headers.getOrDefault(name.toLowerCase(), List.of()).stream().findFirst().orElse(null);
        }
    }

    private Reply send(String method, String path, String body, String... headers) throws IOException,
            InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(origin + path)).timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(response.statusCode(), response.body(), response.headers().map());
    }

    /** Signs in; returns {cookie header value, csrf token}. */
    private String[] signIn() throws Exception {
        Reply reply = send("POST", "/api/v1/session", "{\"token\":\"" + TestServer.ADMIN_TOKEN + "\"}", "Origin", origin);
        assertThat(reply.status()).as(reply.body()).isEqualTo(201);
        String setCookie = reply.header("set-cookie");
        return new String[] {setCookie.substring(0, setCookie.indexOf(';')), reply.json().getString("csrf_token")};
    }

    @Test
    void signInSetsAnHttpOnlySameSiteStrictCookieThatAuthenticatesTheApi() throws Exception {
        Reply reply = send("POST", "/api/v1/session", "{\"token\":\"" + TestServer.ADMIN_TOKEN + "\"}", "Origin", origin);

        assertThat(reply.status()).isEqualTo(201);
        String cookie = reply.header("set-cookie");
        assertThat(cookie).startsWith(SessionCookie.NAME + "=tss_").containsIgnoringCase("HttpOnly").contains("SameSite=Strict")
                .contains("Path=/").contains("Max-Age=" + BrowserSessions.LIFETIME.toSeconds()).doesNotContain("Secure");
        assertThat(reply.json().getString("auth")).isEqualTo("cookie");
        assertThat(reply.json().getString("csrf_token")).isNotBlank();
        String session = cookie.substring(0, cookie.indexOf(';'));
        assertThat(send("GET", "/api/v1/agents", null, "Cookie", session).status()).isEqualTo(200);
        Reply who = send("GET", "/api/v1/session", null, "Cookie", session);
        assertThat(who.json().getString("csrf_token")).isEqualTo(reply.json().getString("csrf_token"));
        assertThat(send("GET", "/api/v1/audit?action=auth.sign_in", null, "Cookie", session).json()
                .getJsonArray("entries")).hasSize(1);
    }

    @Test
    void behindATlsProxyTheCookieIsSecureAndHostPrefixed() throws Exception {
        Reply reply = send("POST", "/api/v1/session", "{\"token\":\"" + TestServer.ADMIN_TOKEN + "\"}",
                "X-Forwarded-Proto", "https");

        String cookie = reply.header("set-cookie");
        assertThat(cookie).startsWith(SessionCookie.SECURE_NAME + "=").contains("Secure").containsIgnoringCase("HttpOnly");
        assertThat(send("GET", "/api/v1/agents", null, "Cookie", cookie.substring(0, cookie.indexOf(';'))).status())
                .isEqualTo(200);
    }

    @Test
    void wrongTokenIsRefusedWithoutEchoingItAndRepeatedFailuresAreThrottled() throws Exception {
        Reply wrong = send("POST", "/api/v1/session", "{\"token\":\"not-the-token-123\"}");
        assertThat(wrong.status()).isEqualTo(401);
        assertThat(wrong.header("set-cookie")).isNull();
        assertThat(wrong.body()).doesNotContain("not-the-token-123");
        assertThat(send("POST", "/api/v1/session", "{\"token\": 12").status()).isEqualTo(400);
        for (int i = 1; i < SignInThrottle.MAX_FAILURES_PER_ADDRESS; i++) {
            send("POST", "/api/v1/session", "{\"token\":\"guess-" + i + "\"}");
        }

        Reply throttled = send("POST", "/api/v1/session", "{\"token\":\"" + TestServer.ADMIN_TOKEN + "\"}");

        assertThat(throttled.status()).isEqualTo(429);
        assertThat(throttled.header("retry-after")).isNotNull();
    }

    @Test
    void stateChangingCookieRequestsNeedTheCsrfTokenAndThisServersOrigin() throws Exception {
        String[] session = signIn();
        String body = "{\"name\":\"web-1\",\"labels\":{}}";

        Reply noToken = send("POST", "/api/v1/agents", body, "Cookie", session[0], "Origin", origin);
        Reply wrongToken = send("POST", "/api/v1/agents", body, "Cookie", session[0], "Origin", origin,
                BrowserAuth.CSRF_HEADER, "forged");
        Reply otherSite = send("POST", "/api/v1/agents", body, "Cookie", session[0], "Origin", "https://evil.example",
                BrowserAuth.CSRF_HEADER, session[1]);
        Reply noOrigin = send("POST", "/api/v1/agents", body, "Cookie", session[0], BrowserAuth.CSRF_HEADER, session[1]);
        Reply otherPort = send("POST", "/api/v1/agents", body, "Cookie", session[0],
                "Origin", "http://127.0.0.1:1", BrowserAuth.CSRF_HEADER, session[1]);
        Reply allowed = send("POST", "/api/v1/agents", body, "Cookie", session[0], "Origin", origin,
                BrowserAuth.CSRF_HEADER, session[1]);

        assertThat(noToken.status()).isEqualTo(403);
        assertThat(noToken.json().getString("error")).isEqualTo("csrf");
        assertThat(wrongToken.status()).isEqualTo(403);
        assertThat(otherSite.status()).isEqualTo(403);
        assertThat(otherSite.json().getString("error")).isEqualTo("cross_origin");
        assertThat(noOrigin.status()).isEqualTo(403);
        assertThat(otherPort.status()).isEqualTo(403);
        assertThat(allowed.status()).as(allowed.body()).isEqualTo(201);
        assertThat(server.api().get("/api/v1/agents").json().getJsonArray("agents")).hasSize(1);
    }

    @Test
    void usersSignInWithTheirPasswordAndKeepTheirRoleUntilDisabled() throws Exception {
        assertThat(server.api().post("/api/v1/users", new JsonObject().put("name", "vera").put("role", "viewer")
                .put("password", "a-long-enough-password").encode()).status()).isEqualTo(201);
        Reply wrong = send("POST", "/api/v1/session", "{\"user\":\"vera\",\"password\":\"not-her-password\"}",
                "Origin", origin);
        assertThat(wrong.status()).isEqualTo(401);

        Reply in = send("POST", "/api/v1/session", "{\"user\":\"vera\",\"password\":\"a-long-enough-password\"}",
                "Origin", origin);

        assertThat(in.status()).as(in.body()).isEqualTo(201);
        String cookie = in.header("set-cookie");
        String session = cookie.substring(0, cookie.indexOf(';'));
        String csrf = in.json().getString("csrf_token");
        Reply who = send("GET", "/api/v1/session", null, "Cookie", session);
        assertThat(who.json().getString("actor")).isEqualTo("vera");
        assertThat(who.json().getString("role")).isEqualTo("viewer");
        assertThat(send("GET", "/api/v1/agents", null, "Cookie", session).status()).isEqualTo(200);
        Reply create = send("POST", "/api/v1/agents", "{\"name\":\"web-9\"}", "Cookie", session, "Origin", origin,
                BrowserAuth.CSRF_HEADER, csrf);
        assertThat(create.status()).as("a viewer may not create agents").isEqualTo(403);

        assertThat(server.api().post("/api/v1/users/vera/disable", "{}").status()).isEqualTo(200);
        assertThat(send("GET", "/api/v1/agents", null, "Cookie", session).status()).isEqualTo(401);
    }

    @Test
    void signingOutAUserRevokesTheTokenTheSessionRodeOn() throws Exception {
        server.api().post("/api/v1/users", new JsonObject().put("name", "otto").put("role", "operator")
                .put("password", "a-long-enough-password").encode());
        Reply in = send("POST", "/api/v1/session", "{\"user\":\"otto\",\"password\":\"a-long-enough-password\"}",
                "Origin", origin);
        String cookie = in.header("set-cookie");
        String session = cookie.substring(0, cookie.indexOf(';'));
        String personalToken = session.substring(session.indexOf('=') + 1);

        assertThat(send("DELETE", "/api/v1/session", null, "Cookie", session, "Origin", origin,
                BrowserAuth.CSRF_HEADER, in.json().getString("csrf_token")).status()).isEqualTo(204);

        assertThat(send("GET", "/api/v1/agents", null, "Authorization", "Bearer " + personalToken).status())
                .isEqualTo(401);
    }

    @Test
    void bearerTokenRequestsNeedNoCsrfToken() throws Exception {
        Reply created = send("POST", "/api/v1/agents", "{\"name\":\"web-2\"}",
                "Authorization", "Bearer " + TestServer.ADMIN_TOKEN);

        assertThat(created.status()).isEqualTo(201);
        assertThat(send("GET", "/api/v1/session", null, "Authorization", "Bearer " + TestServer.ADMIN_TOKEN).json()
                .getString("auth")).isEqualTo("token");
    }

    @Test
    void signOutEndsTheSessionAndClearsTheCookie() throws Exception {
        String[] session = signIn();

        Reply out = send("DELETE", "/api/v1/session", null, "Cookie", session[0], "Origin", origin,
                BrowserAuth.CSRF_HEADER, session[1]);

        assertThat(out.status()).isEqualTo(204);
        assertThat(out.header("set-cookie")).contains("Max-Age=0");
        Reply after = send("GET", "/api/v1/agents", null, "Cookie", session[0]);
        assertThat(after.status()).isEqualTo(401);
        assertThat(after.json().getString("message")).contains("sign in again");
    }

    @Test
    void sessionsSurviveARestartButNotARotatedAdminToken() throws Exception {
        ServerConfig config = TestServer.config(dir, TestDatabase.SQLITE, Duration.ofSeconds(30))
                .withJdbcUrl("jdbc:sqlite:" + dir.resolve("kept.db"));
        server.close();
        server = TestServer.start(config);
        origin = "http://127.0.0.1:" + server.port();
        String[] session = signIn();

        server.close();
        server = TestServer.start(config);
        origin = "http://127.0.0.1:" + server.port();
        assertThat(send("GET", "/api/v1/agents", null, "Cookie", session[0]).status()).isEqualTo(200);

        server.close();
        server = TestServer.start(config.withAdminToken("another-admin-token-0123456789"));
        origin = "http://127.0.0.1:" + server.port();
        assertThat(send("GET", "/api/v1/agents", null, "Cookie", session[0]).status()).isEqualTo(401);
    }

    @Test
    void terminalUpgradeAcceptsTheCookieOnlyFromThisServersOrigin() throws Exception {
        String[] session = signIn();

        Reply crossSite = send("GET", "/api/v1/agents/nobody/shell", null, "Cookie", session[0],
                "Origin", "https://evil.example");
        Reply sameSite = send("GET", "/api/v1/agents/nobody/shell", null, "Cookie", session[0], "Origin", origin);
        Reply noCookie = send("GET", "/api/v1/agents/nobody/shell", null, "Origin", origin);

        assertThat(crossSite.status()).isEqualTo(403);
        assertThat(sameSite.status()).as("past authentication: the agent is looked up").isEqualTo(404);
        assertThat(noCookie.status()).isEqualTo(401);
    }
}
