package dev.tether.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.Envelope.PayloadCase;
import dev.tether.protocol.v1.ShellCredit;
import dev.tether.protocol.v1.ShellOpen;
import dev.tether.protocol.v1.ShellOutput;
import dev.tether.protocol.v1.ShellReady;
import dev.tether.server.shell.ShellId;
import dev.tether.server.testing.Api;
import dev.tether.server.testing.TerminalClient;
import dev.tether.server.testing.TestAgent;
import dev.tether.server.testing.TestDatabase;
import dev.tether.server.testing.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A compromised agent, scripted over a real socket, cannot grow the server: shell output outside the flow
 * control is charged against the message rate, what waits to be written to an agent that never reads is
 * bounded, and the close codes it picks do not become metric series.
 */
class HostileAgentTest {

    private static final String CLOSES = "tether_connection_closes_total{code=\"%s\"}";
    @TempDir
    static Path dir;
    private static TestServer server;
    private static int agents;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(dir, TestDatabase.SQLITE, Duration.ofSeconds(30));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static TestAgent shellAgent() {
        Api.Enrolled enrolled = server.api().enrol("hostile-" + ++agents);
        TestAgent agent = TestAgent.connect(server.port(), enrolled.key());
        agent.hello(TestAgent.defaultHello().addCapabilities("shell"));
        return agent;
    }

    private static double closes(String code) {
        return server.api().metric(CLOSES.formatted(code));
    }

    @Test
    void anAgentFloodingShellOutputForUnknownSessionsWhileNeverReadingIsClosedWith1008() {
        TestAgent agent = shellAgent();
        double before = closes("1008");
        agent.pauseReading();
        byte[] output = Envelope.newBuilder().setShellOutput(ShellOutput.newBuilder()
                .setSessionId(ShellId.random().bytes()).setOffset(0).setData(ByteString.copyFrom(new byte[1024])))
                .build().toByteArray();

        for (int i = 0; i < 5 * MessageRate.BURST && !agent.isClosed(); i++) {
            agent.sendBytes(output);
        }

        await().until(() -> closes("1008") == before + 1);
        assertThat(server.api().metric("tether_shell_buffered_bytes")).as("nothing of it was buffered").isZero();
    }

    @Test
    void anAgentThatNeverReadsWhileTheServerHasMuchToSendItIsClosedNotBufferedFor() {
        TestAgent agent = shellAgent();
        String name = "hostile-" + agents;
        double before = closes("4005");
        try (TerminalClient client = TerminalClient.open(server.port(), TestServer.ADMIN_TOKEN, name, "")) {
            ShellOpen open = agent.await(PayloadCase.SHELL_OPEN).getShellOpen();
            agent.send(Envelope.newBuilder().setShellReady(ShellReady.newBuilder().setSessionId(open.getSessionId())
                    .setPid(1)).build());
            // A lie: credit for far more input than it will ever read.
            agent.send(Envelope.newBuilder().setShellCredit(ShellCredit.newBuilder()
                    .setSessionId(open.getSessionId()).setBytes(2_000_000_000)).build());
            await().until(() -> client.hasControl("ready"));
            agent.pauseReading();
            String chunk = "x".repeat(512 * 1024);

            for (long sent = 0; sent <= AgentConnection.MAX_UNWRITTEN_BYTES + (8 << 20); sent += chunk.length()) {
                client.type(chunk);
            }

            await().atMost(Duration.ofSeconds(20)).until(() -> closes("4005") == before + 1);
        }
    }

    @Test
    void aCloseCodeTheServerDoesNotKnowIsCountedAsOther() {
        TestAgent agent = shellAgent();
        double before = closes("other");

        agent.close(4999, "made up");

        await().until(() -> closes("other") == before + 1);
        assertThat(server.api().get("/metrics").body()).doesNotContain("code=\"4999\"");
    }
}
