package dev.tether.server.users;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.protocol.v1.Envelope.PayloadCase;
import dev.tether.server.testing.Api;
import dev.tether.server.testing.TerminalClient;
import dev.tether.server.testing.TestAgent;
import dev.tether.server.testing.TestDatabase;
import dev.tether.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Operators with roles: viewers read, operators act within their scope, admins manage. */
class RolesTest {

    private static final String PASSWORD = "correct horse battery";
    @TempDir
    static Path dir;
    private static TestServer server;
    private static Api admin;
    private static TestAgent staging;
    private static TestAgent prod;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(dir, TestDatabase.SQLITE, Duration.ofSeconds(30));
        admin = server.api();
        staging = shellAgent("stage-1", "staging");
        prod = shellAgent("prod-1", "prod");
        user("vera", "viewer", null);
        user("otto", "operator", "env=staging");
        user("ada", "admin", null);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static TestAgent shellAgent(String name, String env) {
        Api.Enrolled enrolled = admin.enrol(name, new JsonObject().put("env", env));
        TestAgent agent = TestAgent.connect(server.port(), enrolled.key());
        agent.hello(TestAgent.defaultHello().addCapabilities("shell"));
        return agent;
    }

    private static void user(String name, String role, String scope) {
        admin.createUser(name, role, scope, PASSWORD);
    }

    private static String login(String name) {
        return admin.login(name, PASSWORD);
    }

    private static String exec(String agent) {
        return new JsonObject().put("agents", new JsonArray().add(agent)).put("argv", new JsonArray().add("true"))
                .encode();
    }

    @Test
    void onlyAnAdminReadsAnAgentsQuarantinedPayloads() {
        Api.Response operator = admin.withToken(login("otto")).get("/api/v1/agents/stage-1/quarantine");
        assertThat(operator.status()).isEqualTo(403);
        assertThat(operator.json().getString("message")).contains("needs the admin role");
        Api.Response ada = admin.withToken(login("ada")).get("/api/v1/agents/stage-1/quarantine");
        assertThat(ada.status()).as(ada.body()).isEqualTo(200);
        assertThat(ada.json().getJsonArray("payloads")).isEmpty();
    }

    @Test
    void aViewerReadsButGets403OnCommandsAndShells() {
        Api vera = admin.withToken(login("vera"));

        assertThat(vera.get("/api/v1/agents").status()).isEqualTo(200);
        Api.Response command = vera.post("/api/v1/commands", exec("stage-1"));
        assertThat(command.status()).isEqualTo(403);
        assertThat(command.json().getString("message")).contains("needs the operator role");
        Api.Response shell = TerminalClient.rejection(server.port(), login("vera"), "stage-1", "");
        assertThat(shell.status()).isEqualTo(403);
        assertThat(vera.post("/api/v1/agents", "{\"name\":\"sneaky\"}").status()).isEqualTo(403);
    }

    @Test
    void onlyAnAdminChangesAnAgentsLabelsOrDeletesAnAgentAndBothAreAudited() {
        admin.enrol("retired-1", new JsonObject().put("env", "staging"));
        admin.post("/api/v1/agents/retired-1/revoke", "");
        String relabel = "{\"labels\": {\"env\": \"prod\"}}";
        for (String user : new String[] {"vera", "otto"}) {
            Api caller = admin.withToken(login(user));
            Api.Response patch = caller.patch("/api/v1/agents/retired-1", relabel);
            assertThat(patch.status()).as(user + " PATCH").isEqualTo(403);
            assertThat(patch.json().getString("message")).contains("needs the admin role");
            assertThat(caller.delete("/api/v1/agents/retired-1").status()).as(user + " DELETE").isEqualTo(403);
        }
        assertThat(admin.get("/api/v1/agents/retired-1").json().getJsonObject("labels").getString("env"))
                .isEqualTo("staging");

        Api ada = admin.withToken(login("ada"));
        assertThat(ada.patch("/api/v1/agents/retired-1", relabel).status()).isEqualTo(200);
        assertThat(ada.delete("/api/v1/agents/retired-1").status()).isEqualTo(200);

        await().until(() -> admin.get("/api/v1/audit?actor=ada&target=retired-1").json()
                .getJsonArray("entries").size() == 2);
        JsonArray entries = admin.get("/api/v1/audit?actor=ada&target=retired-1").json().getJsonArray("entries");
        assertThat(entries.getJsonObject(0).getString("action")).isEqualTo("agent.delete");
        assertThat(entries.getJsonObject(1).getString("action")).isEqualTo("agent.labels");
        assertThat(entries.getJsonObject(1).getJsonObject("details").getJsonObject("labels").getString("env"))
                .isEqualTo("prod");
        assertThat(admin.get("/api/v1/audit?target=retired-1&action=agent.labels").json().getJsonArray("entries"))
                .hasSize(1);
    }

