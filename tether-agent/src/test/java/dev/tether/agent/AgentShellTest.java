package dev.tether.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.tether.agent.testing.ShellHarness;
import dev.tether.agent.testing.ShellMessages;
import dev.tether.agent.testing.ShellRecorder;
import dev.tether.protocol.v1.Envelope.PayloadCase;
import dev.tether.protocol.v1.ShellExit;
import dev.tether.protocol.v1.ShellReady;
import java.nio.file.Files;
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

    private ShellHarness harness;
    private ShellRecorder shells;

    @BeforeEach
    void start() throws Exception {
        harness = ShellHarness.start(dir.resolve("state"));
        shells = harness.shells;
    }

    @AfterEach
    void stop() throws Exception {
        harness.close();
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** Fields 5 and 6 of /proc/PID/stat: the process group and session ids. */
    private static List<String> groupAndSession(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return List.of(fields[2], fields[3]);
    }

    @Test
    void anAgentWithShellsSaysSoInItsHello() {
        assertThat(harness.server.connection(1).hello().getCapabilitiesList()).contains("shell");
        assertThat(harness.server.connection(1).hello().getShellSessionsList()).isEmpty();
    }

    @Test
    void aShellRunsOnATerminalOfTheRequestedSizeInASessionOfItsOwn() throws Exception {
        ByteString id = harness.open(33, 111);
        ShellReady ready = shells.readies(id).get(0);
        assertThat(ready.getAttached()).isFalse();
        assertThat(ready.getOutputOffset()).isZero();
        assertThat(groupAndSession(ready.getPid())).containsExactly(Long.toString(ready.getPid()),
                Long.toString(ready.getPid()));

        harness.type(id, "stty size; echo T-$TERM");
        await().until(() -> shells.text(id).contains("33 111"));
        await().until(() -> shells.text(id).contains("T-xterm-256color"));

        harness.send(ShellMessages.resize(id, 40, 120));
        harness.type(id, "stty size");
        await().until(() -> shells.text(id).contains("40 120"));
    }

    @Test
    void outputIsNumberedFromZeroAndInputCreditComesBackAsItIsWritten() throws Exception {
        ByteString id = harness.open();
        String line = "echo counted-$((6*7))";
        harness.type(id, line);

        await().until(() -> shells.text(id).contains("counted-42"));
        await().until(() -> shells.inputCreditReturned(id) == line.length() + 1);
        long offset = 0;
        for (var output : shells.outputs(id)) {
            assertThat(output.getOffset()).isEqualTo(offset);
            offset += output.getData().size();
        }
        assertThat(shells.violations()).isEmpty();
    }

    @Test
    void theExitCodeFollowsTheLastOutput() throws Exception {
        ByteString id = harness.open();
        harness.type(id, "echo bye; exit 3");

        await().atMost(Duration.ofSeconds(10)).until(() -> shells.exit(id) != null);
        ShellExit exit = shells.exit(id);
        assertThat(exit.getExitCode()).isEqualTo(3);
        assertThat(exit.getSignal()).isEmpty();
        assertThat(shells.text(id)).contains("bye");
        assertThat(shells.outputAfterExit(id)).isEmpty();
        assertThat(harness.server.connection(1).hello().getShellSessionsList()).isEmpty();
    }

    @Test
    void terminatingKillsTheProgramsTheShellStartedToo() throws Exception {
        ByteString id = harness.open();
        long shell = harness.pid(id);
        harness.type(id, "sleep 301 & sleep 300");
        await().until(() -> ProcessHandle.of(shell).orElseThrow().descendants()
                .filter(p -> p.info().commandLine().orElse("").contains("sleep 30")).count() == 2);
        List<ProcessHandle> sleeps = ProcessHandle.of(shell).orElseThrow().descendants().toList();

        harness.send(ShellMessages.close(id, true));

        await().atMost(Duration.ofSeconds(10)).until(() -> shells.exit(id) != null);
        assertThat(shells.exit(id).getSignal()).isIn("SIGHUP", "SIGTERM", "SIGKILL");
        assertThat(shells.exit(id).getExitCode()).isGreaterThan(128);
        assertThat(alive(shell)).isFalse();
        await().atMost(Duration.ofSeconds(5)).until(() -> sleeps.stream().noneMatch(ProcessHandle::isAlive));
    }

    @Test
    void heartbeatsCountTheSessions() throws Exception {
        harness.open();
        harness.open("sleep", "30");

        await().until(() -> harness.server.connection(1).received(PayloadCase.HEARTBEAT).stream()
                .anyMatch(e -> e.getHeartbeat().getShellSessions() == 2));
    }

    @Test
    void stoppingTheAgentKillsItsShells() throws Exception {
        ByteString id = harness.open("sleep", "300");
        long pid = harness.pid(id);
        assertThat(alive(pid)).isTrue();

        harness.agent.close();

        assertThat(alive(pid)).isFalse();
    }
}
