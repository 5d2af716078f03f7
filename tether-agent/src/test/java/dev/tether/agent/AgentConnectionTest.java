package dev.tether.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import dev.tether.agent.connection.ConnectionManager;
import dev.tether.agent.testing.FakeTetherServer;
import dev.tether.agent.testing.LogCapture;
import dev.tether.agent.testing.WebSocketFrames;
import dev.tether.protocol.CloseCodes;
import dev.tether.protocol.Limits;
import dev.tether.protocol.ProtocolVersion;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.Envelope.PayloadCase;
import dev.tether.protocol.v1.GoAway;
import dev.tether.protocol.v1.Heartbeat;
import dev.tether.protocol.v1.Hello;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The connection's life: handshake, heartbeats, failures and reconnects, against a fake server. */
class AgentConnectionTest {

    @TempDir
    Path stateDir;

    private FakeTetherServer server;
    private Agent agent;

    @BeforeEach
    void startServer() throws Exception {
        server = FakeTetherServer.start();
    }

    @AfterEach
    void stopAll() throws Exception {
        if (agent != null) {
            agent.close();
        }
        server.close();
    }

    private Agent startAgent(AgentConfig.Builder config) {
        agent = Agent.start(config.build());
        return agent;
    }

    private Agent startAgent() {
        return startAgent(server.agentConfig(stateDir));
    }

    @Test
    void theAgentDialsWithItsKeyAsABearerTokenAndIntroducesItself() {
        startAgent(server.agentConfig(stateDir).label("zone", "eu-1"));
        await().until(agent::connected);

        assertThat(server.connection(1).headers()).containsEntry("authorization", "Bearer " + FakeTetherServer.KEY);
        Hello hello = server.connection(1).hello();
        assertThat(hello.getAgentVersion()).isEqualTo(Agent.version());
        assertThat(hello.getProtocolMin()).isEqualTo(ProtocolVersion.MIN);
        assertThat(hello.getProtocolMax()).isEqualTo(ProtocolVersion.MAX);
        assertThat(hello.getHostname()).isNotBlank();
        assertThat(hello.getOs()).isEqualTo(System.getProperty("os.name"));
        assertThat(hello.getArch()).isEqualTo(System.getProperty("os.arch"));
        assertThat(hello.getLabelsMap()).containsExactly(java.util.Map.entry("zone", "eu-1"));
        assertThat(hello.getCapabilitiesList()).containsExactly("cmd:exec", "cmd:health_check", "cmd:config",
                "cmd:self_update");
        assertThat(hello.getConfigVersion()).isZero();
        assertThat(hello.getAppliedServerSeq()).isZero();
        assertThat(hello.getResumeAgentSeq()).isEqualTo(1);
        assertThat(hello.getBootId()).hasSize(36);
        assertThat(server.connection(1).received().get(0).hasHello()).isTrue();
        assertThat(agent.agentId()).isEqualTo("agent-1");
    }

    @Test
    void theBootIdChangesOnEveryStart() {
        startAgent();
        await().until(agent::connected);
        agent.close();
        startAgent();
        await().until(() -> server.handshakes() == 2);
        assertThat(server.connection(2).hello().getBootId()).isNotEqualTo(server.connection(1).hello().getBootId());
    }

    @Test
    void heartbeatsCarryHostMetricsAndTheOutboxDepth() {
        server.acknowledge(false);
        startAgent();
        agent.publishEvent("pending", "{}");
        await().until(() -> server.connection(1).received(PayloadCase.HEARTBEAT).size() >= 3);

        Heartbeat last = server.connection(1).received(PayloadCase.HEARTBEAT).get(2).getHeartbeat();
        assertThat(last.getMemTotalBytes()).isPositive();
        assertThat(last.getMemUsedBytes()).isPositive().isLessThanOrEqualTo(last.getMemTotalBytes());
        assertThat(last.getDiskTotalBytes()).isPositive();
        assertThat(last.getDiskUsedBytes()).isLessThanOrEqualTo(last.getDiskTotalBytes());
        assertThat(last.getCpuPercent()).isBetween(0.0, 100.0);
        assertThat(last.getOutboxDepth()).isEqualTo(2);
        assertThat(server.connection(1).received(PayloadCase.HEARTBEAT))
                .allSatisfy(e -> assertThat(e.getSeq()).isZero());
        server.acknowledge(true);
    }

