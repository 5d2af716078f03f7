package dev.tether.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.server.testing.Api;
import dev.tether.server.testing.Api.Response;
import dev.tether.server.testing.TestDatabase;
import dev.tether.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every kind of bad command request gets a clear 4xx, and none of them stores anything. */
class CommandValidationTest {

    @TempDir
    static Path dir;
    private static TestServer server;
    private static Api api;

    @BeforeAll
    static void startServer() throws Exception {
        server = TestServer.start(dir, TestDatabase.SQLITE, Duration.ofSeconds(30));
        api = server.api();
        api.enrol("known", new JsonObject().put("env", "prod"));
        api.enrol("gone", new JsonObject().put("env", "prod"));
        api.post("/api/v1/agents/gone/revoke", "");
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    /** Nothing of any refused request is left: no command, no outbox row, no config version, no event. */
    @AfterEach
    void nothingWasStored() {
        assertThat(api.get("/api/v1/commands").json().getJsonArray("commands")).isEmpty();
        assertThat(api.metric("tether_commands_total")).isZero();
        assertThat(api.metric("tether_reliable_pending{direction=\"to_agents\"}")).isZero();
        assertThat(api.get("/api/v1/agents/known/config").json().getLong("version")).isZero();
        assertThat(api.get("/api/v1/events?follow=false&types=command.state,job.state").body())
                .doesNotContain("event: ");
    }

    private static Response create(JsonObject body) {
        return api.post("/api/v1/commands", body.encode());
    }

    private static JsonObject exec() {
        return new JsonObject().put("type", "exec").put("agents", new JsonArray().add("known"))
                .put("argv", new JsonArray().add("uptime"));
    }

    private static void assertError(Response response, int status, String code, String messagePart) {
        assertThat(response.status()).as(response.body()).isEqualTo(status);
        assertThat(response.json().getString("error")).isEqualTo(code);
        assertThat(response.json().getString("message")).contains(messagePart);
    }

    @Test
    void unknownAgentAmongKnownOnesIsNotFound() {
        assertError(create(exec().put("agents", new JsonArray().add("known").add("ghost"))), 404, "not_found",
                "'ghost'");
    }

    @Test
    void revokedAgentIsUnprocessable() {
        assertError(create(exec().put("agents", new JsonArray().add("gone"))), 422, "agent_revoked", "gone");
    }

    @Test
    void selectorMatchingNoAgentIsUnprocessable() {
        assertError(create(exec().put("agents", null).put("selector", "env=staging")), 422, "no_targets",
                "env=staging");
    }

    @Test
    void unparsableSelectorIsABadRequestNamingThePosition() {
        assertError(create(exec().put("agents", null).put("selector", "env=prod,,role=db")), 400, "invalid_selector",
                "position 10");
        assertError(create(exec().put("agents", null).put("selector", 42)), 400, "invalid_selector", "string");
    }

    @Test
    void negativeOrAbsurdLimitsAreBadRequests() {
        assertError(create(exec().put("timeout_s", -1)), 400, "invalid_timeout_s", "0 to 604800");
        assertError(create(exec().put("timeout_s", 604_801)), 400, "invalid_timeout_s", "got 604801");
        assertError(create(exec().put("timeout_s", 1.5)), 400, "invalid_timeout_s", "whole number");
        assertError(create(exec().put("timeout_s", "10")), 400, "invalid_timeout_s", "whole number");
        assertError(create(exec().put("deadline_s", -5)), 400, "invalid_deadline_s", "got -5");
        assertError(create(exec().put("deadline_s", 2_592_001)), 400, "invalid_deadline_s", "30 days");
        assertError(create(exec().put("max_concurrency", -1)), 400, "invalid_max_concurrency", "got -1");
        assertError(create(exec().put("max_concurrency", 100_001)), 400, "invalid_max_concurrency", "100000");
        assertError(create(exec().put("max_errors", -2)), 400, "invalid_max_errors", "-1 to 100000");
        assertError(create(exec().put("max_errors", 10_000_000_000L)), 400, "invalid_max_errors", "got");
    }

    @Test
    void execWithoutArgvIsABadRequest() {
        assertError(create(exec().put("argv", null)), 400, "missing_argv", "argv");
        assertError(create(exec().put("argv", new JsonArray())), 400, "missing_argv", "argv");
        assertError(create(exec().put("argv", new JsonArray().add(""))), 400, "invalid_argv", "must not be empty");
        assertError(create(exec().put("argv", new JsonArray().add(1))), 400, "invalid_argv", "strings");
        assertError(create(exec().put("argv", "uptime")), 400, "invalid_argv", "array");
    }

    @Test
    void targetsAreGivenExactlyOnce() {
        assertError(create(exec().put("agents", null)), 400, "missing_target", "selector");
        assertError(create(exec().put("selector", "env=prod")), 400, "invalid_target", "not both");
        assertError(create(exec().put("agents", new JsonArray())), 400, "invalid_agents", "array of 1-");
        assertError(create(exec().put("agents", new JsonArray().add(""))), 400, "invalid_agents", "non-empty");
    }

    @Test
    void fieldsThatDoNotFitTheTypeAreBadRequests() {
        assertError(create(exec().put("params", new JsonObject())), 400, "invalid_params", "non-exec");
        assertError(create(exec().put("type", "health_check")), 400, "invalid_argv", "only for exec");
        assertError(create(exec().put("env", new JsonObject().put("A=B", "c"))), 400, "invalid_env", "A=B");
        assertError(create(exec().put("env", new JsonObject().put("A", 1))), 400, "invalid_env", "string value");
        assertError(create(exec().put("cwd", "")), 400, "invalid_cwd", "non-empty");
        assertError(create(exec().put("type", "Not A Type")), 400, "invalid_type", "a-z");
        assertError(create(exec().put("colour", "red")), 400, "unknown_field", "'colour'");
    }

    @Test
    void configAndSelfUpdateParametersAreChecked() {
        JsonObject config = new JsonObject().put("type", "config").put("agents", new JsonArray().add("known"));
        assertError(create(config.copy()), 400, "invalid_params", "\"config\"");
        assertError(create(config.copy().put("params", new JsonObject().put("interval", 5))), 400, "invalid_params",
                "\"config\"");
        JsonObject update = new JsonObject().put("type", "self_update").put("agents", new JsonArray().add("known"));
        assertError(create(update.copy().put("params", new JsonObject().put("url", "https://x/agent.jar")
                .put("sha256", "abc"))), 400, "invalid_params", "64 hex digits");
        assertError(create(update.copy().put("params", new JsonObject().put("url", "ftp://x/agent.jar")
                .put("sha256", "0".repeat(64)))), 400, "invalid_params", "http(s)");
    }

    @Test
    void malformedBodiesAreBadRequests() {
        assertError(api.post("/api/v1/commands", "{\"argv\": "), 400, "invalid_json", "not valid JSON");
        assertError(api.post("/api/v1/commands", "[\"uptime\"]"), 400, "invalid_json", "JSON object");
        assertError(api.post("/api/v1/commands", ""), 400, "invalid_json", "JSON document");
    }
}
