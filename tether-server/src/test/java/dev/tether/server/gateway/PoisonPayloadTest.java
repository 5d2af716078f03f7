package dev.tether.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.tether.protocol.CloseCodes;
import dev.tether.protocol.v1.AgentEvent;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.JobFinished.Outcome;
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
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No single payload stops an agent's stream: text the database would refuse is
 * sanitised on arrival, and a payload the database keeps refusing is
 * quarantined after {@link PayloadQuarantine#MAX_ATTEMPTS} failed applies,
 * with an audit entry and a metric, while a failure that is not the payload's
 * (a lost connection) never quarantines anything.
 */
abstract class PoisonPayloadTest {

    /** The event type the test's database refuses (a CHECK or trigger it installs). */
    static final String REFUSED_TYPE = "test.refused";

    @TempDir
    Path dir;
    ServerConfig config;
    TestServer server;

    abstract TestDatabase database();

    /** Makes the database refuse every agent event of {@link #REFUSED_TYPE}, as it would refuse bad data. */
    abstract void refuseEventsOfTheRefusedType(Statement statement) throws SQLException;

    @BeforeEach
    void startServer() throws Exception {
        config = TestServer.config(dir, database(), Duration.ofSeconds(30));
        server = TestServer.start(config);
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Test
    void aJobFinishedWithANulInItsErrorAndTheEventBehindItAreBothApplied() {
        Api api = server.api();
        Api.Enrolled enrolled = api.enrol("nul");
        try (JobAgent agent = JobAgent.connect(server.port(), enrolled.key(),
                request -> new Script(Duration.ZERO, "", Outcome.FAILED, 3, "a\u0000b"))) {
            String job = api.exec(List.of("nul"), "true").getJsonArray("jobs").getJsonObject(0).getString("id");
            await().atMost(Duration.ofSeconds(10)).until(() -> agent.finishedAt(job) != null);
            agent.connection().event(agent.lastSent() + 1, "test.behind");

            JsonObject failed = api.awaitJob(job, "failed");
            assertThat(failed.getString("error")).isEqualTo("a\uFFFDb");
            await().atMost(Duration.ofSeconds(10)).until(() -> eventTypes("nul").contains("test.behind"));
            assertThat(agent.connection().isClosed()).as("the connection stays open").isFalse();
        }
    }

    @Test
    void nulInAnEventsTypeAndJsonIsReplacedAndTheEventApplied() {
        TestAgent agent = server.connectNew("texts");
        agent.send(Envelope.newBuilder().setSeq(1).setTsMs(System.currentTimeMillis())
                .setAgentEvent(AgentEvent.newBuilder().setType("test.\u0000type")
                        .setPayloadJson(ByteString.copyFrom("{\"s\":\"a\u0000b\"}", StandardCharsets.UTF_8)))
                .build());
        await().atMost(Duration.ofSeconds(10)).until(() -> agent.highestAck() == 1);

        JsonObject event = events("texts").getJsonObject(0);
        assertThat(event.getString("type")).isEqualTo("test.\uFFFDtype");
        assertThat(event.getJsonObject("payload").getString("s")).isEqualTo("a\uFFFDb");
        agent.close();
    }

    @Test
    void aPayloadThatKeepsFailingIsQuarantinedAfterThreeAttemptsAndTheStreamGoesOn() throws Exception {
        refuse();
        Api.Enrolled enrolled = server.api().enrol("stuck");
        for (int attempt = 1; attempt < PayloadQuarantine.MAX_ATTEMPTS; attempt++) {
            TestAgent agent = sendOneGoodOneRefusedOneGood(enrolled);
            assertThat(agent.awaitCloseCode()).as("attempt %d", attempt).isEqualTo(CloseCodes.INTERNAL_ERROR);
            agent.close();
            assertThat(quarantined(enrolled.id())).isEmpty();
        }
        assertThat(eventSeqs("stuck")).as("the payload before the refused one applied").containsExactly(1L);

        TestAgent last = sendOneGoodOneRefusedOneGood(enrolled);
        await().atMost(Duration.ofSeconds(10)).until(() -> last.highestAck() == 3);
        assertThat(eventSeqs("stuck")).containsExactly(1L, 3L);
        JsonArray payloads = quarantined(enrolled.id());
        assertThat(payloads).hasSize(1);
        assertThat(payloads.getJsonObject(0).getLong("seq")).isEqualTo(2);
        assertThat(payloads.getJsonObject(0).getInteger("attempts")).isEqualTo(PayloadQuarantine.MAX_ATTEMPTS);
        assertThat(payloads.getJsonObject(0).getString("payload_type")).isEqualTo("agent_event");
        assertThat(Envelope.parseFrom(payloads.getJsonObject(0).getBinary("envelope")).getAgentEvent().getType())
                .isEqualTo(REFUSED_TYPE);
        JsonObject audit = server.api().get("/api/v1/audit?action=" + PayloadQuarantine.AUDIT_ACTION).json()
                .getJsonArray("entries").getJsonObject(0);
        assertThat(audit.getString("target")).isEqualTo(enrolled.id());
        assertThat(audit.getJsonObject("details").getLong("seq")).isEqualTo(2);
        assertThat(metric("tether_reliable_quarantined_total")).isEqualTo(1.0);
        last.close();
    }

    /** Connects (replaying from the applied seq) and sends events 1 to 3, the second of the refused type. */
    TestAgent sendOneGoodOneRefusedOneGood(Api.Enrolled enrolled) {
        TestAgent agent = TestAgent.connect(server.port(), enrolled.key());
        long applied = agent.hello(TestAgent.defaultHello().setResumeAgentSeq(1)).getAppliedAgentSeq();
        for (long seq = applied + 1; seq <= 3; seq++) {
            agent.event(seq, seq == 2 ? REFUSED_TYPE : "test.good");
        }
        return agent;
    }

    void refuse() throws SQLException {
        try (Connection connection = DriverManager.getConnection(config.jdbcUrl());
                Statement statement = connection.createStatement()) {
            refuseEventsOfTheRefusedType(statement);
        }
    }

    JsonArray quarantined(String agentId) {
        Api.Response response = server.api().get("/api/v1/agents/" + agentId + "/quarantine");
        assertThat(response.status()).as(response.body()).isEqualTo(200);
        return response.json().getJsonArray("payloads");
    }

    JsonArray events(String agent) {
        return server.api().get("/api/v1/agents/" + agent + "/events?limit=500").json().getJsonArray("events");
    }

    List<String> eventTypes(String agent) {
        return events(agent).stream().map(event -> ((JsonObject) event).getString("type")).toList();
    }

    List<Long> eventSeqs(String agent) {
        return events(agent).stream().map(event -> ((JsonObject) event).getLong("seq")).sorted().toList();
    }

    /** The value of a series on /metrics; fails when the series is missing. */
    double metric(String series) {
        for (String line : server.api().get("/metrics").body().split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1));
            }
        }
        throw new AssertionError("no series " + series + " on /metrics");
    }
}
