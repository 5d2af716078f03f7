package dev.tether.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.server.testing.Api;
import dev.tether.server.testing.TestAgent;
import dev.tether.server.testing.TestDatabase;
import dev.tether.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Agents joining with enrollment tokens: keys of their own, use limits, expiry, revocation, approval. */
class EnrollmentTest {

    @TempDir
    static Path dir;
    private static TestServer server;
    private static Api api;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(dir, TestDatabase.SQLITE, Duration.ofSeconds(30));
        api = server.api();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static JsonObject token(JsonObject request) {
        Api.Response created = api.post("/api/v1/enrollment-tokens", request.encode());
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        return created.json();
    }

    private static HttpResponse<String> enroll(String token, String name) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/agents/enroll"))
                .header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("name", name).encode())).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aTokenEnrolsItsMaxUsesOfAgentsEachWithItsOwnKeyAndTheTokensLabels() throws Exception {
        JsonObject token = token(new JsonObject().put("max_uses", 3).put("labels", new JsonObject().put("env", "ci")));
        assertThat(token.getString("token")).startsWith("tet_");
        Set<String> keys = new HashSet<>();
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> enrolled = enroll(token.getString("token"), "runner");
            assertThat(enrolled.statusCode()).as(enrolled.body()).isEqualTo(201);
            keys.add(new JsonObject(enrolled.body()).getString("key"));
        }

        HttpResponse<String> fourth = enroll(token.getString("token"), "runner");

        assertThat(keys).hasSize(3);
        assertThat(fourth.statusCode()).isEqualTo(403);
        assertThat(new JsonObject(fourth.body()).getString("message")).contains("has enrolled its 3 agent(s)");
        String key = keys.iterator().next();
        TestAgent agent = TestAgent.connect(server.port(), key);
        String id = agent.hello().getAgentId();
        JsonObject shown = api.get("/api/v1/agents/" + id).json();
        assertThat(shown.getJsonObject("labels").getString("env")).isEqualTo("ci");
        assertThat(shown.getString("name")).startsWith("runner");
        JsonArray tokens = api.get("/api/v1/enrollment-tokens").json().getJsonArray("tokens");
        JsonObject listed = tokens.stream().map(JsonObject.class::cast)
                .filter(t -> t.getString("id").equals(token.getString("id"))).findFirst().orElseThrow();
        assertThat(listed.getLong("uses")).isEqualTo(3);
        assertThat(listed.getString("state")).isEqualTo("exhausted");
        assertThat(listed.containsKey("token")).isFalse();
        agent.close();
    }

    @Test
    void unknownExpiredAndRevokedTokensAreRefusedWithTheirReason() throws Exception {
        assertThat(enroll("tet_not-a-token", "x").statusCode()).isEqualTo(401);
        JsonObject expiring = token(new JsonObject().put("ttl_s", 1).put("max_uses", 0));
        JsonObject revoked = token(new JsonObject());
        api.post("/api/v1/enrollment-tokens/" + revoked.getString("id") + "/revoke", "{}");

        await().atMost(Duration.ofSeconds(5)).until(() -> enroll(expiring.getString("token"), "late").statusCode() == 403);
        assertThat(enroll(expiring.getString("token"), "late").body()).contains("expired");
        HttpResponse<String> refused = enroll(revoked.getString("token"), "x");
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(refused.body()).contains("revoked");
    }

    @Test
    void anAgentNeedingApprovalIsPendingWithoutCommandsUntilApproved() throws Exception {
        JsonObject token = token(new JsonObject().put("require_approval", true)
                .put("labels", new JsonObject().put("pool", "approval")));
        JsonObject enrolled = new JsonObject(enroll(token.getString("token"), "waiting").body());
        assertThat(enrolled.getString("status")).isEqualTo("pending");
        String key = enrolled.getString("key");

        TestAgent.Rejection waiting = TestAgent.rejection(server.port(), key);
        assertThat(waiting.status()).isEqualTo(403);
        assertThat(waiting.body()).contains("approve");
        assertThat(waiting.retryAfter()).isNotNull();
        assertThat(api.get("/api/v1/agents/waiting").json().getString("status")).isEqualTo("pending");
        Api.Response command = api.post("/api/v1/commands", new JsonObject().put("agents", new JsonArray()
                .add("waiting")).put("argv", new JsonArray().add("true")).encode());
        assertThat(command.status()).isEqualTo(422);
        assertThat(api.post("/api/v1/commands", new JsonObject().put("selector", "pool=approval")
                .put("argv", new JsonArray().add("true")).encode()).status()).isEqualTo(422);

        assertThat(api.post("/api/v1/agents/waiting/approve", "{}").status()).isEqualTo(200);
        TestAgent agent = TestAgent.connect(server.port(), key);
        assertThat(agent.hello().getAgentName()).isEqualTo("waiting");
        assertThat(api.get("/api/v1/audit?action=agent.approve").json().getJsonArray("entries")).hasSize(1);
        agent.close();
    }

    @Test
    void aRejectedAgentCannotConnect() throws Exception {
        JsonObject token = token(new JsonObject().put("require_approval", true));
        String key = new JsonObject(enroll(token.getString("token"), "unwanted").body()).getString("key");

        assertThat(api.post("/api/v1/agents/unwanted/reject", "{}").status()).isEqualTo(200);

        TestAgent.Rejection refused = TestAgent.rejection(server.port(), key);
        assertThat(refused.status()).isEqualTo(401);
        assertThat(refused.body()).contains("rejected");
        assertThat(api.post("/api/v1/agents/unwanted/approve", "{}").status()).isEqualTo(409);
    }

    @Test
    void badTokenRequestsAreRefusedAndNothingIsCreated() {
        assertThat(api.post("/api/v1/enrollment-tokens", "{\"max_uses\": -1}").status()).isEqualTo(400);
        assertThat(api.post("/api/v1/enrollment-tokens", "{\"ttl_s\": 0}").status()).isEqualTo(400);
        assertThat(api.post("/api/v1/enrollment-tokens", "{\"require_approval\": \"yes\"}").status()).isEqualTo(400);
        assertThat(api.post("/api/v1/enrollment-tokens", "{\"labels\": {\"bad key!\": \"x\"}}").status())
                .isEqualTo(400);
    }
}
