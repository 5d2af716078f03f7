package dev.tether.cli.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/** A fleet joining with one enrollment token: real server and agent processes. */
class EnrollmentEndToEndTest {

    private static final int FLEET = 20;

    @TempDir
    Path dir;
    Fleet fleet;
    ServerApi api;

    @BeforeEach
    void startServer(TestInfo test) throws Exception {
        fleet = new Fleet(dir, "EnrollmentEndToEndTest/" + test.getTestMethod().orElseThrow().getName(), null, "1s");
        fleet.startServer();
        api = fleet.api();
    }

    @AfterEach
    void stopFleet() throws Exception {
        fleet.close();
    }

    private Path tokenFile(JsonObject request) throws Exception {
        JsonObject token = api.ok("POST", "/api/v1/enrollment-tokens", request.encode());
        Path file = dir.resolve(token.getString("id") + ".token");
        Files.writeString(file, token.getString("token"));
        return file;
    }

    private JavaProcess join(Path token, String name) throws Exception {
        return fleet.startAgentWith(name, List.of("--server", fleet.url().toString(), "--insecure",
                "--enroll-token-file", token.toString(), "--name", name, "--state-dir", dir.resolve(name).toString()));
    }

    private List<JsonObject> agents(String prefix) throws Exception {
        JsonArray all = api.ok("GET", "/api/v1/agents", null).getJsonArray("agents");
        List<JsonObject> matching = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            if (all.getJsonObject(i).getString("name").startsWith(prefix)) {
                matching.add(all.getJsonObject(i));
            }
        }
        return matching;
    }

    private long online(String prefix) throws Exception {
        return agents(prefix).stream().filter(a -> "online".equals(a.getString("status"))).count();
    }

    @Test
    void twentyAgentsJoinWithOneTokenTheTwentyFirstIsRefusedAndAllReconnectWithTheirOwnKeys() throws Exception {
        Path token = tokenFile(new JsonObject().put("max_uses", FLEET).put("labels", new JsonObject()
                .put("fleet", "e2e")));
        List<JavaProcess> processes = new ArrayList<>();
        for (int i = 0; i <= FLEET; i++) {
            processes.add(join(token, "node-" + i));
        }

        await("20 agents online").atMost(Duration.ofSeconds(120)).until(() -> online("node-") == FLEET);
        await("the 21st gives up").atMost(Duration.ofSeconds(60))
                .until(() -> processes.stream().filter(p -> !p.alive()).count() == 1);
        JavaProcess refused = processes.stream().filter(p -> !p.alive()).findFirst().orElseThrow();
        assertThat(refused.output()).contains("has enrolled its 20 agent(s) already");
        assertThat(refused.waitForExit(Duration.ofSeconds(5))).isNotZero();
        assertThat(agents("node-")).hasSize(FLEET).allSatisfy(agent ->
                assertThat(agent.getJsonObject("labels").getString("fleet")).isEqualTo("e2e"));
        Set<String> keys = new HashSet<>();
        try (Stream<Path> states = Files.list(dir).filter(p -> Files.exists(p.resolve("agent.key")))) {
            for (Path state : states.toList()) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(state.resolve("agent.key"))))
                        .isEqualTo("rw-------");
                keys.add(Files.readString(state.resolve("agent.key")).strip());
            }
        }
        assertThat(keys).hasSize(FLEET);

        fleet.server().kill9();
        fleet.startServer();
        await("20 agents back").atMost(Duration.ofSeconds(120)).until(() -> online("node-") == FLEET);
        assertThat(agents("node-")).hasSize(FLEET);

        String password = "e2e password that must not leak";
        Fleet.CliResult user = fleet.cliWithInput(password + "\n", "users", "create", "gina", "--role", "operator",
                "--password-stdin");
        assertThat(user.exit()).as(user.output()).isZero();
        JsonObject login = api.ok("POST", "/api/v1/login", new JsonObject().put("user", "gina")
                .put("password", password).encode());
        assertThat(api.call("POST", "/api/v1/login", new JsonObject().put("user", "gina")
                .put("password", password + "typo").encode()).status()).isEqualTo(401);
        String secrets = String.join("|", keys) + "|" + Files.readString(token).strip() + "|" + Fleet.ADMIN_TOKEN
                + "|" + password + "|" + login.getString("token");
        try (Stream<Path> logs = Files.walk(fleet.logDir())) {
            for (Path log : logs.filter(Files::isRegularFile).toList()) {
                String text = Files.readString(log);
                for (String secret : secrets.split("\\|")) {
                    assertThat(text).as("%s holds a secret", log).doesNotContain(secret);
                }
            }
        }
    }

    @Test
    void anAgentNeedingApprovalStaysPendingWithoutCommandsOrShellsUntilApproved() throws Exception {
        Path token = tokenFile(new JsonObject().put("require_approval", true));
        JavaProcess process = join(token, "gated");
        await("enrolled").atMost(Duration.ofSeconds(60)).until(() -> !agents("gated").isEmpty());
        await().atMost(Duration.ofSeconds(10)).until(() -> process.output().contains("waiting for an operator"));

        assertThat(agents("gated").get(0).getString("status")).isEqualTo("pending");
        ServerApi.Response command = api.call("POST", "/api/v1/commands", new JsonObject()
                .put("agents", new JsonArray().add("gated")).put("argv", new JsonArray().add("true")).encode());
        assertThat(command.status()).isEqualTo(422);
        assertThat(command.body()).contains("approve it first");
        ServerApi.Response shell = api.call("GET", "/api/v1/agents/gated/shell", null);
        assertThat(shell.status()).isEqualTo(409);

        Fleet.CliResult approved = fleet.cli("agents", "approve", "gated");
        assertThat(approved.exit()).as(approved.output()).isZero();
        await("online once approved").atMost(Duration.ofSeconds(15)).until(() -> online("gated") == 1);
    }
}
