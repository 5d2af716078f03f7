package dev.tether.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import dev.tether.agent.testing.FakeTetherServer;
import dev.tether.protocol.v1.ConfigApplied;
import dev.tether.protocol.v1.ConfigUpdate;
import dev.tether.protocol.v1.Envelope;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the agent does with the server's reliable payloads: config and unknown types (commands: AgentCommandsTest). */
class AgentServerPayloadsTest {

    @TempDir
    Path stateDir;

    private FakeTetherServer server;
    private Agent agent;
    private final List<String> heard = new CopyOnWriteArrayList<>();

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

    private void startAgent() {
        agent = Agent.start(server.agentConfig(stateDir).build());
        agent.onConfig((version, json) -> heard.add(version + " " + json));
    }

    private static Envelope configUpdate(long version, String json) {
        return Envelope.newBuilder()
                .setConfigUpdate(ConfigUpdate.newBuilder().setVersion(version)
                        .setConfigJson(ByteString.copyFromUtf8(json)))
                .build();
    }

    private List<ConfigApplied> reports() {
        return server.applied().stream().filter(Envelope::hasConfigApplied).map(Envelope::getConfigApplied).toList();
    }

    @Test
    void aConfigInTheWelcomeIsAppliedWrittenReportedAndHeard() throws Exception {
        server.config(3, "{\"interval\":10}");
        startAgent();

        await().until(() -> reports().size() == 1);
        assertThat(reports().get(0)).isEqualTo(ConfigApplied.newBuilder().setVersion(3).setOk(true).build());
        assertThat(server.appliedEventTypes()).contains("agent.config_applied");
        assertThat(Files.readString(stateDir.resolve("config.json"))).isEqualTo("{\"interval\":10}");
        assertThat(Files.readString(stateDir.resolve("config.version"))).isEqualTo("3\n");
        await().until(() -> heard.equals(List.of("3 {\"interval\":10}")));
    }

    @Test
    void aLiveConfigUpdateIsAppliedOnceAndAnOlderOneIsOnlyAcknowledged() {
        startAgent();
        await().until(agent::connected);
        server.sendReliable(configUpdate(2, "{\"v\":2}"));
        server.sendReliable(configUpdate(1, "{\"v\":1}"));

        await().until(() -> server.pendingForAgent() == 0);
        await().until(() -> reports().size() == 1);
        assertThat(reports()).extracting(ConfigApplied::getVersion).containsExactly(2L);
        await().until(() -> heard.equals(List.of("2 {\"v\":2}")));

        server.connection(1).drop();
        await().until(() -> server.handshakes() == 2);
        assertThat(server.connection(2).hello().getConfigVersion()).isEqualTo(2);
        assertThat(server.connection(2).hello().getAppliedServerSeq()).isEqualTo(2);
    }

    @Test
    void theAppliedConfigAndSeqSurviveARestartAndAreAnnouncedInTheHello() {
        startAgent();
        await().until(agent::connected);
        server.sendReliable(configUpdate(5, "{}"));
        await().until(() -> reports().size() == 1);
        agent.close();

        startAgent();
        await().until(() -> server.handshakes() == 2);
        assertThat(server.connection(2).hello().getConfigVersion()).isEqualTo(5);
        assertThat(server.connection(2).hello().getAppliedServerSeq()).isEqualTo(1);
        await().until(() -> heard.equals(List.of("5 {}", "5 {}")));
    }

    @Test
    void aConfigThatIsNotJsonIsRefusedAndReported() {
        startAgent();
        await().until(agent::connected);
        server.sendReliable(configUpdate(4, "{not json"));

        await().until(() -> reports().size() == 1);
        assertThat(reports().get(0).getOk()).isFalse();
        assertThat(reports().get(0).getError()).startsWith("config version 4 is not well-formed JSON");
        assertThat(heard).isEmpty();
        await().until(() -> server.pendingForAgent() == 0);
    }

    @Test
    void aReliablePayloadOfAnUnknownTypeIsAcknowledgedAsANoOp() {
        startAgent();
        await().until(agent::connected);
        Envelope fromTheFuture = Envelope.newBuilder()
                .setUnknownFields(UnknownFieldSet.newBuilder()
                        .addField(299, UnknownFieldSet.Field.newBuilder()
                                .addLengthDelimited(ByteString.copyFromUtf8("new")).build())
                        .build())
                .build();
        server.sendReliable(fromTheFuture);
        server.sendReliable(configUpdate(1, "{}"));

        await().until(() -> server.pendingForAgent() == 0 && reports().size() == 1);
        assertThat(agent.connected()).isTrue();
        assertThat(server.handshakes()).isEqualTo(1);
        assertThat(agent.unknownPayloads()).isEqualTo(1);
    }
}
