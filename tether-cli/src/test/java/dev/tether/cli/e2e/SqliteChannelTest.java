package dev.tether.cli.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.tether.protocol.CloseCodes;
import dev.tether.protocol.Limits;
import dev.tether.protocol.ProtocolVersion;
import dev.tether.protocol.v1.AgentEvent;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.Hello;
import dev.tether.protocol.v1.Welcome;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The channel scenarios on the default embedded store, and the ones about
 * liveness and bad input, which do not depend on the store and run here only
 * (PostgreSQL's side of them: the cluster tests, on PostgreSQL).
 */
class SqliteChannelTest extends ChannelScenarios {

    @Override
    String freshDatabase() {
        return null;
    }

    @Test
    void quickStartAgentIsOnlineWithinTwoSecondsAndOfflineWithinOneSecondOfAStop() throws Exception {
        Fleet.AgentIdentity agent = fleet.createAgent("web-1");

        long started = System.nanoTime();
        JavaProcess process = fleet.startAgent(agent, fleet.url());
        awaitStatus(agent, "online", Duration.ofSeconds(2));
        long onlineMs = (System.nanoTime() - started) / 1_000_000;

        JsonObject shown = api.agent(agent.id());
        assertThat(shown.getString("hostname")).isNotBlank();
        assertThat(shown.getString("os")).isNotBlank();
        assertThat(shown.getString("connected_since")).isNotBlank();

        long stopping = System.nanoTime();
        assertThat(process.stop()).as("exit status after SIGTERM (the JVM reports 143 = 128 + SIGTERM)").isIn(0, 143);
        awaitStatus(agent, "offline", Duration.ofSeconds(1));
        System.out.printf("online after %d ms, offline %d ms after SIGTERM%n", onlineMs, (System.nanoTime() - stopping) / 1_000_000);
        assertThat(api.events(agent.id(), "agent.stopping")).hasSize(1);
    }

    @Test
    void killedAgentIsOfflineWithinThreeHeartbeats() throws Exception {
        Fleet.AgentIdentity agent = fleet.createAgent("killed");
        JavaProcess process = fleet.startAgent(agent, fleet.url());
        awaitStatus(agent, "online", Duration.ofSeconds(10));

        process.kill9();

        awaitStatus(agent, "offline", HEARTBEAT.multipliedBy(3));
    }

    @Test
    void silentlyDroppedLinkIsOfflineWithinThreeHeartbeats() throws Exception {
        Fleet.AgentIdentity agent = fleet.createAgent("silent");
        try (ChaosProxy proxy = new ChaosProxy(fleet.port())) {
            fleet.startAgent(agent, proxyUrl(proxy));
            awaitStatus(agent, "online", Duration.ofSeconds(10));

            proxy.blackHole(true);
            long dropped = System.nanoTime();

            awaitStatus(agent, "offline", HEARTBEAT.multipliedBy(3).plusMillis(500));
            System.out.printf("offline %d ms after the link went silent%n", (System.nanoTime() - dropped) / 1_000_000);
        }
    }

    @Test
    void revokedAgentIsDisconnectedWithinOneSecondAndRefusedAfterwards() throws Exception {
        Fleet.AgentIdentity agent = fleet.createAgent("revoked");
        JavaProcess process = fleet.startAgent(agent, fleet.url());
        awaitStatus(agent, "online", Duration.ofSeconds(10));

        api.ok("POST", "/api/v1/agents/" + agent.id() + "/revoke", "{}");

        awaitStatus(agent, "offline", Duration.ofSeconds(1));
        Object refused = RawAgentClient.connect(fleet.url(), Files.readString(agent.keyFile()));
        assertThat(refused).isEqualTo(401);
        process.awaitOutput("401", Duration.ofSeconds(10));
        assertThat(process.alive()).as("a refused agent keeps retrying slowly instead of exiting").isTrue();
    }

    @Test
    void badInputIsClosedWithItsCodeWhileOtherAgentsKeepServing() throws Exception {
        Fleet.AgentIdentity good = fleet.createAgent("good");
        Fleet.AgentIdentity bad = fleet.createAgent("bad");
        fleet.startAgent(good, fleet.url());
        awaitStatus(good, "online", Duration.ofSeconds(10));
        String connectedSince = api.agent(good.id()).getString("connected_since");
        String badKey = Files.readString(bad.keyFile());

        assertThat(RawAgentClient.connect(fleet.url(), "tak_wrong")).isEqualTo(401);
        assertThat(closeCodeAfter(badKey, client -> client.sendText("{\"hello\":1}"))).isEqualTo(CloseCodes.UNSUPPORTED_DATA);
        assertThat(closeCodeAfter(badKey, client -> client.sendBinary(new byte[] {(byte) 0xff, (byte) 0xff, 0x7f})))
                .isEqualTo(CloseCodes.INVALID_PAYLOAD);
        assertThat(closeCodeAfter(badKey, client -> client.sendBinary(
                Envelope.newBuilder().setWelcome(Welcome.getDefaultInstance()).build().toByteArray())))
                .isEqualTo(CloseCodes.PROTOCOL_ERROR);
        assertThat(closeCodeAfter(badKey, client -> {
            client.sendBinary(hello().toByteArray());
            client.sendBinary(event(5).toByteArray());
        })).isEqualTo(CloseCodes.PROTOCOL_ERROR);
        assertThat(OversizedFrameProbe.closeCodeFor(fleet.url(), badKey, 2L * Limits.MAX_FRAME_BYTES, Duration.ofSeconds(10)))
                .isEqualTo(CloseCodes.MESSAGE_TOO_BIG);

        Thread.sleep(HEARTBEAT.toMillis() * 2);
        JsonObject after = api.agent(good.id());
        assertThat(after.getString("status")).isEqualTo("online");
        assertThat(after.getString("connected_since")).as("the good agent never reconnected").isEqualTo(connectedSince);
        assertThat(api.metric("tether_connection_closes_total{code=\"1002\"}")).as("1002 closes").isGreaterThanOrEqualTo(2);
        assertThat(api.metric("tether_connection_closes_total{code=\"1007\"}")).as("1007 closes").isGreaterThanOrEqualTo(1);
        assertThat(api.metric("tether_connection_closes_total{code=\"1009\"}")).as("1009 closes").isGreaterThanOrEqualTo(1);
    }

    // ------------------------------------------------------------ helpers

    interface Misbehaviour {
        void run(RawAgentClient client) throws Exception;
    }

    private int closeCodeAfter(String key, Misbehaviour misbehaviour) throws Exception {
        RawAgentClient client = (RawAgentClient) RawAgentClient.connect(fleet.url(), key);
        try {
            misbehaviour.run(client);
        } catch (java.util.concurrent.CompletionException e) {
            // The server may close while we are still sending; the close code is what counts.
        }
        return client.awaitClose(Duration.ofSeconds(10)).code();
    }

    private static Envelope hello() {
        return Envelope.newBuilder().setHello(Hello.newBuilder()
                .setAgentVersion("raw").setProtocolMin(ProtocolVersion.MIN).setProtocolMax(ProtocolVersion.MAX)
                .setHostname("raw").setOs("linux").setArch("amd64").setResumeAgentSeq(1)).build();
    }

    private static Envelope event(long seq) {
        return Envelope.newBuilder().setSeq(seq).setAgentEvent(AgentEvent.newBuilder()
                .setType("test.n").setPayloadJson(ByteString.copyFromUtf8("{\"n\":0}"))).build();
    }
}