    @Test
    void aRejectedKeyIsLoggedOnceAndRetriedAtTheBackoffCapNotInAHotLoop() {
        server.rejectWith(401);
        try (LogCapture log = LogCapture.of(ConnectionManager.class)) {
            startAgent(server.agentConfig(stateDir)
                    .backoff(new Backoff(Duration.ofMillis(10), 2.0, Duration.ofMillis(300))));

            await().during(Duration.ofMillis(1_200)).atMost(Duration.ofSeconds(3)).until(() -> server.upgrades() <= 6);
            assertThat(server.upgrades()).isGreaterThanOrEqualTo(3);
            assertThat(log.messages(Level.ERROR)).singleElement().asString()
                    .startsWith("the server rejected this agent's key (HTTP 401): check --key-file / "
                            + "TETHER_AGENT_KEY or whether the key was revoked");
            assertThat(log.messages()).noneMatch(m -> m.contains(FakeTetherServer.KEY));
        }
        assertThat(agent.connected()).isFalse();
    }

    @Test
    void aWrongKeyIsRejectedByTheServer() {
        startAgent(server.agentConfig(stateDir).key("tak_wrong"));
        await().until(() -> server.upgrades() >= 1);
        assertThat(server.handshakes()).isZero();
        assertThat(agent.connected()).isFalse();
    }

    @Test
    void theAgentReconnectsAfterTheServerDropsTheConnection() {
        startAgent();
        await().until(agent::connected);
        server.connection(1).drop();

        await().until(() -> server.handshakes() == 2 && agent.connected());
        assertThat(server.connection(2).hello().getBootId()).isEqualTo(server.connection(1).hello().getBootId());
    }

    @Test
    void anAgentGivenAClosedPortAndALiveServerComesOnlineAndDeliversWhicheverItTriesFirst() throws Exception {
        URI closed;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = URI.create("http://127.0.0.1:" + socket.getLocalPort());
        }
        startAgent(server.agentConfig(stateDir).servers(List.of(closed, server.url())));

