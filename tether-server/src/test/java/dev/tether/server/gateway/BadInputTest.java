package dev.tether.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.protocol.CloseCodes;
import dev.tether.protocol.Limits;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.Heartbeat;
import dev.tether.protocol.v1.Welcome;
import dev.tether.server.testing.TestAgent;
import dev.tether.server.testing.TestDatabase;
import dev.tether.server.testing.TestServer;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketFrame;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every kind of bad input closes only the offending connection, with the
 * close code the protocol names, while another agent keeps being served.
 */
class BadInputTest {

    @TempDir
    static Path dir;
    private static TestServer server;
    private static int agents;
    private TestAgent bystander;

    @BeforeAll
    static void startServer() throws Exception {
        server = TestServer.start(dir, TestDatabase.SQLITE, Duration.ofSeconds(30));
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @BeforeEach
    void connectBystander() {
        bystander = server.connectNew("bystander-" + ++agents);
        bystander.heartbeatAcked();
    }

    @AfterEach
    void bystanderIsStillServed() {
        bystander.heartbeatAcked();
        assertThat(bystander.isClosed()).isFalse();
        bystander.close();
    }

    private TestAgent offender(Consumer<TestAgent> handshake) {
        TestAgent offender = TestAgent.connect(server.port(), server.api().enrol("offender-" + ++agents).key());
        handshake.accept(offender);
        return offender;
    }

    private TestAgent welcomedOffender() {
        return offender(TestAgent::hello);
    }

    @Test
    void textFrameClosesWith1003() {
        TestAgent offender = welcomedOffender();

        offender.sendText("{\"hello\": true}");

        assertThat(offender.awaitCloseCode()).isEqualTo(CloseCodes.UNSUPPORTED_DATA);
    }

    @Test
    void garbageBytesCloseWith1007() {
        TestAgent offender = welcomedOffender();

        offender.sendBytes(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01, 0x02});

        assertThat(offender.awaitCloseCode()).isEqualTo(CloseCodes.INVALID_PAYLOAD);
        assertThat(offender.closeReason()).startsWith("malformed envelope");
    }

    @Test
    void payloadOfTheServersDirectionClosesWith1002() {
        TestAgent offender = welcomedOffender();

        offender.send(Envelope.newBuilder().setWelcome(Welcome.newBuilder().setAgentId("me")).build());

        assertThat(offender.awaitCloseCode()).isEqualTo(CloseCodes.PROTOCOL_ERROR);
        assertThat(offender.closeReason()).isEqualTo("agent may not send welcome");
    }

    @Test
    void seqGapClosesWith1002() {
        TestAgent offender = welcomedOffender();
        offender.event(1, "test.first");

        offender.event(3, "test.skipped-two");

        assertThat(offender.awaitCloseCode()).isEqualTo(CloseCodes.PROTOCOL_ERROR);
        assertThat(offender.closeReason()).contains("seq gap");
    }

    @Test
    void seqRewindWithinASessionClosesWith1002() {
        TestAgent offender = welcomedOffender();
        offender.event(1, "test.one");
        offender.event(2, "test.two");

        offender.event(2, "test.two-again");

        assertThat(offender.awaitCloseCode()).isEqualTo(CloseCodes.PROTOCOL_ERROR);
        assertThat(offender.closeReason()).contains("seq rewind");
    }

    @Test
    void anythingBeforeHelloClosesWith1002() {
        TestAgent offender = offender(agent -> { });

        offender.send(Envelope.newBuilder().setHeartbeat(Heartbeat.getDefaultInstance()).build());

        assertThat(offender.awaitCloseCode()).isEqualTo(CloseCodes.PROTOCOL_ERROR);
        assertThat(offender.closeReason()).isEqualTo("expected hello first, got heartbeat");
    }

    @Test
    void secondHelloClosesWith1002() {
        TestAgent offender = welcomedOffender();

        offender.send(Envelope.newBuilder().setHello(TestAgent.defaultHello()).build());

        assertThat(offender.awaitCloseCode()).isEqualTo(CloseCodes.PROTOCOL_ERROR);
    }

    @Test
    void oversizedFrameClosesWith1009AndIsCounted() {
        TestAgent offender = welcomedOffender();
        double before = server.api().metric("tether_connection_closes_total{code=\"1009\"}");

        offender.sendBytes(new byte[Limits.MAX_FRAME_BYTES + 1]);

        // The server refuses the frame at its header and closes with 1009 while the rest of the megabyte is still
        // arriving; closing a socket over unread bytes resets it, and about 1 run in 60 the reset destroys the close
        // frame before this client reads it (1006). What the server decided is asserted by its count below, and
        // the 1009 reaching the agent by oversizedMessageInSmallFragmentsClosesWith1009, where nothing is unread.
        assertThat(offender.awaitCloseCode()).isIn(CloseCodes.MESSAGE_TOO_BIG, 1006);
        assertThat(server.api().metric("tether_connection_closes_total{code=\"1009\"}")).isEqualTo(before + 1);
    }

    @Test
    void oversizedMessageInSmallFragmentsClosesWith1009() {
        TestAgent offender = welcomedOffender();
        byte[] chunk = new byte[256 * 1024];
        Arrays.fill(chunk, (byte) 1);

        offender.sendFrame(WebSocketFrame.binaryFrame(Buffer.buffer(chunk), false));
        for (int i = 0; i < 4; i++) {
            offender.sendFrame(WebSocketFrame.continuationFrame(Buffer.buffer(chunk), i == 3));
        }

        assertThat(offender.awaitCloseCode()).isEqualTo(CloseCodes.MESSAGE_TOO_BIG);
    }

    @Test
    void frameOfExactlyTheLimitIsNotRejectedForItsSize() {
        TestAgent offender = welcomedOffender();

        // Within the limit, so the codec judges it: all zero bytes are not a valid envelope.
        offender.sendBytes(new byte[Limits.MAX_FRAME_BYTES]);

        assertThat(offender.awaitCloseCode()).isEqualTo(CloseCodes.INVALID_PAYLOAD);
    }

    @Test
    void reliablePayloadWithoutSeqClosesWith1002() {
        TestAgent offender = welcomedOffender();

        offender.send(Envelope.newBuilder().setAgentEvent(
                dev.tether.protocol.v1.AgentEvent.newBuilder().setType("no.seq")).build());

        assertThat(offender.awaitCloseCode()).isEqualTo(CloseCodes.PROTOCOL_ERROR);
        assertThat(offender.closeReason()).contains("needs a seq");
    }
}
