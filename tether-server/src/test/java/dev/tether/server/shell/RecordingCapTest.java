package dev.tether.server.shell;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.Envelope.PayloadCase;
import dev.tether.protocol.v1.ShellExit;
import dev.tether.protocol.v1.ShellOpen;
import dev.tether.protocol.v1.ShellOutput;
import dev.tether.protocol.v1.ShellReady;
import dev.tether.server.ServerConfig;
import dev.tether.server.testing.Api;
import dev.tether.server.testing.TerminalClient;
import dev.tether.server.testing.TestAgent;
import dev.tether.server.testing.TestDatabase;
import dev.tether.server.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A recording stops growing at --recording-max-bytes; the session goes on and its record and audit say so. */
class RecordingCapTest {

    private static final long CAP = 4096;

    @Test
    void aRecordingPastTheCapStopsGrowingAndTheSessionRecordAndAuditSaySo(@TempDir Path dir) throws Exception {
        ServerConfig config = TestServer.config(dir, TestDatabase.SQLITE, Duration.ofSeconds(30));
        try (TestServer server = TestServer.start(config.withShell(config.shell().withRecordingMaxBytes(CAP)))) {
            Api.Enrolled enrolled = server.api().enrol("rec-1");
            TestAgent agent = TestAgent.connect(server.port(), enrolled.key());
            agent.hello(TestAgent.defaultHello().addCapabilities("shell"));
            try (TerminalClient client = TerminalClient.open(server.port(), TestServer.ADMIN_TOKEN, "rec-1", "")) {
                ShellOpen open = agent.await(PayloadCase.SHELL_OPEN).getShellOpen();
                agent.send(Envelope.newBuilder().setShellReady(ShellReady.newBuilder()
                        .setSessionId(open.getSessionId()).setPid(1)).build());
                await().until(() -> client.hasControl("ready"));
                String line = "y".repeat(999) + "\n";
                for (int i = 0; i < 20; i++) {
                    agent.send(Envelope.newBuilder().setShellOutput(ShellOutput.newBuilder()
                            .setSessionId(open.getSessionId()).setOffset(i * 1000L)
                            .setData(ByteString.copyFromUtf8(line))).build());
                }
                await().until(() -> client.outputBytes() == 20_000);
                agent.send(Envelope.newBuilder().setShellExit(ShellExit.newBuilder()
                        .setSessionId(open.getSessionId()).setExitCode(0)).build());
                String session = client.first("ready").getString("session");

                await().until(() -> "ended".equals(server.api().get("/api/v1/sessions/" + session).json()
                        .getString("state")));
                JsonObject stored = server.api().get("/api/v1/sessions/" + session).json();
                String cast = server.api().get("/api/v1/sessions/" + session + "/recording").body();
                await().until(() -> server.api().get("/api/v1/audit?action=shell.session").json()
                        .getJsonArray("entries").getJsonObject(0).getJsonObject("details").containsKey("ended_at"));
                JsonObject audited = server.api().get("/api/v1/audit?action=shell.session").json()
                        .getJsonArray("entries").getJsonObject(0).getJsonObject("details");

                assertThat(stored.getLong("bytes_out")).as("the session went on").isEqualTo(20_000);
                assertThat(cast.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo((int) CAP);
                assertThat(stored.getBoolean("recording_truncated")).isTrue();
                assertThat(audited.getBoolean("recording_truncated")).isTrue();
            }
        }
    }
}
