package dev.tether.server.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.tether.protocol.v1.Ack;
import dev.tether.protocol.v1.CommandRequest;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.Envelope.PayloadCase;
import dev.tether.protocol.v1.JobEvent;
import dev.tether.protocol.v1.JobFinished;
import dev.tether.protocol.v1.JobOutput;
import dev.tether.protocol.v1.JobStarted;
import dev.tether.server.ServerConfig;
import dev.tether.server.testing.Api;
import dev.tether.server.testing.JobAgent;
import dev.tether.server.testing.JobAgent.Script;
import dev.tether.server.testing.TestAgent;
import dev.tether.server.testing.TestDatabase;
import dev.tether.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Commands and jobs over real sockets and a real database: fan-out, limits,
 * deadlines, cancel in every state, acknowledgements and restarts.
 */
abstract class DispatchTest {

    @TempDir
    Path dir;
    ServerConfig config;
    TestServer server;
    Api api;
    final List<AutoCloseable> connections = new ArrayList<>();

    abstract TestDatabase database();

    @BeforeEach
    void startServer() throws Exception {
        config = TestServer.config(dir, database(), Duration.ofSeconds(30));
        server = TestServer.start(config);
        api = server.api();
    }

    @AfterEach
    void stopServer() throws Exception {
        for (AutoCloseable connection : connections) {
            connection.close();
        }
        server.close();
    }

    JobAgent agent(String name, JsonObject labels, Function<CommandRequest, Script> behaviour) {
        return connect(api.enrol(name, labels), behaviour);
    }

    JobAgent connect(Api.Enrolled enrolled, Function<CommandRequest, Script> behaviour) {
        JobAgent agent = JobAgent.connect(server.port(), enrolled.key(), behaviour);
        connections.add(agent);
        return agent;
    }

    static JsonObject labels(String key, String value) {
        return new JsonObject().put(key, value);
    }

    static String jobOf(JsonObject created, int index) {
        return created.getJsonArray("jobs").getJsonObject(index).getString("id");
    }

    @Test
    void selectorTargetsEveryMatchingAgentAndEachJobEndsWithItsOwnOutputAndExitCode() {
        List<JobAgent> web = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            Script script = i == 3 ? Script.fail(3) : Script.succeed("hello from web-" + i + "\n");
            web.add(agent("web-" + i, labels("role", "web"), request -> script));
        }
        JobAgent db = agent("db-1", labels("role", "db"), request -> Script.succeed("wrong agent"));

        JsonObject created = api.createCommand(new JsonObject().put("selector", "role=web")
                .put("argv", new JsonArray().add("echo").add("hi")));

