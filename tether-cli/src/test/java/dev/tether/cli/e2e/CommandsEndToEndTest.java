package dev.tether.cli.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * Commands and jobs end to end: real server and agent processes (or many real
 * agents in this JVM), the CLI as a user runs it, and the REST API as judge.
 */
class CommandsEndToEndTest {

    private static final Set<String> FINAL = Set.of("succeeded", "failed", "cancelled", "timed_out", "expired", "lost");

    @TempDir
    Path dir;

    Fleet fleet;
    ServerApi api;

    @BeforeEach
    void startServer(TestInfo test) throws Exception {
        fleet = new Fleet(dir, "CommandsEndToEndTest/" + test.getTestMethod().orElseThrow().getName(), null, "1s");
        fleet.startServer();
        api = fleet.api();
    }

    @AfterEach
    void stopFleet() throws Exception {
        fleet.close();
    }

    @Test
    void runBySelectorStreamsEveryAgentsOutputAndExitsNonZeroWithTheirExitCodes() throws Exception {
        for (String name : List.of("t1", "t2", "t3")) {
            Fleet.AgentIdentity agent = fleet.createAgent(name, new JsonObject().put("role", "test"));
            fleet.startAgent(agent, fleet.url());
            awaitOnline(agent.id());
        }
        fleet.createAgent("other", new JsonObject().put("role", "prod"));

        Fleet.CliResult run = fleet.cli("run", "--selector", "role=test", "--", "sh", "-c",
                "echo \"output of $TETHER_JOB_ID\"; exit 3");

        assertThat(run.exit()).as(run.output()).isNotZero();
        for (String name : List.of("t1", "t2", "t3")) {
            assertThat(run.output().lines().filter(l -> l.startsWith(name + " | output of ")))
                    .as("the output line of " + name + " in:\n" + run.output()).hasSize(1);
            assertThat(run.output().lines().filter(l -> l.startsWith(name) && l.contains("failed") && l.contains(" 3 ")))
                    .as("summary row of " + name + " in:\n" + run.output()).hasSize(1);
        }
        assertThat(run.output().lines().filter(l -> l.contains(" | output of ")).map(l -> l.split("output of ")[1])
                .distinct().count()).as("one job id each").isEqualTo(3);
        assertThat(run.output()).doesNotContain("other |");
    }

    @Test
    void jobOfAKilledAgentEndsLostAndIsNotRunAgainAfterRestart() throws Exception {
        Fleet.AgentIdentity agent = fleet.createAgent("victim");
        JavaProcess process = fleet.startAgent(agent, fleet.url());
        awaitOnline(agent.id());
        Path marker = dir.resolve("marker");

        String jobId = createCommand(new JsonObject().put("agents", new JsonArray().add("victim"))
                .put("argv", new JsonArray().add("sh").add("-c").add("echo ran >> " + marker + "; sleep 60")))
                .getJsonArray("jobs").getJsonObject(0).getString("id");
        await("job running").atMost(Duration.ofSeconds(10)).until(() -> "running".equals(job(jobId).getString("state")));
        process.kill9();
        fleet.startAgent(agent, fleet.url());

        await("job lost").atMost(Duration.ofSeconds(15)).until(() -> "lost".equals(job(jobId).getString("state")));
        Thread.sleep(2000);
        assertThat(Files.readAllLines(marker)).containsExactly("ran");
        assertThat(job(jobId).getString("state")).isEqualTo("lost");
    }

