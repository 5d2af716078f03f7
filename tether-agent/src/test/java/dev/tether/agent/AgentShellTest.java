package dev.tether.agent;

import static dev.tether.agent.testing.ShellMessages.envelope;
import static dev.tether.agent.testing.ShellMessages.open;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.tether.agent.testing.FakeTetherServer;
import dev.tether.agent.testing.ShellMessages;
import dev.tether.agent.testing.ShellRecorder;
import dev.tether.protocol.Limits;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.ShellExit;
import dev.tether.protocol.v1.ShellReady;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A shell session's life on a real PTY, against a fake server over a real socket. */
class AgentShellTest {

    @TempDir
    Path dir;

    private FakeTetherServer server;
    private ShellRecorder shells;
    private Agent agent;

    @BeforeEach
    void start() throws Exception {
        server = FakeTetherServer.start();
        shells = server.shells();
        agent = Agent.start(server.agentConfig(dir.resolve("state")).enableShell(true).shellProgram("/bin/sh")
                .build());
        await().until(agent::connected);
    }

    @AfterEach
    void stop() throws Exception {
        agent.close();
        server.close();
    }

    private ByteString openShell(int rows, int cols) throws Exception {
        ByteString id = ShellMessages.newId();
        shells.autoCredit(id, true);
        server.sendLive(envelope(open(id, rows, cols, Limits.SHELL_WINDOW_BYTES)));
        await().until(() -> !shells.readies(id).isEmpty());
        return id;
    }

    private void type(ByteString id, String line) throws Exception {
        server.sendLive(ShellMessages.input(id, line + "\n"));
    }

    @Test
    void aShellRunsOnATerminalOfTheRequestedSizeAndFollowsResizes() throws Exception {
        ByteString id = openShell(33, 111);
        ShellReady ready = shells.readies(id).get(0);
        assertThat(ready.getAttached()).isFalse();
        assertThat(ready.getOutputOffset()).isZero();
        assertThat(ready.getPid()).isPositive();

        type(id, "stty size; echo T-$TERM");
        await().until(() -> shells.text(id).contains("33 111"));
        await().until(() -> shells.text(id).contains("T-xterm-256color"));

        server.sendLive(ShellMessages.resize(id, 40, 120));
        type(id, "stty size");
        await().until(() -> shells.text(id).contains("40 120"));
    }

    @Test
    void theExitCodeFollowsTheLastOutput() throws Exception {
        ByteString id = openShell(24, 80);
        type(id, "echo bye; exit 3");

        await().atMost(Duration.ofSeconds(10)).until(() -> shells.exit(id) != null);
        ShellExit exit = shells.exit(id);
        assertThat(exit.getExitCode()).isEqualTo(3);
        assertThat(exit.getSignal()).isEmpty();
        assertThat(shells.text(id)).contains("bye");
        List<Envelope> frames = shells.frames(id);
        assertThat(frames.subList(frames.indexOf(frames.stream().filter(Envelope::hasShellExit).findFirst()
                .orElseThrow()), frames.size())).noneMatch(Envelope::hasShellOutput);
    }
}