        assertThat(created.getString("id")).startsWith("cmd_");
        assertThat(created.getJsonArray("jobs")).hasSize(3);
        JsonObject command = api.awaitFinished(created.getString("id"));
        assertThat(command.getString("state")).isEqualTo("completed");
        assertThat(command.getJsonObject("counts").getLong("succeeded")).isEqualTo(2);
        assertThat(command.getJsonObject("counts").getLong("failed")).isEqualTo(1);
        JsonObject failed = find(command.getJsonArray("jobs"), "web-3");
        assertThat(failed.getString("state")).isEqualTo("failed");
        assertThat(failed.getInteger("exit_code")).isEqualTo(3);
        JsonObject succeeded = find(command.getJsonArray("jobs"), "web-1");
        assertThat(succeeded.getInteger("exit_code")).isZero();
        assertThat(api.get("/api/v1/jobs/" + succeeded.getString("id") + "/output").json()
                .getJsonArray("chunks").getJsonObject(0).getString("data")).isEqualTo("hello from web-1\n");
        CommandRequest request = web.get(0).commands().get(0);
        assertThat(request.getCommandId()).isEqualTo(created.getString("id"));
        assertThat(request.getExec().getArgvList()).containsExactly("echo", "hi");
        assertThat(db.commands()).isEmpty();
    }

    @Test
    void maxConcurrencyTwoOverTenAgentsNeverHasMoreThanTwoJobsSentAndUnfinished() {
        List<JobAgent> pool = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            pool.add(agent("pool-" + i, labels("pool", "a"),
                    request -> Script.succeed("").taking(Duration.ofMillis(150))));
        }

        JsonObject created = api.createCommand(new JsonObject().put("selector", "pool=a").put("max_concurrency", 2)
                .put("argv", new JsonArray().add("sleep").add("0.15")));

        JsonObject command = api.awaitFinished(created.getString("id"));
        assertThat(command.getJsonObject("counts").getLong("succeeded")).isEqualTo(10);
        List<long[]> agentSide = new ArrayList<>();
        for (JobAgent agent : pool) {
            String job = agent.commands().get(0).getJobId();
            agentSide.add(new long[] {agent.receivedAt(job), agent.finishedAt(job)});
        }
        assertThat(maxOverlap(agentSide)).isEqualTo(2);
        List<long[]> serverSide = new ArrayList<>();
        command.getJsonArray("jobs").stream().map(JsonObject.class::cast).forEach(job -> serverSide.add(
                new long[] {millis(job.getString("started_at")), millis(job.getString("finished_at"))}));
        assertThat(maxOverlap(serverSide)).isBetween(1, 2);
    }

    @Test
    void maxErrorsOneStopsStartingJobsAfterTheSecondFailure() {
        List<JobAgent> pool = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            pool.add(agent("failing-" + i, labels("pool", "b"), request -> Script.fail(1)));
        }

        JsonObject created = api.createCommand(new JsonObject().put("selector", "pool=b").put("max_concurrency", 1)
                .put("max_errors", 1).put("argv", new JsonArray().add("false")));

        JsonObject command = api.awaitFinished(created.getString("id"));
        assertThat(command.getString("state")).isEqualTo("completed");
        assertThat(command.getJsonObject("counts").getLong("failed")).isEqualTo(2);
        assertThat(command.getJsonObject("counts").getLong("cancelled")).isEqualTo(3);
        command.getJsonArray("jobs").stream().map(JsonObject.class::cast)
                .filter(job -> job.getString("state").equals("cancelled"))
                .forEach(job -> assertThat(job.getString("error")).isEqualTo("max_errors exceeded"));
        assertThat(pool.stream().mapToInt(agent -> agent.commands().size()).sum()).isEqualTo(2);
    }

    @Test
    void anAgentWithTheMostUnfinishedJobsAllowedRefusesOneMoreAndStoresNothing() {
        api.enrol("backlog");
        for (int i = 0; i < Dispatcher.MAX_PENDING_JOBS_PER_AGENT; i++) {
            api.exec(List.of("backlog"), "true");
        }
        double created = api.metric("tether_commands_total");

        Api.Response refused = api.post("/api/v1/commands", new JsonObject().put("agents", new JsonArray()
                .add("backlog")).put("argv", new JsonArray().add("true")).encode());

        assertThat(refused.status()).isEqualTo(429);
        assertThat(refused.json().getString("error")).isEqualTo("too_many_pending");
        assertThat(refused.json().getString("message")).contains("backlog").contains("1000 unfinished jobs");
        assertThat(api.metric("tether_commands_total")).isEqualTo(created);
        assertThat(api.get("/api/v1/agents/backlog/jobs").json().getJsonArray("jobs").getJsonObject(0)
                .getString("state")).isEqualTo("queued");
    }

    @Test
    void offlineAgentGetsItsJobWhenItConnects() {
        Api.Enrolled later = api.enrol("later");
        String job = jobOf(api.exec(List.of("later"), "echo", "back"), 0);
        assertThat(api.job(job).getString("state")).isEqualTo("queued");

        connect(later, request -> Script.succeed("back\n"));

        JsonObject done = api.awaitJob(job, "succeeded");
        assertThat(done.getString("delivered_at")).isNotNull();
        assertThat(api.get("/api/v1/jobs/" + job + "/output").body()).contains("back\\n");
    }

    @Test
    void jobPastItsDeadlineWhileTheAgentIsOfflineExpiresAndTheAgentsLateExpiredReportIsIgnored() {
        Api.Enrolled away = api.enrol("away");
        String job = jobOf(api.createCommand(new JsonObject().put("agents", new JsonArray().add("away"))
                .put("deadline_s", 2).put("argv", new JsonArray().add("echo").add("too late"))), 0);

        JsonObject expired = api.awaitJob(job, "expired");
        assertThat(expired.getString("error")).contains("deadline");
        JobAgent agent = connect(away, request -> Script.succeed("too late\n"));

        await().atMost(Duration.ofSeconds(10))
                .until(() -> api.metric("tether_job_events_ignored_total{reason=\"final\"}") >= 1);
        assertThat(agent.commands()).hasSize(1);
        JsonObject after = api.job(job);
        assertThat(after.getString("state")).isEqualTo("expired");
        assertThat(after.getString("started_at")).isNull();
        assertThat(after.getLong("output_bytes")).isZero();
    }

    @Test
    void agentsStartedReportWinsOverTheServersExpiry() {
        Api.Enrolled agent = api.enrol("slow-clock");
        String job = jobOf(api.createCommand(new JsonObject().put("agents", new JsonArray().add("slow-clock"))
                .put("deadline_s", 1).put("argv", new JsonArray().add("true"))), 0);
        api.awaitJob(job, "expired");

        TestAgent connection = rawAgent(agent);
        Envelope request = connection.await(PayloadCase.COMMAND);
        connection.send(Envelope.newBuilder().setSeq(1).setAck(request.getSeq()).setJobEvent(JobEvent.newBuilder()
                .setJobId(job).setStarted(JobStarted.newBuilder().setPid(1))).build());
        connection.send(Envelope.newBuilder().setSeq(2).setJobEvent(JobEvent.newBuilder().setJobId(job)
                .setFinished(JobFinished.newBuilder().setOutcome(JobFinished.Outcome.SUCCEEDED))).build());

        JsonObject done = api.awaitJob(job, "succeeded");
        assertThat(done.getString("started_at")).isNotNull();
        assertThat(done.getString("error")).isNull();
    }

    @Test
    void agentReportsLostAndALaterReportForTheFinalJobIsIgnoredAndCounted() {
        Api.Enrolled enrolled = api.enrol("restarted");
        TestAgent connection = rawAgent(enrolled);
        String job = jobOf(api.exec(List.of("restarted"), "sleep", "60"), 0);
        Envelope request = connection.await(PayloadCase.COMMAND);
        connection.send(Envelope.newBuilder().setSeq(1).setAck(request.getSeq()).setJobEvent(JobEvent.newBuilder()
                .setJobId(job).setStarted(JobStarted.newBuilder().setPid(1))).build());
        connection.send(Envelope.newBuilder().setSeq(2).setJobEvent(JobEvent.newBuilder().setJobId(job)
                .setFinished(JobFinished.newBuilder().setOutcome(JobFinished.Outcome.LOST)
                        .setError("agent restarted while the job was running"))).build());
        JsonObject lost = api.awaitJob(job, "lost");

        connection.send(Envelope.newBuilder().setSeq(3).setJobEvent(JobEvent.newBuilder().setJobId(job)
                .setOutput(JobOutput.newBuilder().setData(ByteString.copyFromUtf8("ghost")))).build());
        connection.send(Envelope.newBuilder().setSeq(4).setJobEvent(JobEvent.newBuilder().setJobId(job)
                .setFinished(JobFinished.newBuilder().setOutcome(JobFinished.Outcome.SUCCEEDED))).build());

        await().atMost(Duration.ofSeconds(5)).until(() -> connection.highestAck() == 4);
        assertThat(lost.getString("error")).isEqualTo("agent restarted while the job was running");
        assertThat(api.job(job)).isEqualTo(lost);
        assertThat(api.metric("tether_job_events_ignored_total{reason=\"final\"}")).isEqualTo(2);
        assertThat(api.metric("tether_jobs_total{state=\"lost\"}")).isEqualTo(1);
    }

    @Test
    void jobBecomesDeliveredWhenTheAgentsAckCoversItsRequest() {
        Api.Enrolled enrolled = api.enrol("acker");
        TestAgent connection = rawAgent(enrolled);
        String job = jobOf(api.exec(List.of("acker"), "true"), 0);
        Envelope request = connection.await(PayloadCase.COMMAND);
        assertThat(request.getCommand().getJobId()).isEqualTo(job);
        assertThat(api.job(job).getString("state")).isEqualTo("queued");

        connection.send(Envelope.newBuilder().setAck(request.getSeq()).setAckOnly(Ack.getDefaultInstance()).build());

        JsonObject delivered = api.awaitJob(job, "delivered");
        assertThat(delivered.getString("delivered_at")).isNotNull();
        assertThat(delivered.getString("started_at")).isNull();
    }

    @Test
    void heldBackJobIsCancelledAtOnceAndARunningOneThroughTheAgent() {
        JobAgent first = agent("hold-a", labels("pool", "hold"), request -> Script.hang());
        JobAgent second = agent("hold-b", labels("pool", "hold"), request -> Script.hang());
        JsonObject created = api.createCommand(new JsonObject().put("max_concurrency", 1)
                .put("agents", new JsonArray().add("hold-a").add("hold-b"))
                .put("argv", new JsonArray().add("sleep").add("3600")));
        String running = jobOf(created, 0);
        String held = jobOf(created, 1);
        api.awaitJob(running, "running");

        JsonObject heldCancel = api.post("/api/v1/jobs/" + held + "/cancel", "{}").json();
        assertThat(heldCancel.getString("state")).isEqualTo("cancelled");
        assertThat(heldCancel.getString("error")).isEqualTo("cancelled before it was sent");
        JsonObject runningCancel = api.post("/api/v1/jobs/" + running + "/cancel", "{}").json();
        // The scripted agent may report the cancellation before the response is built.
        assertThat(runningCancel.getString("state")).isIn("running", "cancelled");
        assertThat(runningCancel.getBoolean("cancel_requested")).isTrue();

        api.awaitJob(running, "cancelled");
        assertThat(first.received()).extracting(Envelope::getPayloadCase)
                .containsExactly(PayloadCase.COMMAND, PayloadCase.CANCEL_JOB);
        assertThat(second.received()).isEmpty();
        JsonObject command = api.awaitFinished(created.getString("id"));
        assertThat(command.getJsonObject("counts").getLong("cancelled")).isEqualTo(2);
        assertThat(api.post("/api/v1/jobs/" + running + "/cancel", "{}").status()).isEqualTo(409);
    }

    @Test
    void cancellingAJobTheAgentHasNotAcknowledgedRewritesItsOutboxRowToCancelJob() {
        Api.Enrolled enrolled = api.enrol("unaware");
        String job = jobOf(api.exec(List.of("unaware"), "rm", "-rf", "/tmp/x"), 0);

        JsonObject cancelled = api.post("/api/v1/jobs/" + job + "/cancel", "{}").json();

        assertThat(cancelled.getString("state")).isEqualTo("cancelled");
        assertThat(cancelled.getString("error")).isEqualTo("cancelled before the agent acknowledged it");
        TestAgent connection = rawAgent(enrolled);
        Envelope rewritten = connection.await(PayloadCase.CANCEL_JOB);
        assertThat(rewritten.getSeq()).isEqualTo(1);
        assertThat(rewritten.getCancelJob().getJobId()).isEqualTo(job);
        Envelope second = connection.await(PayloadCase.CANCEL_JOB);
        assertThat(second.getSeq()).isEqualTo(2);
        assertThat(connection.drain()).noneMatch(Envelope::hasCommand);
        // The agent, not knowing the job, reports it cancelled: nothing changes.
        connection.send(Envelope.newBuilder().setSeq(1).setAck(2).setJobEvent(JobEvent.newBuilder().setJobId(job)
                .setFinished(JobFinished.newBuilder().setOutcome(JobFinished.Outcome.CANCELLED))).build());
        await().atMost(Duration.ofSeconds(5)).until(() -> connection.highestAck() == 1);
        assertThat(api.job(job).getString("state")).isEqualTo("cancelled");
    }

    @Test
    void cancellingACommandCancelsEveryUnfinishedJobAndLeavesItCancelled() {
        for (String name : List.of("c-1", "c-2", "c-3")) {
            agent(name, labels("pool", "c"), request -> Script.hang());
        }
        JsonObject created = api.createCommand(new JsonObject().put("selector", "pool=c").put("max_concurrency", 2)
                .put("argv", new JsonArray().add("sleep").add("3600")));
        api.awaitJob(jobOf(created, 0), "running");
        api.awaitJob(jobOf(created, 1), "running");

        JsonObject cancelled = api.post("/api/v1/commands/" + created.getString("id") + "/cancel", "{}").json();

        assertThat(cancelled.getString("state")).isEqualTo("cancelled");
        assertThat(api.job(jobOf(created, 2)).getString("state")).isEqualTo("cancelled");
        JsonObject command = api.awaitFinished(created.getString("id"));
        assertThat(command.getString("state")).isEqualTo("cancelled");
        assertThat(command.getJsonObject("counts").getLong("cancelled")).isEqualTo(3);
        assertThat(api.post("/api/v1/commands/" + created.getString("id") + "/cancel", "{}").status()).isEqualTo(409);
    }

    @Test
    void configCommandStoresTheNextConfigVersionAndSendsItWithTheJob() {
        JobAgent agent = agent("configured", new JsonObject(), request -> Script.succeed(""));
        api.put("/api/v1/agents/configured/config", "{\"old\": true}");

        String job = jobOf(api.createCommand(new JsonObject().put("type", "config").put("agents",
                new JsonArray().add("configured")).put("params", new JsonObject().put("config",
                new JsonObject().put("interval", 5)))), 0);

        api.awaitJob(job, "succeeded");
        JsonObject params = new JsonObject(agent.commands().get(0).getParamsJson().toString(StandardCharsets.UTF_8));
        assertThat(params.getLong("version")).isEqualTo(2);
        assertThat(params.getJsonObject("config").getInteger("interval")).isEqualTo(5);
        JsonObject config = api.get("/api/v1/agents/configured/config").json();
        assertThat(config.getLong("version")).isEqualTo(2);
        assertThat(config.getJsonObject("config").getInteger("interval")).isEqualTo(5);
    }

    @Test
    void restartedServerKeepsCommandsAndJobsAndDeliversWhatIsPending() throws Exception {
        JobAgent online = agent("steady", new JsonObject(), request -> Script.succeed("ok\n"));
        Api.Enrolled offline = api.enrol("returning");
        JsonObject created = api.exec(List.of("steady", "returning"), "echo", "ok");
        String commandId = created.getString("id");
        api.awaitJob(jobOf(created, 0), "succeeded");

        server.close();
        online.close();
        server = TestServer.start(config);
        api = server.api();

        JsonObject command = api.command(commandId);
        assertThat(command.getString("state")).isEqualTo("running");
        assertThat(command.getJsonArray("jobs").getJsonObject(0).getString("state")).isEqualTo("succeeded");
        assertThat(command.getJsonArray("jobs").getJsonObject(1).getString("state")).isEqualTo("queued");
        connect(offline, request -> Script.succeed("late\n"));
        assertThat(api.awaitFinished(commandId).getString("state")).isEqualTo("completed");
        assertThat(api.get("/api/v1/commands").json().getJsonArray("commands").getJsonObject(0).getString("id"))
                .isEqualTo(commandId);
    }

    @Test
    void commandsBackToBackReachAnAgentThatReconnectsBetweenThemEachOnceInSeqOrder() {
        Api.Enrolled enrolled = api.enrol("reconnecting");
        TestAgent first = rawAgent(enrolled);
        List<String> jobs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            jobs.add(jobOf(api.exec(List.of("reconnecting"), "true"), 0));
        }
        Envelope applied = first.await(PayloadCase.COMMAND);
        // Seqs 2 and 3 may be on the wire or in the first session's tail: only seq 1 was applied.
        first.send(Envelope.newBuilder().setAck(applied.getSeq()).setAckOnly(Ack.getDefaultInstance()).build());
        first.close();
        for (int i = 0; i < 2; i++) {
            jobs.add(jobOf(api.exec(List.of("reconnecting"), "true"), 0));
        }

        TestAgent second = TestAgent.connect(server.port(), enrolled.key());
        connections.add(second);
        second.hello(TestAgent.defaultHello().setAppliedServerSeq(applied.getSeq()));
        List<Envelope> received = new ArrayList<>(List.of(applied));
        for (int i = 0; i < 4; i++) {
            received.add(second.await(PayloadCase.COMMAND));
        }
        for (int i = 0; i < 2; i++) {
            jobs.add(jobOf(api.exec(List.of("reconnecting"), "true"), 0));
            received.add(second.await(PayloadCase.COMMAND));
        }

        assertThat(received).extracting(envelope -> envelope.getCommand().getJobId())
                .containsExactlyElementsOf(jobs);
        assertThat(received).extracting(Envelope::getSeq).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L);
        assertThat(second.next(Duration.ofMillis(300))).as("nothing sent twice").isNull();
    }

    @Test
    void cancellingRightAfterTheFanOutSendsEachSeqOnceTheRequestOrItsRewriteThenTheSecondCancel() {
        Api.Enrolled enrolled = api.enrol("cancelled-early");
        TestAgent connection = rawAgent(enrolled);
        for (int round = 0; round < 5; round++) {
            String job = jobOf(api.exec(List.of("cancelled-early"), "true"), 0);
            assertThat(api.post("/api/v1/jobs/" + job + "/cancel", "{}").status()).isEqualTo(200);

            List<Envelope> forJob = new ArrayList<>();
            while (forJob.size() < 2) {
                Envelope next = connection.next(Duration.ofSeconds(10));
                assertThat(next).as("the request (or the CancelJob it became) and the second CancelJob").isNotNull();
                if (next.getCorrelationId().equals(job)) {
                    forJob.add(next);
                }
            }
            assertThat(forJob.get(1).getSeq()).isEqualTo(forJob.get(0).getSeq() + 1);
            assertThat(forJob.get(1).hasCancelJob()).isTrue();
            connection.send(Envelope.newBuilder().setAck(forJob.get(1).getSeq())
                    .setAckOnly(Ack.getDefaultInstance()).build());
            assertThat(connection.next(Duration.ofMillis(200))).as("nothing more for job " + job).isNull();
        }
    }

    private TestAgent rawAgent(Api.Enrolled enrolled) {
        TestAgent connection = TestAgent.connect(server.port(), enrolled.key());
        connection.hello();
        connections.add(connection);
        return connection;
    }

    private static JsonObject find(JsonArray jobs, String agentName) {
        return jobs.stream().map(JsonObject.class::cast).filter(job -> job.getString("agent_name").equals(agentName))
                .findFirst().orElseThrow();
    }

    private static long millis(String time) {
        return Instant.parse(time).toEpochMilli();
    }

    /** The most intervals [start, end) covering one instant. */
    static int maxOverlap(List<long[]> spans) {
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