    @Test
    void killedServerDuringATwoHundredAgentFanOutLeavesEveryJobFinalAndNoneRunTwice() throws Exception {
        Path markers = dir.resolve("markers.txt");
        try (InProcessFleet agents = InProcessFleet.start(fleet, "fleet", 200, new JsonObject().put("fleet", "big"))) {
            await("200 online").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                    .until(() -> onlineCount() >= 200);
            JsonObject command = createCommand(new JsonObject().put("selector", "fleet=big")
                    .put("argv", new JsonArray().add("sh").add("-c").add("echo $TETHER_JOB_ID >> " + markers + "; sleep 1")));
            String commandId = command.getString("id");
            assertThat(command.getJsonArray("jobs")).hasSize(200);

            await("some jobs started").atMost(Duration.ofSeconds(30)).until(() -> Files.exists(markers)
                    && Files.readAllLines(markers).size() >= 20);
            fleet.server().kill9();
            fleet.startServer();

            await("every job final").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).until(() ->
                    jobsOf(commandId).stream().allMatch(j -> FINAL.contains(j.getString("state"))));
            List<String> ran = Files.readAllLines(markers);
            assertThat(ran).doesNotHaveDuplicates();
            assertThat(jobsOf(commandId).stream().filter(j -> "succeeded".equals(j.getString("state"))).count())
                    .isEqualTo(ran.size());
        }
    }

    @Test
    void jobForAnOfflineAgentRunsWhenItReturnsUnlessItsDeadlinePassed() throws Exception {
        Fleet.AgentIdentity agent = fleet.createAgent("away");
        String waiting = createCommand(new JsonObject().put("agents", new JsonArray().add("away"))
                .put("argv", new JsonArray().add("echo").add("welcome back"))).getJsonArray("jobs").getJsonObject(0).getString("id");
        String expiring = createCommand(new JsonObject().put("agents", new JsonArray().add("away")).put("deadline_s", 2)
                .put("argv", new JsonArray().add("echo").add("too late"))).getJsonArray("jobs").getJsonObject(0).getString("id");
        Thread.sleep(3000);

        fleet.startAgent(agent, fleet.url());

        await("waiting job ran").atMost(Duration.ofSeconds(15)).until(() -> "succeeded".equals(job(waiting).getString("state")));
        await("expiring job expired").atMost(Duration.ofSeconds(15)).until(() -> "expired".equals(job(expiring).getString("state")));
        assertThat(api.ok("GET", "/api/v1/jobs/" + waiting + "/output", null).encode()).contains("welcome back");
        assertThat(api.ok("GET", "/api/v1/jobs/" + expiring + "/output", null).encode()).doesNotContain("too late");
    }

    @Test
    void maxConcurrencyAndMaxErrorsBoundTheFanOut() throws Exception {
        try (InProcessFleet agents = InProcessFleet.start(fleet, "pool", 10, new JsonObject().put("pool", "a"))) {
            await("10 online").atMost(Duration.ofSeconds(30)).until(() -> onlineCount() >= 10);

            String bounded = createCommand(new JsonObject().put("selector", "pool=a").put("max_concurrency", 2)
                    .put("argv", new JsonArray().add("sleep").add("0.3"))).getString("id");
            await("bounded done").atMost(Duration.ofSeconds(60)).until(() -> allFinal(bounded));
            assertThat(maxOverlap(jobsOf(bounded))).isBetween(1, 2);

            String failing = createCommand(new JsonObject().put("selector", "pool=a").put("max_concurrency", 1)
                    .put("max_errors", 1).put("argv", new JsonArray().add("false"))).getString("id");
            await("failing done").atMost(Duration.ofSeconds(60)).until(() -> allFinal(failing));
            List<JsonObject> jobs = jobsOf(failing);
            assertThat(jobs.stream().filter(j -> "failed".equals(j.getString("state"))).count()).isEqualTo(2);
            assertThat(jobs.stream().filter(j -> j.getString("started_at") != null).count()).isEqualTo(2);
        }
    }

    @Test
    void cancelAndTimeoutKillTheWholeProcessGroup() throws Exception {
        Fleet.AgentIdentity agent = fleet.createAgent("killer");
        fleet.startAgent(agent, fleet.url());
        awaitOnline(agent.id());

        for (String mode : List.of("cancel", "timeout")) {
            Path pidFile = dir.resolve(mode + ".pid");
            JsonObject request = new JsonObject().put("agents", new JsonArray().add("killer"))
                    .put("argv", new JsonArray().add("sh").add("-c").add("sleep 300 & echo $! > " + pidFile + "; wait"));
            if (mode.equals("timeout")) {
                request.put("timeout_s", 2);
            }
            String jobId = createCommand(request).getJsonArray("jobs").getJsonObject(0).getString("id");
            await("grandchild started").atMost(Duration.ofSeconds(10)).until(() -> Files.exists(pidFile)
                    && !Files.readString(pidFile).isBlank());
            long grandchild = Long.parseLong(Files.readString(pidFile).strip());
            if (mode.equals("cancel")) {
                api.ok("POST", "/api/v1/jobs/" + jobId + "/cancel", "{}");
            }

            String expected = mode.equals("cancel") ? "cancelled" : "timed_out";
            await(mode + " final").atMost(Duration.ofSeconds(15)).until(() -> expected.equals(job(jobId).getString("state")));
            await("grandchild gone").atMost(Duration.ofSeconds(10)).until(() ->
                    ProcessHandle.of(grandchild).map(p -> !p.isAlive()).orElse(true));
        }
    }

    @Test
    void selfUpdateWithAWrongChecksumIsRefusedAndTheAgentKeepsRunning() throws Exception {
        Fleet.AgentIdentity agent = fleet.createAgent("updater");
        JavaProcess process = fleet.startAgent(agent, fleet.url());
        awaitOnline(agent.id());
        var server = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        try {
            server.createContext("/agent.jar", exchange -> {
                exchange.sendResponseHeaders(200, 3);
                exchange.getResponseBody().write(new byte[] {1, 2, 3});
                exchange.close();
            });
            server.start();
            String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/agent.jar";

            String jobId = createCommand(new JsonObject().put("agents", new JsonArray().add("updater")).put("type", "self_update")
                    .put("params", new JsonObject().put("url", url).put("sha256", "00".repeat(32))))
                    .getJsonArray("jobs").getJsonObject(0).getString("id");

            await("update refused").atMost(Duration.ofSeconds(15)).until(() -> "failed".equals(job(jobId).getString("state")));
            assertThat(job(jobId).getString("error")).contains("sha256");
            Thread.sleep(1500);
            assertThat(process.alive()).isTrue();
            assertThat(api.status(agent.id())).isEqualTo("online");
        } finally {
            server.stop(0);
        }
    }

    // ------------------------------------------------------------ helpers

    private JsonObject createCommand(JsonObject request) throws Exception {
        if (!request.containsKey("type")) {
            request.put("type", "exec");
        }
        ServerApi.Response response = api.call("POST", "/api/v1/commands", request.encode());
        assertThat(response.status()).as(response.body()).isEqualTo(201);
        return response.json();
    }

    private JsonObject job(String id) throws Exception {
        return api.ok("GET", "/api/v1/jobs/" + id, null);
    }

    private List<JsonObject> jobsOf(String commandId) throws Exception {
        JsonArray jobs = api.ok("GET", "/api/v1/commands/" + commandId, null).getJsonArray("jobs");
        List<JsonObject> result = new ArrayList<>();
        jobs.forEach(j -> result.add((JsonObject) j));
        return result;
    }

    private boolean allFinal(String commandId) throws Exception {
        return jobsOf(commandId).stream().allMatch(j -> FINAL.contains(j.getString("state")));
    }

    private long onlineCount() throws Exception {
        return api.ok("GET", "/api/v1/agents?limit=1000", null).getJsonArray("agents").stream()
                .filter(a -> "online".equals(((JsonObject) a).getString("status"))).count();
    }

    private void awaitOnline(String agentId) {
        await("online").atMost(Duration.ofSeconds(10)).until(() -> "online".equals(api.status(agentId)));
    }

    /** The most jobs running at the same instant, from their start and finish times. */
    private static int maxOverlap(List<JsonObject> jobs) {
        List<long[]> spans = new ArrayList<>();
        for (JsonObject job : jobs) {
            spans.add(new long[] {Instant.parse(job.getString("started_at")).toEpochMilli(),
                    Instant.parse(job.getString("finished_at")).toEpochMilli()});
        }
        int max = 0;
        for (long[] span : spans) {
            int overlapping = 0;
            for (long[] other : spans) {
                if (other[0] <= span[0] && span[0] < other[1]) {
                    overlapping++;
                }
            }
            max = Math.max(max, overlapping);
        }
        return max;
    }
}
