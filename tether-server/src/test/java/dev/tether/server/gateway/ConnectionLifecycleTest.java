package dev.tether.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.protocol.CloseCodes;
import dev.tether.protocol.ProtocolVersion;
import dev.tether.protocol.v1.Envelope.PayloadCase;
import dev.tether.protocol.v1.Welcome;
import dev.tether.server.testing.Api;
import dev.tether.server.testing.TestAgent;
import dev.tether.server.testing.TestDatabase;
import dev.tether.server.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Authentication, handshake, presence, replacement and revocation of agent connections. */
class ConnectionLifecycleTest {

    private static final Duration HEARTBEAT = Duration.ofSeconds(1);

    @TempDir
    Path dir;
    private TestServer server;

    @BeforeEach
    void startServer() throws Exception {
        server = TestServer.start(dir, TestDatabase.SQLITE, HEARTBEAT);
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Test
    void missingKeyIsRefusedWith401BeforeTheUpgrade() {
        TestAgent.Rejection rejection = TestAgent.rejection(server.port(), null);

        assertThat(rejection.status()).isEqualTo(401);
        assertThat(new JsonObject(rejection.body()).getString("error")).isEqualTo("unauthorized");
    }

    @Test
    void unknownKeyIsRefusedWith401() {
        TestAgent.Rejection rejection = TestAgent.rejection(server.port(), "tak_not-a-real-key");

        assertThat(rejection.status()).isEqualTo(401);
        assertThat(new JsonObject(rejection.body()).getString("message")).contains("unknown agent key");
    }

    @Test
    void revokedKeyIsRefusedWith401() {
        Api.Enrolled agent = server.api().enrol("revoked-one");
        assertThat(server.api().post("/api/v1/agents/" + agent.id() + "/revoke", "").status()).isEqualTo(200);

        TestAgent.Rejection rejection = TestAgent.rejection(server.port(), agent.key());

        assertThat(rejection.status()).isEqualTo(401);
        assertThat(new JsonObject(rejection.body()).getString("message")).contains("revoked");
    }

    @Test
    void helloIsAnsweredWithWelcome() {
        Api.Enrolled agent = server.api().enrol("greeter");
        try (TestAgent connection = TestAgent.connect(server.port(), agent.key())) {
            Welcome welcome = connection.hello();

            assertThat(welcome.getProtocolVersion()).isEqualTo(ProtocolVersion.MAX);
            assertThat(welcome.getAgentId()).isEqualTo(agent.id());
            assertThat(welcome.getAgentName()).isEqualTo("greeter");
            assertThat(welcome.getHeartbeatIntervalMs()).isEqualTo(1000);
            assertThat(welcome.getAppliedAgentSeq()).isZero();
            assertThat(welcome.getResumeServerSeq()).isEqualTo(1);
            assertThat(welcome.getSessionId()).isNotEmpty();
            assertThat(welcome.hasConfig()).isFalse();
        }
    }

    @Test
    void heartbeatMakesTheAgentOnlineWithItsMetricsAndCloseTakesItOffline() {
        Api.Enrolled agent = server.api().enrol("beater");
        TestAgent connection = TestAgent.connect(server.port(), agent.key());
        connection.hello();
        connection.heartbeatAcked();

        JsonObject shown = server.api().get("/api/v1/agents/beater").json();
        assertThat(shown.getString("status")).isEqualTo("online");
        assertThat(shown.getString("hostname")).isEqualTo("test-host");
        assertThat(shown.getJsonObject("reported_labels").getString("role")).isEqualTo("test");
        assertThat(shown.getJsonObject("metrics").getLong("mem_total_bytes")).isEqualTo(4000);
        assertThat(shown.getJsonObject("metrics").getLong("uptime_s")).isEqualTo(42);
        assertThat(shown.getString("connected_since")).isNotNull();

        connection.close();

        await().atMost(Duration.ofSeconds(1)).untilAsserted(() ->
                assertThat(server.api().get("/api/v1/agents/beater").json().getString("status"))
                        .isEqualTo("offline"));
        assertThat(server.api().get("/api/v1/agents/beater").json().getString("last_seen")).isNotNull();
    }

    @Test
    void silentAgentIsDeclaredDeadWithinThreeHeartbeatIntervals() {
        Api.Enrolled agent = server.api().enrol("silent");
        TestAgent connection = TestAgent.connect(server.port(), agent.key());
        connection.hello();
        connection.heartbeatAcked();
        long silentSince = System.nanoTime();

        await().atMost(HEARTBEAT.multipliedBy(3).plusMillis(600)).pollInterval(Duration.ofMillis(50))
                .untilAsserted(() -> assertThat(server.api().get("/api/v1/agents/silent").json()
                        .getString("status")).isEqualTo("offline"));
        Duration detectedAfter = Duration.ofNanos(System.nanoTime() - silentSince);

        assertThat(detectedAfter).isGreaterThanOrEqualTo(HEARTBEAT.multipliedBy(3).minusMillis(100));
        assertThat(connection.awaitCloseCode()).isEqualTo(CloseCodes.DEAD_PEER);
    }

    @Test
    void heartbeatsKeepAnAgentOnlineBeyondTheDeadPeerTimeout() {
        Api.Enrolled agent = server.api().enrol("steady");
        try (TestAgent connection = TestAgent.connect(server.port(), agent.key());
                ScheduledExecutorService beats = Executors.newSingleThreadScheduledExecutor()) {
            connection.hello();
            beats.scheduleAtFixedRate(connection::heartbeat, 0, HEARTBEAT.toMillis() / 2, TimeUnit.MILLISECONDS);

            await().during(HEARTBEAT.multipliedBy(4)).atMost(HEARTBEAT.multipliedBy(5)).until(() ->
                    !connection.isClosed() && server.api().get("/api/v1/agents/steady").json()
                            .getString("status").equals("online"));
        }
    }

    @Test
    void secondConnectionReplacesTheFirst() {
        Api.Enrolled agent = server.api().enrol("twin");
        TestAgent first = TestAgent.connect(server.port(), agent.key());
        first.hello();
        try (TestAgent second = TestAgent.connect(server.port(), agent.key())) {
            second.hello();

            assertThat(first.awaitCloseCode()).isEqualTo(CloseCodes.REPLACED);
            assertThat(first.closeReason()).isEqualTo("replaced by a newer connection");
            second.heartbeatAcked();
            assertThat(server.api().get("/api/v1/agents/twin").json().getString("status")).isEqualTo("online");
        }
    }

    @Test
    void aStaleConnectionsHelloThatArrivesAfterItsReplacementsIsRefusedAndTheNewerOneStays() {
        Api.Enrolled agent = server.api().enrol("late-hello");
        TestAgent stale = TestAgent.connect(server.port(), agent.key());
        try (TestAgent newer = TestAgent.connect(server.port(), agent.key())) {
            newer.hello();

            stale.send(dev.tether.protocol.v1.Envelope.newBuilder().setHello(TestAgent.defaultHello()).build());

            assertThat(stale.awaitCloseCode()).isEqualTo(CloseCodes.REPLACED);
            assertThat(stale.closeReason()).isEqualTo("a newer connection of this agent is live");
            newer.heartbeatAcked();
            assertThat(newer.isClosed()).isFalse();
            assertThat(server.api().get("/api/v1/agents/late-hello").json().getString("status")).isEqualTo("online");
        }
    }

    @Test
    void revokingClosesTheLiveConnectionAtOnce() {
        Api.Enrolled agent = server.api().enrol("doomed");
        TestAgent connection = TestAgent.connect(server.port(), agent.key());
        connection.hello();
        connection.heartbeatAcked();

        JsonObject revoked = server.api().post("/api/v1/agents/doomed/revoke", "").json();

        assertThat(revoked.getBoolean("revoked")).isTrue();
        assertThat(connection.awaitCloseCode(Duration.ofSeconds(1))).isEqualTo(CloseCodes.REVOKED);
        assertThat(connection.closeReason()).isEqualTo("agent key revoked");
        assertThat(TestAgent.rejection(server.port(), agent.key()).status()).isEqualTo(401);
    }

    @Test
    void unsupportedProtocolVersionIsRefusedWith4003() {
        Api.Enrolled agent = server.api().enrol("future");
        TestAgent connection = TestAgent.connect(server.port(), agent.key());

        connection.send(dev.tether.protocol.v1.Envelope.newBuilder().setHello(TestAgent.defaultHello()
                .setProtocolMin(ProtocolVersion.MAX + 1).setProtocolMax(ProtocolVersion.MAX + 5)).build());

        assertThat(connection.awaitCloseCode()).isEqualTo(CloseCodes.UNSUPPORTED_VERSION);
        assertThat(connection.closeReason()).contains("no common protocol version");
    }

    @Test
    void serverCloseSendsGoingAwayToEveryAgent() {
        TestAgent connection = server.connectNew("leaver");
        connection.heartbeatAcked();

        server.close();

        assertThat(connection.awaitCloseCode()).isEqualTo(CloseCodes.GOING_AWAY);
        assertThat(connection.closeReason()).isEqualTo("server stopping");
        assertThat(connection.drain()).noneMatch(e -> e.getPayloadCase() == PayloadCase.PAYLOAD_NOT_SET);
    }
}
