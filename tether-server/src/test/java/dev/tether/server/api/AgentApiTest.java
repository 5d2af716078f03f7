package dev.tether.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.server.testing.Api;
import dev.tether.server.testing.Api.Response;
import dev.tether.server.testing.TestDatabase;
import dev.tether.server.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The REST API's contract: shapes, statuses and JSON errors. */
class AgentApiTest {

    @TempDir
    static Path dir;
    private static TestServer server;
    private static Api api;

    @BeforeAll
    static void startServer() throws Exception {
        server = TestServer.start(dir, TestDatabase.SQLITE, Duration.ofSeconds(30));
        api = server.api();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    private static void assertError(Response response, int status, String code) {
        assertThat(response.status()).as(response.body()).isEqualTo(status);
        assertThat(response.contentType()).startsWith("application/json");
        assertThat(response.json().getString("error")).isEqualTo(code);
        assertThat(response.json().getString("message")).isNotBlank();
    }

    @Test
    void enrollingReturnsTheKeyOnceAndTheAgentIsListed() {
        Response created = api.post("/api/v1/agents",
                "{\"name\": \"web-1\", \"labels\": {\"env\": \"prod\", \"team/owner\": \"infra\"}}");

        assertThat(created.status()).isEqualTo(201);
        JsonObject body = created.json();
        assertThat(body.getString("key")).startsWith("tak_").hasSize(4 + 43);
        assertThat(body.getString("name")).isEqualTo("web-1");
        assertThat(body.getJsonObject("labels").getString("env")).isEqualTo("prod");

        JsonObject shown = api.get("/api/v1/agents/" + body.getString("id")).json();
        assertThat(shown.getString("name")).isEqualTo("web-1");
        assertThat(shown.getString("status")).isEqualTo("offline");
        assertThat(shown.getBoolean("revoked")).isFalse();
        assertThat(shown.getValue("metrics")).isNull();
        assertThat(Instant.parse(shown.getString("created_at"))).isBefore(Instant.now().plusSeconds(1));
        assertThat(shown.encode()).doesNotContain(body.getString("key"));
        assertThat(api.get("/api/v1/agents/web-1").json().getString("id")).isEqualTo(body.getString("id"));
        assertThat(api.get("/api/v1/agents").json().getJsonArray("agents").encode()).contains("web-1")
                .doesNotContain(body.getString("key"));
    }

    @Test
    void takenNameIsAConflict() {
        api.enrol("twice");

        assertError(api.post("/api/v1/agents", "{\"name\": \"twice\"}"), 409, "name_taken");
    }

    @Test
    void invalidNamesAreRejected() {
        assertError(api.post("/api/v1/agents", "{\"name\": \"\"}"), 400, "invalid_name");
        assertError(api.post("/api/v1/agents", "{\"name\": \"has space\"}"), 400, "invalid_name");
        assertError(api.post("/api/v1/agents", "{\"name\": \"" + "x".repeat(64) + "\"}"), 400, "invalid_name");
        assertError(api.post("/api/v1/agents", "{\"name\": 42}"), 400, "invalid_name");
        assertError(api.post("/api/v1/agents", "{}"), 400, "invalid_name");
    }

    @Test
    void invalidLabelsAreRejected() {
        assertError(api.post("/api/v1/agents", "{\"name\": \"l1\", \"labels\": [\"a\"]}"), 400, "invalid_labels");
        assertError(api.post("/api/v1/agents", "{\"name\": \"l2\", \"labels\": {\"a\": 1}}"), 400, "invalid_labels");
        assertError(api.post("/api/v1/agents", "{\"name\": \"l3\", \"labels\": {\"-a\": \"b\"}}"), 400,
                "invalid_labels");
        assertError(api.post("/api/v1/agents", "{\"name\": \"l4\", \"labels\": {\"a\": \"" + "v".repeat(256)
                + "\"}}"), 400, "invalid_labels");
        assertError(api.post("/api/v1/agents", "{\"name\": \"l5\", \"labels\": {\"a\": \"line\\nbreak\"}}"), 400,
                "invalid_labels");
    }

    @Test
    void malformedJsonIsABadRequest() {
        assertError(api.post("/api/v1/agents", "{\"name\": "), 400, "invalid_json");
        assertError(api.post("/api/v1/agents", "[]"), 400, "invalid_json");
        assertError(api.post("/api/v1/agents", ""), 400, "invalid_json");
        assertError(api.post("/api/v1/agents", "{\"name\": \"x\", \"colour\": \"red\"}"), 400, "unknown_field");
    }

    @Test
    void badLabelChangesAreRefusedAndChangeNothing() {
        api.enrol("relabel", new JsonObject().put("env", "prod"));
        String path = "/api/v1/agents/relabel";

        assertError(api.patch(path, "{\"labels\": {\"env\": 1}}"), 400, "invalid_labels");
        assertError(api.patch(path, "{\"labels\": {\"-env\": \"x\"}}"), 400, "invalid_labels");
        assertError(api.patch(path, "{\"labels\": {\"env\": \"a\\u0000b\"}}"), 400, "invalid_labels");
        assertError(api.patch(path, "{\"labels\": {\"env\": \"" + "v".repeat(256) + "\"}}"), 400,
                "invalid_labels");
        assertError(api.patch(path, "{\"labels\": {}}"), 400, "invalid_labels");
        assertError(api.patch(path, "{\"labels\": [\"env\"]}"), 400, "invalid_labels");
        assertError(api.patch(path, "{\"name\": \"renamed\"}"), 400, "unknown_field");
        assertError(api.patch(path, "{\"labels\": "), 400, "invalid_json");
        assertError(api.send("PATCH", path, "labels=x", "text/plain"), 415, "unsupported_media_type");
        assertError(api.patch("/api/v1/agents/nobody", "{\"labels\": {\"a\": \"b\"}}"), 404, "not_found");
        JsonObject many = new JsonObject();
        for (int i = 0; i < AgentRequests.MAX_LABELS; i++) {
            many.put("k" + i, "v");
        }
        Response tooMany = api.patch(path, new JsonObject().put("labels", many).encode());
        assertError(tooMany, 400, "invalid_labels");
        assertThat(tooMany.json().getString("message")).contains("at most 64 labels").contains("65");

        assertThat(api.get(path).json().getJsonObject("labels").getMap()).containsOnlyKeys("env");
        many.remove("k0");
        assertThat(api.patch(path, new JsonObject().put("labels", many).encode()).status()).isEqualTo(200);
        assertThat(api.get(path).json().getJsonObject("labels").getMap()).hasSize(AgentRequests.MAX_LABELS);
    }

    @Test
    void deletingAnUnknownAgentIsNotFoundAndTheCollectionCannotBeDeleted() {
        assertError(api.delete("/api/v1/agents/nobody"), 404, "not_found");
        assertError(api.send("PATCH", "/api/v1/agents", "{}", "application/json"), 405, "method_not_allowed");
    }

    @Test
    void unknownAgentIsNotFound() {
        assertError(api.get("/api/v1/agents/nobody"), 404, "not_found");
        assertError(api.get("/api/v1/agents/nobody/config"), 404, "not_found");
        assertError(api.put("/api/v1/agents/nobody/config", "{}"), 404, "not_found");
        assertError(api.get("/api/v1/agents/nobody/events"), 404, "not_found");
        assertError(api.post("/api/v1/agents/nobody/revoke", ""), 404, "not_found");
    }

    @Test
    void requestsWithoutTheAdminTokenAreUnauthorized() {
        assertError(api.withToken(null).get("/api/v1/agents"), 401, "unauthorized");
        assertError(api.withToken("tat_wrong").get("/api/v1/agents"), 401, "unauthorized");
        assertError(api.withToken("tat_wrong").post("/api/v1/agents", "{\"name\": \"sneaky\"}"), 401,
                "unauthorized");
        assertThat(api.get("/api/v1/agents/sneaky").status()).isEqualTo(404);
    }

    @Test
    void oversizedBodyIsTooLarge() {
        String big = "{\"name\": \"big\", \"labels\": {\"a\": \"" + "x".repeat(ApiRouter.MAX_BODY_BYTES) + "\"}}";

        assertError(api.post("/api/v1/agents", big), 413, "payload_too_large");
    }

    @Test
    void nonJsonContentTypeIsUnsupported() {
        assertError(api.send("POST", "/api/v1/agents", "name=x", "application/x-www-form-urlencoded"), 415,
                "unsupported_media_type");
    }

    @Test
    void wrongMethodIsNotAllowed() {
        assertError(api.send("DELETE", "/api/v1/agents", null, null), 405, "method_not_allowed");
    }

    @Test
    void unknownPathIsNotFoundAsJson() {
        assertError(api.get("/api/v1/nothing-here"), 404, "not_found");
        assertError(api.withToken(null).get("/nothing-here"), 404, "not_found");
    }

    @Test
    void configRoundTripsAnyJsonDocument() {
        api.enrol("cfg");

        JsonObject first = api.put("/api/v1/agents/cfg/config", "{\"nested\": {\"list\": [1, 2]}}").json();
        JsonObject second = api.put("/api/v1/agents/cfg/config", "\"just a string\"").json();

        assertThat(first.getLong("version")).isEqualTo(1);
        assertThat(second.getLong("version")).isEqualTo(2);
        JsonObject shown = api.get("/api/v1/agents/cfg/config").json();
        assertThat(shown.getLong("version")).isEqualTo(2);
        assertThat(shown.getString("config")).isEqualTo("just a string");
        assertThat(shown.getLong("applied_version")).isZero();
        assertThat(shown.getBoolean("applied")).isFalse();
        assertError(api.put("/api/v1/agents/cfg/config", "{not json"), 400, "invalid_json");
    }

    @Test
    void configOfAnAgentThatNeverHadOneIsVersionZero() {
        api.enrol("blank");

        JsonObject shown = api.get("/api/v1/agents/blank/config").json();

        assertThat(shown.getLong("version")).isZero();
        assertThat(shown.getValue("config")).isNull();
        assertThat(shown.getBoolean("applied")).isFalse();
    }

    @Test
    void eventQueryParametersAreValidated() {
        api.enrol("quiet");

        assertError(api.get("/api/v1/agents/quiet/events?limit=0"), 400, "invalid_limit");
        assertError(api.get("/api/v1/agents/quiet/events?limit=501"), 400, "invalid_limit");
        assertError(api.get("/api/v1/agents/quiet/events?limit=ten"), 400, "invalid_limit");
        assertError(api.get("/api/v1/agents/quiet/events?before=-1"), 400, "invalid_before");
        JsonObject empty = api.get("/api/v1/agents/quiet/events").json();
        assertThat(empty.getJsonArray("events")).isEmpty();
        assertThat(empty.containsKey("next_before")).isTrue();
        assertThat(empty.getValue("next_before")).isNull();
    }

    @Test
    void probesAnswerWithoutAuthentication() {
        Api anonymous = api.withToken(null);

        assertThat(anonymous.get("/healthz").status()).isEqualTo(200);
        assertThat(anonymous.get("/readyz").status()).isEqualTo(200);
        Response metrics = anonymous.get("/metrics");
        assertThat(metrics.status()).isEqualTo(200);
        assertThat(metrics.contentType()).startsWith("text/plain");
    }
}