    @Test
    void aScopedOperatorActsOnStagingAndGets403OnProd() {
        String token = login("otto");
        Api otto = admin.withToken(token);

        assertThat(otto.post("/api/v1/commands", exec("stage-1")).status()).isEqualTo(201);
        await().until(() -> admin.get("/api/v1/audit?actor=otto&action=command.create").json()
                .getJsonArray("entries").size() == 1);
        Api.Response outside = otto.post("/api/v1/commands", exec("prod-1"));
        assertThat(outside.status()).isEqualTo(403);
        assertThat(outside.json().getString("message")).contains("outside your scope");
        assertThat(otto.post("/api/v1/commands", new JsonObject().put("selector", "env").put("argv",
                new JsonArray().add("true")).encode()).status()).as("a selector reaching prod").isEqualTo(403);

        try (TerminalClient shell = TerminalClient.open(server.port(), token, "stage-1", "")) {
            assertThat(staging.await(PayloadCase.SHELL_OPEN)).isNotNull();
        }
        Api.Response prodShell = TerminalClient.rejection(server.port(), token, "prod-1", "");
        assertThat(prodShell.status()).isEqualTo(403);
        assertThat(prodShell.body()).contains("outside otto's scope");
        assertThat(otto.post("/api/v1/agents/prod-1/revoke", "{}").status()).as("admin only").isEqualTo(403);
        JsonObject session = admin.get("/api/v1/sessions?agent=stage-1").json().getJsonArray("sessions")
                .getJsonObject(0);
        assertThat(session.getString("actor")).isEqualTo("otto");
    }

    @Test
    void anAdminUserManagesAndEveryChangeIsAudited() {
        Api ada = admin.withToken(login("ada"));

        assertThat(ada.post("/api/v1/enrollment-tokens", "{}").status()).isEqualTo(201);
        assertThat(ada.post("/api/v1/agents", "{\"name\":\"made-by-ada\"}").status()).isEqualTo(201);
        assertThat(ada.post("/api/v1/agents/made-by-ada/revoke", "{}").status()).isEqualTo(200);
        await().until(() -> admin.get("/api/v1/audit?actor=ada&action=agent.revoke").json()
                .getJsonArray("entries").size() == 1);
        JsonArray entries = admin.get("/api/v1/audit?actor=ada").json().getJsonArray("entries");
        assertThat(entries.stream().map(e -> ((JsonObject) e).getString("action")))
                .contains("enrollment_token.create", "user.login", "agent.create", "agent.revoke");
    }

    @Test
    void wrongPasswordsShortPasswordsAndDisabledUsersAreRefused() {
        assertThat(admin.withToken(null).post("/api/v1/login", new JsonObject().put("user", "vera")
                .put("password", "wrong password!").encode()).status()).isEqualTo(401);
        assertThat(admin.withToken(null).post("/api/v1/login", new JsonObject().put("user", "nobody")
                .put("password", PASSWORD).encode()).status()).isEqualTo(401);
        Api.Response weak = admin.post("/api/v1/users", new JsonObject().put("name", "weak").put("role", "viewer")
                .put("password", "short").encode());
        assertThat(weak.status()).isEqualTo(400);
        assertThat(weak.json().getString("message")).contains("at least 12");
        assertThat(admin.post("/api/v1/users", new JsonObject().put("name", "x").put("role", "viewer")
                .put("scope", "env=prod").put("password", PASSWORD).encode()).status()).isEqualTo(400);

        user("leaver", "operator", null);
        Api leaver = admin.withToken(login("leaver"));
        assertThat(leaver.get("/api/v1/agents").status()).isEqualTo(200);
        assertThat(admin.post("/api/v1/users/leaver/disable", "{}").status()).isEqualTo(200);
        assertThat(leaver.get("/api/v1/agents").status()).isEqualTo(401);
    }

    @Test
    void aUserListsCreatesAndRevokesTheirOwnTokens() {
        Api vera = admin.withToken(login("vera"));
        Api.Response created = vera.post("/api/v1/tokens", "{\"name\":\"ci\",\"ttl_s\":3600}");
        assertThat(created.status()).isEqualTo(201);
        String second = created.json().getString("token");
        assertThat(admin.withToken(second).get("/api/v1/agents").status()).isEqualTo(200);

        assertThat(vera.post("/api/v1/tokens/" + created.json().getString("id") + "/revoke", "{}").status())
                .isEqualTo(200);

        assertThat(admin.withToken(second).get("/api/v1/agents").status()).isEqualTo(401);
        assertThat(vera.get("/api/v1/tokens").json().getJsonArray("tokens").size()).isGreaterThanOrEqualTo(2);
    }
}
