package dev.tether.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.server.testing.Api;
import dev.tether.server.testing.TestDatabase;
import dev.tether.server.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The enrollment endpoint shares the agent gateway's throttle: guessing tokens from one address gets 429. */
class EnrollThrottleTest {

    @Test
    void guessingEnrollmentTokensFromOneAddressIsThrottledWithRetryAfterAndNoAgentIsCreated(@TempDir Path dir)
            throws Exception {
        try (TestServer server = TestServer.start(dir, TestDatabase.SQLITE, Duration.ofSeconds(30))) {
            HttpClient http = HttpClient.newHttpClient();
            int firstThrottled = -1;
            HttpResponse<String> response = null;
            for (int attempt = 1; attempt <= AuthThrottle.MAX_FAILURES + 5 && firstThrottled < 0; attempt++) {
                response = enroll(http, server.port(), "tet_guess-" + attempt);
                if (response.statusCode() == 429) {
                    firstThrottled = attempt;
                } else {
                    assertThat(response.statusCode()).as("attempt " + attempt).isEqualTo(401);
                }
            }

            assertThat(firstThrottled).isEqualTo(AuthThrottle.MAX_FAILURES + 1);
            assertThat(response.headers().firstValue("Retry-After")).isPresent();
            assertThat(new JsonObject(response.body()).getString("message")).contains("retry in");
            Api.Response agents = server.api().get("/api/v1/agents");
            assertThat(agents.json().getJsonArray("agents")).isEmpty();
        }
    }

    private static HttpResponse<String> enroll(HttpClient http, int port, String token) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/agents/enroll"))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"guess\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