        await().until(() -> agent.connected() && server.appliedEventTypes().contains("agent.started"));
        assertThat(server.handshakes()).isEqualTo(1);
    }

    @Test
    void aServerThatFallsSilentIsDroppedAfterThreeMissedHeartbeatsAndTheAgentReconnects() {
        server.heartbeatIntervalMs(100);
        startAgent();
        await().until(agent::connected);
        server.silent(true);
        long silentSince = System.nanoTime();

        await().atMost(Duration.ofSeconds(5)).until(() -> server.connection(1).closeCode() != 0);
        assertThat(Duration.ofNanos(System.nanoTime() - silentSince))
                .isGreaterThanOrEqualTo(Duration.ofMillis(100 * (Limits.MISSED_HEARTBEATS - 1)));
        assertThat(server.connection(1).closeCode()).isEqualTo(CloseCodes.DEAD_PEER);
        server.silent(false);
        await().until(() -> server.handshakes() == 2);
    }

    @Test
    void aGoAwayClosesNormallyAndReconnectsAfterItsDelay() throws Exception {
        startAgent();
        await().until(agent::connected);
        server.connection(1).send(Envelope.newBuilder()
                .setGoAway(GoAway.newBuilder().setReason("draining").setReconnectAfterMs(300)).build());
        long sent = System.nanoTime();

        await().until(() -> server.handshakes() == 2);
        assertThat(Duration.ofNanos(System.nanoTime() - sent)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
        assertThat(server.connection(1).closeCode()).isEqualTo(CloseCodes.NORMAL);
        assertThat(server.connection(1).closeReason()).isEqualTo("going away as asked");
    }

    @Test
    void aReplacedConnectionIsLoggedWithItsReasonAndTheAgentReconnects() throws Exception {
        try (LogCapture log = LogCapture.of(ConnectionManager.class)) {
            startAgent();
            await().until(agent::connected);
            server.connection(1).close(CloseCodes.REPLACED, "replaced by a newer connection");

            await().until(() -> server.handshakes() == 2);
            assertThat(log.messages(Level.WARN)).anyMatch(m -> m.contains("close 4001")
                    && m.contains("replaced by a newer connection"));
        }
    }

    @Test
    void aRevokedKeyIsLoggedWithItsReasonAndTheRetryMeetsThe401() throws Exception {
        try (LogCapture log = LogCapture.of(ConnectionManager.class)) {
            startAgent();
            await().until(agent::connected);
            server.rejectWith(401);
            server.connection(1).close(CloseCodes.REVOKED, "key revoked");

            await().until(() -> log.messages(Level.ERROR).size() == 2);
            assertThat(log.messages(Level.ERROR).get(0)).contains("revoked").contains("close 4002 'key revoked'");
            assertThat(log.messages(Level.ERROR).get(1)).contains("HTTP 401");
            assertThat(agent.connected()).isFalse();
        }
    }

    @Test
    void aFrameOverTheLimitClosesTheConnectionAndTheAgentReconnects() throws Exception {
        startAgent();
        await().until(agent::connected);
        server.connection(1).sendFrame(WebSocketFrames.BINARY, new byte[Limits.MAX_FRAME_BYTES + 1]);

        await().until(() -> server.connection(1).closeCode() != 0);
        assertThat(server.connection(1).closeCode()).isEqualTo(CloseCodes.MESSAGE_TOO_BIG);
        assertThat(server.connection(1).closeReason()).contains("exceeds the limit of " + Limits.MAX_FRAME_BYTES);
        await().until(() -> server.handshakes() == 2);
    }

    @Test
    void aFrameOfExactlyTheLimitIsAccepted() throws Exception {
        startAgent();
        await().until(agent::connected);
        Envelope padded = Envelope.newBuilder().setCorrelationId("x".repeat(Limits.MAX_FRAME_BYTES - 4)).build();
        assertThat(padded.getSerializedSize()).isEqualTo(Limits.MAX_FRAME_BYTES);
        server.connection(1).send(padded);
        agent.publishEvent("after.big.frame", "{}");

        await().until(() -> server.appliedEventTypes().contains("after.big.frame"));
        assertThat(server.connection(1).closeCode()).isZero();
        assertThat(server.handshakes()).isEqualTo(1);
    }

    @Test
    void aTextFrameClosesTheConnection() throws Exception {
        startAgent();
        await().until(agent::connected);
        server.connection(1).sendText("hello?");

        await().until(() -> server.connection(1).closeCode() != 0);
        assertThat(server.connection(1).closeCode()).isEqualTo(CloseCodes.UNSUPPORTED_DATA);
        assertThat(server.connection(1).closeReason()).contains("text frames are not part of the protocol");
    }

    @Test
    void aMalformedFrameClosesTheConnection() throws Exception {
        startAgent();
        await().until(agent::connected);
        server.connection(1).sendFrame(WebSocketFrames.BINARY, new byte[] {(byte) 0xFF, (byte) 0xFF, 0x01});

        await().until(() -> server.connection(1).closeCode() != 0);
        assertThat(server.connection(1).closeCode()).isEqualTo(CloseCodes.INVALID_PAYLOAD);
        assertThat(server.connection(1).closeReason()).startsWith("malformed envelope");
        await().until(() -> server.handshakes() == 2);
    }

    @Test
    void closeIsGracefulAndIdempotent() {
        startAgent();
        await().until(agent::connected);
        agent.publishEvent("last.words", "{}");

        agent.close();
        agent.close();

        assertThat(server.appliedEventTypes()).endsWith("last.words", "agent.stopping");
        await().until(() -> server.connection(1).closeCode() != 0);
        assertThat(server.connection(1).closeCode()).isEqualTo(CloseCodes.NORMAL);
        assertThat(server.connection(1).closeReason()).isEqualTo("agent stopping");
        assertThat(agent.connected()).isFalse();
        assertThatThrownBy(() -> agent.publishEvent("too.late", "{}"))
                .isInstanceOf(IllegalStateException.class).hasMessage("the agent is closed");
    }

    @Test
    void closeDoesNotWaitForAServerItCannotReach() {
        server.rejectWith(503);
        startAgent();
        await().until(() -> server.upgrades() >= 1);
        long start = System.nanoTime();
        agent.close();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    }

    @Test
    void aSecondAgentOnTheSameStateDirFailsToStart() {
        startAgent();
        assertThatThrownBy(() -> Agent.start(server.agentConfig(stateDir).build()))
                .hasMessageContaining("another agent is already running");
    }
}
