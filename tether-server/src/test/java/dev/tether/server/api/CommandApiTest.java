package dev.tether.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.server.testing.Api;
import dev.tether.server.testing.Api.Response;
import dev.tether.server.testing.JobAgent;
import dev.tether.server.testing.JobAgent.Script;
import dev.tether.server.testing.TestDatabase;
import dev.tether.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The commands and jobs API's shapes, paging, conflicts and metrics, as a CLI sees them. */
class CommandApiTest {

    @TempDir
    static Path dir;
    private static TestServer server;
    private static Api api;
    private static JobAgent worker;
    private static JobAgent sleeper;

    @BeforeAll
    static void startServer() throws Exception {
        server = TestServer.start(dir, TestDatabase.SQLITE, Duration.ofSeconds(30));
        api = server.api();
        worker = JobAgent.connect(server.port(), api.enrol("worker").key(), request ->
                request.getExec().getArgv(0).equals("false") ? Script.fail(1) : Script.succeed("done\n"));
        sleeper = JobAgent.connect(server.port(), api.enrol("sleeper").key(), request -> Script.hang());
    }

    @AfterAll
    static void stopServer() {
        worker.close();
        sleeper.close();
        server.close();
    }

    private static void assertError(Response response, int status, String code) {
        assertThat(response.status()).as(response.body()).isEqualTo(status);
        assertThat(response.json().getString("error")).isEqualTo(code);
        assertThat(response.json().getString("message")).isNotBlank();
    }

    @Test
    void createdCommandIsShownWithWhatWasAskedItsCountsAndItsJobs() {
        JsonObject created = api.createCommand(new JsonObject().put("agents", new JsonArray().add("worker"))
                .put("argv", new JsonArray().add("echo").add("hi")).put("env", new JsonObject().put("A", "1"))
                .put("cwd", "/tmp").put("timeout_s", 30).put("deadline_s", 600).put("max_concurrency", 5)
                .put("max_errors", 0));
        assertThat(created.getString("state")).isEqualTo("running");
        JsonObject createdJob = created.getJsonArray("jobs").getJsonObject(0);
        assertThat(createdJob.fieldNames()).containsExactlyInAnyOrder("id", "agent_id", "agent_name", "state");
        assertThat(createdJob.getString("id")).startsWith("job_");
        assertThat(createdJob.getString("agent_name")).isEqualTo("worker");

        JsonObject command = api.awaitFinished(created.getString("id"));

        assertThat(command.getJsonArray("argv")).containsExactly("echo", "hi");
        assertThat(command.getJsonObject("env").getString("A")).isEqualTo("1");
        assertThat(command.getString("cwd")).isEqualTo("/tmp");
        assertThat(command.getJsonObject("target").getJsonArray("agents")).containsExactly("worker");
        assertThat(command.getLong("timeout_s")).isEqualTo(30);
        assertThat(command.getLong("deadline_s")).isEqualTo(600);
        assertThat(command.getInteger("max_concurrency")).isEqualTo(5);
        assertThat(command.getInteger("max_errors")).isZero();
        assertThat(command.getString("created_by")).isEqualTo("admin");
        assertThat(command.getString("state")).isEqualTo("completed");
        assertThat(command.getLong("job_count")).isEqualTo(1);
        assertThat(command.getJsonObject("counts").fieldNames()).containsExactlyInAnyOrder("queued", "delivered",
                "running", "succeeded", "failed", "cancelled", "timed_out", "expired", "lost");
        JsonObject job = command.getJsonArray("jobs").getJsonObject(0);
        assertThat(job.getString("command_id")).isEqualTo(created.getString("id"));
        assertThat(job.getString("type")).isEqualTo("exec");
        assertThat(job.getString("state")).isEqualTo("succeeded");
        assertThat(job.getInteger("exit_code")).isZero();
        Instant createdAt = Instant.parse(job.getString("created_at"));
        assertThat(Instant.parse(job.getString("delivered_at"))).isAfterOrEqualTo(createdAt);
        assertThat(Instant.parse(job.getString("finished_at")))
                .isAfterOrEqualTo(Instant.parse(job.getString("started_at")));
        assertThat(Instant.parse(job.getString("deadline_at"))).isEqualTo(createdAt.plusSeconds(600));
        assertThat(api.job(job.getString("id"))).isEqualTo(job);
    }

    @Test
    void commandsAreListedNewestFirstInPages() {
        String first = api.exec(List.of("worker"), "echo", "1").getString("id");
        String second = api.exec(List.of("worker"), "echo", "2").getString("id");
        String third = api.exec(List.of("worker"), "echo", "3").getString("id");

        JsonObject page = api.get("/api/v1/commands?limit=2").json();
        JsonArray commands = page.getJsonArray("commands");
        assertThat(commands.getJsonObject(0).getString("id")).isEqualTo(third);
        assertThat(commands.getJsonObject(1).getString("id")).isEqualTo(second);
        assertThat(commands.getJsonObject(0).getLong("job_count")).isEqualTo(1);
        assertThat(commands.getJsonObject(0).getJsonArray("argv")).containsExactly("echo", "3");
        assertThat(commands.getJsonObject(0).containsKey("jobs")).isFalse();
        JsonObject next = api.get("/api/v1/commands?limit=2&before=" + page.getString("next_before")).json();
        assertThat(next.getJsonArray("commands").getJsonObject(0).getString("id")).isEqualTo(first);
        assertError(api.get("/api/v1/commands?limit=0"), 400, "invalid_limit");
        assertError(api.get("/api/v1/commands?limit=100000"), 400, "invalid_limit");
        assertError(api.get("/api/v1/commands?limit=-3"), 400, "invalid_limit");
        assertError(api.get("/api/v1/commands?before=cmd_nothing"), 404, "not_found");
    }

