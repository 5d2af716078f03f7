package dev.tether.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import dev.tether.protocol.v1.ConfigApplied;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.Envelope.PayloadCase;
import dev.tether.protocol.v1.JobEvent;
import dev.tether.protocol.v1.StatusReport;
import dev.tether.protocol.v1.Welcome;
import dev.tether.server.testing.Api;
import dev.tether.server.testing.TestAgent;
import dev.tether.server.testing.TestDatabase;
import dev.tether.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Exactly-once delivery in both directions, over each database. */
abstract class ReliableDeliveryTest {

    @TempDir
    Path dir;
    TestServer server;

    abstract TestDatabase database();

    @BeforeEach
    void startServer() throws Exception {
        server = TestServer.start(dir, database(), Duration.ofSeconds(30));
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Test
    void thousandEventsWithReplaysAreStoredExactlyOnceInOrder() {
        Api.Enrolled agent = server.api().enrol("busy");
        TestAgent first = TestAgent.connect(server.port(), agent.key());
        first.hello();
        for (long seq = 1; seq <= 600; seq++) {
            first.event(seq, "test.count");
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> first.highestAck() >= 500);
        first.close();

        // The agent saw acks only up to 400 (say): it replays 401.. after reconnecting.
        TestAgent second = TestAgent.connect(server.port(), agent.key());
        Welcome welcome = second.hello(TestAgent.defaultHello().setResumeAgentSeq(401));
        assertThat(welcome.getAppliedAgentSeq()).isBetween(500L, 600L);
        for (long seq = 401; seq <= 1000; seq++) {
            second.event(seq, "test.count");
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> second.highestAck() == 1000);

        List<JsonObject> events = allEvents("busy");
        assertThat(events).hasSize(1000);
        for (int i = 0; i < 1000; i++) {
            JsonObject event = events.get(i);
            assertThat(event.getLong("seq")).isEqualTo(i + 1);
            assertThat(event.getJsonObject("payload").getLong("n")).isEqualTo(i + 1);
            assertThat(event.getString("type")).isEqualTo("test.count");
        }
        second.close();
    }

    @Test
    void aHelloClaimingTheLargestSeqIsClosedWith1002AndALabelFanOutIncludingThatAgentStillSucceeds() {
        Api.Enrolled hostile = server.api().enrol("hostile", new JsonObject().put("pool", "fan"));
        Api.Enrolled honest = server.api().enrol("honest", new JsonObject().put("pool", "fan"));
        TestAgent liar = TestAgent.connect(server.port(), hostile.key());

        liar.send(Envelope.newBuilder()
                .setHello(TestAgent.defaultHello().setAppliedServerSeq(Long.MAX_VALUE)).build());

        assertThat(liar.awaitCloseCode()).isEqualTo(1002);
        assertThat(liar.closeReason()).contains("beyond any seq this server assigned");
        TestAgent good = TestAgent.connect(server.port(), honest.key());
        good.hello();
        JsonObject created = server.api().createCommand(new JsonObject().put("selector", "pool=fan")
                .put("argv", new JsonArray().add("true")));
        assertThat(created.getJsonArray("jobs")).hasSize(2);
        assertThat(good.await(PayloadCase.COMMAND).getSeq()).isEqualTo(1);
        TestAgent reformed = TestAgent.connect(server.port(), hostile.key());
        reformed.hello();
        assertThat(reformed.await(PayloadCase.COMMAND).getSeq()).as("its counter never moved").isEqualTo(1);
        good.close();
        reformed.close();
    }

    @Test
    void aHelloClaimingAServerSeqNeverAssignedIsClosedWith1002AndItsCommandsStayQueued() {
        Api.Enrolled agent = server.api().enrol("restored-elsewhere");
        JsonObject created = server.api().exec(List.of(agent.id()), "true");
        TestAgent liar = TestAgent.connect(server.port(), agent.key());

        liar.send(Envelope.newBuilder().setHello(TestAgent.defaultHello().setAppliedServerSeq(5)).build());

        assertThat(liar.awaitCloseCode()).isEqualTo(1002);
        TestAgent honest = TestAgent.connect(server.port(), agent.key());
        honest.hello();
        Envelope command = honest.await(PayloadCase.COMMAND);
        assertThat(command.getSeq()).isEqualTo(1);
        assertThat(command.getCommand().getCommandId()).isEqualTo(created.getString("id"));
        honest.close();
    }

    @Test
    void aJobTheAgentConfirmsCancelledIsNotReopenedByALaterReplayedStart() {
        Api.Enrolled agent = server.api().enrol("confirming");
        TestAgent connection = TestAgent.connect(server.port(), agent.key());
        connection.hello();
        JsonObject created = server.api().exec(List.of(agent.id()), "sleep", "60");
        String jobId = connection.await(PayloadCase.COMMAND).getCommand().getJobId();
        server.api().post("/api/v1/commands/" + created.getString("id") + "/cancel", "{}");
        await().until(() -> server.api().job(jobId).getString("state").equals("cancelled"));

        connection.send(jobEvent(1, JobEvent.newBuilder().setJobId(jobId).setFinished(
                dev.tether.protocol.v1.JobFinished.newBuilder()
                        .setOutcome(dev.tether.protocol.v1.JobFinished.Outcome.CANCELLED))));
        connection.send(jobEvent(2, JobEvent.newBuilder().setJobId(jobId)
                .setStarted(dev.tether.protocol.v1.JobStarted.newBuilder().setPid(42))));

        await().until(() -> connection.highestAck() == 2);
        assertThat(server.api().job(jobId).getString("state")).isEqualTo("cancelled");
        connection.close();
    }

    @Test
    void commandsRenumberedAfterAStampMismatchAreDeliveredAndTheirJobsFollowTheirNewSeqs() {
        Api.Enrolled agent = server.api().enrol("diverged");
        String first = jobOf(server.api().exec(List.of(agent.id()), "true"));
        String second = jobOf(server.api().exec(List.of(agent.id()), "true"));
        TestAgent connection = TestAgent.connect(server.port(), agent.key());

        connection.hello(TestAgent.defaultHello().setAppliedServerSeq(1).setAppliedServerStamp(42));

        Envelope renumberedFirst = connection.await(PayloadCase.COMMAND);
        Envelope renumberedSecond = connection.await(PayloadCase.COMMAND);
        assertThat(renumberedFirst.getSeq()).isEqualTo(2);
        assertThat(renumberedFirst.getCommand().getJobId()).isEqualTo(first);
        assertThat(renumberedSecond.getSeq()).isEqualTo(3);
        assertThat(renumberedSecond.getCommand().getJobId()).isEqualTo(second);
        connection.send(Envelope.newBuilder().setAckOnly(dev.tether.protocol.v1.Ack.getDefaultInstance())
                .setAck(2).build());
        await().until(() -> server.api().job(first).getString("state").equals("delivered"));
        assertThat(server.api().job(second).getString("state")).isEqualTo("queued");
        connection.close();
    }

    private static String jobOf(JsonObject command) {
        return command.getJsonArray("jobs").getJsonObject(0).getString("id");
    }

    private static Envelope jobEvent(long seq, JobEvent.Builder event) {
        return Envelope.newBuilder().setSeq(seq).setJobEvent(event).build();
    }

    @Test
    void floodOfEventsIsAppliedWithBackpressureAndNothingDropped() {
        TestAgent connection = server.connectNew("flooder");

        for (long seq = 1; seq <= 5000; seq++) {
            connection.event(seq, "test.flood");
        }

        await().atMost(Duration.ofSeconds(30)).until(() -> connection.highestAck() == 5000);
        assertThat(connection.isClosed()).isFalse();
        assertThat(allEvents("flooder")).hasSize(5000);
        connection.heartbeatAcked();
        connection.close();
    }

    @Test
    void configPutWhileOfflineIsDeliveredOnConnectAndMarkedApplied() {
        Api.Enrolled agent = server.api().enrol("configured");
        JsonObject put = server.api().put("/api/v1/agents/configured/config", "{\"interval\": 5}").json();
        assertThat(put.getLong("version")).isEqualTo(1);
        assertThat(put.getBoolean("applied")).isFalse();

        TestAgent connection = TestAgent.connect(server.port(), agent.key());
        Welcome welcome = connection.hello();
        assertThat(welcome.getConfig().getVersion()).isEqualTo(1);
        Envelope update = connection.await(PayloadCase.CONFIG_UPDATE);
        assertThat(update.getSeq()).isEqualTo(1);
        assertThat(update.getConfigUpdate().getConfigJson().toString(StandardCharsets.UTF_8))
                .isEqualTo("{\"interval\": 5}");

        connection.send(Envelope.newBuilder().setSeq(1).setAck(update.getSeq())
                .setConfigApplied(ConfigApplied.newBuilder().setVersion(1).setOk(true)).build());

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            JsonObject config = server.api().get("/api/v1/agents/configured/config").json();
            assertThat(config.getLong("applied_version")).isEqualTo(1);
            assertThat(config.getBoolean("applied")).isTrue();
            assertThat(config.getJsonObject("config").getInteger("interval")).isEqualTo(5);
        });
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(server.api().get("/metrics").body())
                .contains("tether_reliable_pending{direction=\"to_agents\"} 0.0"));
        connection.close();
    }

    @Test
    void configPutWhileOnlineIsSentAtOnce() {
        TestAgent connection = server.connectNew("live-config");

        server.api().put("/api/v1/agents/live-config/config", "[1, 2, 3]");

        Envelope update = connection.await(PayloadCase.CONFIG_UPDATE, Duration.ofSeconds(2));
        assertThat(update.getConfigUpdate().getVersion()).isEqualTo(1);
        assertThat(update.getSeq()).isEqualTo(1);
        connection.close();
    }

    @Test
    void unacknowledgedConfigIsReplayedAfterReconnect() {
        Api.Enrolled agent = server.api().enrol("forgetful");
        TestAgent first = TestAgent.connect(server.port(), agent.key());
        first.hello();
        server.api().put("/api/v1/agents/forgetful/config", "{\"a\": 1}");
        first.await(PayloadCase.CONFIG_UPDATE);
        first.close();

        TestAgent second = TestAgent.connect(server.port(), agent.key());
        Welcome welcome = second.hello();

        assertThat(welcome.getResumeServerSeq()).isEqualTo(1);
        assertThat(second.await(PayloadCase.CONFIG_UPDATE).getSeq()).isEqualTo(1);
        second.close();
    }

    @Test
    void failedConfigApplyIsRecordedWithItsError() {
        Api.Enrolled agent = server.api().enrol("picky");
        server.api().put("/api/v1/agents/picky/config", "{\"bad\": true}");
        TestAgent connection = TestAgent.connect(server.port(), agent.key());
        connection.hello();

        connection.send(Envelope.newBuilder().setSeq(1)
                .setConfigApplied(ConfigApplied.newBuilder().setVersion(1).setOk(false).setError("bad key")).build());

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            JsonObject config = server.api().get("/api/v1/agents/picky/config").json();
            assertThat(config.getString("error")).isEqualTo("bad key");
            assertThat(config.getBoolean("applied")).isFalse();
        });
        connection.close();
    }

    @Test
    void statusReportUpdatesTheAgentAndIsStoredAsAnEvent() {
        TestAgent connection = server.connectNew("reporter");

        connection.send(Envelope.newBuilder().setSeq(1).setStatus(StatusReport.newBuilder()
                .setState("degraded").setMessage("disk almost full").putDetails("disk", "97%")).build());

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            JsonObject agent = server.api().get("/api/v1/agents/reporter").json();
            assertThat(agent.getString("status_state")).isEqualTo("degraded");
            assertThat(agent.getString("status_message")).isEqualTo("disk almost full");
        });
        JsonObject event = allEvents("reporter").get(0);
        assertThat(event.getString("type")).isEqualTo("agent.status");
        assertThat(event.getJsonObject("payload").getJsonObject("details").getString("disk")).isEqualTo("97%");
        connection.close();
    }

    @Test
    void eventsOfUnknownJobsAndUnknownReliablePayloadsAreAcknowledgedAsNoOps() {
        TestAgent connection = server.connectNew("newer");
        UnknownFieldSet future = UnknownFieldSet.newBuilder().addField(190, UnknownFieldSet.Field.newBuilder()
                .addLengthDelimited(ByteString.copyFromUtf8("from the future")).build()).build();

        connection.send(Envelope.newBuilder().setSeq(1).setJobEvent(JobEvent.newBuilder().setJobId("j1")).build());
        connection.send(Envelope.newBuilder().setSeq(2).setUnknownFields(future).build());
        connection.event(3, "test.after");

        await().atMost(Duration.ofSeconds(5)).until(() -> connection.highestAck() == 3);
        assertThat(allEvents("newer")).extracting(e -> e.getString("type")).containsExactly("test.after");
        assertThat(server.api().get("/metrics").body()).containsPattern("tether_unknown_payloads_total [1-9]")
                .contains("tether_job_events_ignored_total{reason=\"unknown_job\"} 1.0");
        connection.heartbeatAcked();
        connection.close();
    }

    @Test
    void eventWithInvalidJsonPayloadIsReturnedAsAString() {
        TestAgent connection = server.connectNew("sloppy");

        connection.send(Envelope.newBuilder().setSeq(1).setAgentEvent(dev.tether.protocol.v1.AgentEvent
                .newBuilder().setType("test.text").setPayloadJson(ByteString.copyFromUtf8("not json {"))).build());

        await().atMost(Duration.ofSeconds(5)).until(() -> connection.highestAck() == 1);
        assertThat(allEvents("sloppy").get(0).getValue("payload")).isEqualTo("not json {");
        connection.close();
    }

    /** Every event of the agent, oldest first, read through the paged API. */
    List<JsonObject> allEvents(String agent) {
        List<JsonObject> newestFirst = new ArrayList<>();
        String cursor = "";
        while (true) {
            JsonObject page = server.api().get("/api/v1/agents/" + agent + "/events?limit=500" + cursor).json();
            JsonArray events = page.getJsonArray("events");
            events.forEach(event -> newestFirst.add((JsonObject) event));
            if (page.getValue("next_before") == null) {
                break;
            }
            cursor = "&before=" + page.getLong("next_before");
        }
        return newestFirst.reversed();
    }
}
