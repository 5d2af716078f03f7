package dev.tether.server.users;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.server.testing.Api;
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

/** A scope covers every action on an agent, cancels included; commands that change the agent are admin only. */
class ScopeCoversEveryActionTest {

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
        staging = agent("stage-1", "staging");
        prod = agent("prod-1", "prod");
        user("otto", "operator", "env=staging");
        user("opal", "operator", null);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static TestAgent agent(String name, String env) {
        Api.Enrolled enrolled = admin.enrol(name, new JsonObject().put("env", env));
        TestAgent agent = TestAgent.connect(server.port(), enrolled.key());
        agent.hello();
        return agent;
    }

    private static void user(String name, String role, String scope) {
        admin.createUser(name, role, scope, PASSWORD);
    }

    private static Api as(String name) {
        return admin.withToken(admin.login(name, PASSWORD));
    }

    private static JsonObject sleep(String... agents) {
        JsonArray names = new JsonArray();
        for (String agent : agents) {
            names.add(agent);
        }
        return admin.createCommand(new JsonObject().put("agents", names)
                .put("argv", new JsonArray().add("sleep").add("600")));
    }

    @Test
    void aScopedOperatorGets403CancellingACommandOrJobThatTouchesAnAgentOutsideItsScope() {
        Api otto = as("otto");
        JsonObject mixed = sleep("stage-1", "prod-1");
        String prodJob = mixed.getJsonArray("jobs").stream().map(j -> (JsonObject) j)
                .filter(j -> "prod-1".equals(j.getString("agent_name"))).findFirst().orElseThrow().getString("id");

        Api.Response command = otto.post("/api/v1/commands/" + mixed.getString("id") + "/cancel", "{}");
        Api.Response job = otto.post("/api/v1/jobs/" + prodJob + "/cancel", "{}");

        assertThat(command.status()).as(command.body()).isEqualTo(403);
        assertThat(command.json().getString("message")).contains("prod-1").contains("outside otto's scope");
        assertThat(job.status()).as(job.body()).isEqualTo(403);
        assertThat(admin.job(prodJob).getString("state")).as("nothing was cancelled").isNotEqualTo("cancelled");
        JsonObject inside = sleep("stage-1");
        assertThat(otto.post("/api/v1/commands/" + inside.getString("id") + "/cancel", "{}").status())
                .as("a command inside the scope").isEqualTo(200);
    }

    @Test
    void configAndSelfUpdateCommandsByANonAdminAre403() {
        Api opal = as("opal");
        JsonObject config = new JsonObject().put("type", "config").put("agents", new JsonArray().add("stage-1"))
                .put("params", new JsonObject().put("config", new JsonObject()));
        JsonObject update = new JsonObject().put("type", "self_update").put("agents", new JsonArray().add("stage-1"))
                .put("params", new JsonObject().put("url", "https://example.com/tether-agent.jar")
                        .put("sha256", "0".repeat(64)));

        Api.Response configured = opal.post("/api/v1/commands", config.encode());
        Api.Response updated = opal.post("/api/v1/commands", update.encode());

        assertThat(configured.status()).as(configured.body()).isEqualTo(403);
        assertThat(configured.json().getString("message")).contains("config command needs the admin role");
        assertThat(updated.status()).as(updated.body()).isEqualTo(403);
        assertThat(admin.post("/api/v1/commands", config.encode()).status()).as("an admin may").isEqualTo(201);
    }
}