    @Test
    void agentsRecentJobsAreListedNewestFirst() {
        String older = api.exec(List.of("worker"), "echo", "a").getJsonArray("jobs").getJsonObject(0).getString("id");
        String newer = api.exec(List.of("worker"), "echo", "b").getJsonArray("jobs").getJsonObject(0).getString("id");

        JsonArray jobs = api.get("/api/v1/agents/worker/jobs?limit=2").json().getJsonArray("jobs");

        assertThat(jobs.getJsonObject(0).getString("id")).isEqualTo(newer);
        assertThat(jobs.getJsonObject(1).getString("id")).isEqualTo(older);
        assertThat(jobs.getJsonObject(0).getString("agent_name")).isEqualTo("worker");
        assertError(api.get("/api/v1/agents/nobody/jobs"), 404, "not_found");
    }

    @Test
    void cancellingAFinishedJobOrCommandIsAConflict() {
        JsonObject created = api.exec(List.of("worker"), "true");
        String job = created.getJsonArray("jobs").getJsonObject(0).getString("id");
        api.awaitJob(job, "succeeded");
        api.awaitFinished(created.getString("id"));

        assertError(api.post("/api/v1/jobs/" + job + "/cancel", "{}"), 409, "already_final");
        assertError(api.post("/api/v1/commands/" + created.getString("id") + "/cancel", "{}"), 409, "already_final");
        assertError(api.post("/api/v1/jobs/job_nothing/cancel", "{}"), 404, "not_found");
        assertError(api.post("/api/v1/commands/cmd_nothing/cancel", "{}"), 404, "not_found");
    }

    @Test
    void jobReachedThroughAnotherCommandsPathIsNotFound() {
        JsonObject mine = api.exec(List.of("worker"), "echo", "mine");
        JsonObject other = api.exec(List.of("worker"), "echo", "other");
        String job = mine.getJsonArray("jobs").getJsonObject(0).getString("id");
        api.awaitJob(job, "succeeded");

        assertError(api.get("/api/v1/commands/" + other.getString("id") + "/jobs/" + job + "/output"), 404,
                "not_found");
        assertError(api.get("/api/v1/commands/" + other.getString("id") + "/jobs/" + job), 404, "not_found");
        assertThat(api.get("/api/v1/commands/" + mine.getString("id") + "/jobs/" + job + "/output").json()
                .getJsonArray("chunks").getJsonObject(0).getString("data")).isEqualTo("done\n");
        assertError(api.get("/api/v1/jobs/job_nothing"), 404, "not_found");
        assertError(api.get("/api/v1/jobs/job_nothing/output"), 404, "not_found");
        assertError(api.get("/api/v1/commands/cmd_nothing"), 404, "not_found");
        assertError(api.get("/api/v1/commands/cmd_nothing/output"), 404, "not_found");
    }

    @Test
    void commandsAndJobsNeedTheAdminToken() {
        assertError(api.withToken(null).post("/api/v1/commands", "{}"), 401, "unauthorized");
        assertError(api.withToken("tat_wrong").get("/api/v1/jobs/job_x"), 401, "unauthorized");
        assertError(api.withToken(null).get("/api/v1/events"), 401, "unauthorized");
    }

    @Test
    void metricsCountCommandsFinalJobStatesAndRunningJobs() {
        double commands = api.metric("tether_commands_total");
        double failed = api.metric("tether_jobs_total{state=\"failed\"}");
        double succeeded = api.metric("tether_jobs_total{state=\"succeeded\"}");

        String failing = api.exec(List.of("worker"), "false").getJsonArray("jobs").getJsonObject(0).getString("id");
        String passing = api.exec(List.of("worker"), "true").getJsonArray("jobs").getJsonObject(0).getString("id");
        String hanging = api.exec(List.of("sleeper"), "sleep", "60").getJsonArray("jobs").getJsonObject(0)
                .getString("id");
        api.awaitJob(failing, "failed");
        api.awaitJob(passing, "succeeded");
        api.awaitJob(hanging, "running");

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            assertThat(api.metric("tether_commands_total")).isEqualTo(commands + 3);
            assertThat(api.metric("tether_jobs_total{state=\"failed\"}")).isEqualTo(failed + 1);
            assertThat(api.metric("tether_jobs_total{state=\"succeeded\"}")).isEqualTo(succeeded + 1);
            assertThat(api.metric("tether_jobs_running")).isEqualTo(1);
        });
        api.post("/api/v1/jobs/" + hanging + "/cancel", "{}");
        api.awaitJob(hanging, "cancelled");
        await().atMost(Duration.ofSeconds(5)).until(() -> api.metric("tether_jobs_running") == 0);
    }
}
