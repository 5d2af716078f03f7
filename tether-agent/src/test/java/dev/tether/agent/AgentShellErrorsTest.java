package dev.tether.agent;

import static dev.tether.agent.testing.ShellMessages.envelope;
import static dev.tether.agent.testing.ShellMessages.open;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.tether.agent.testing.ShellHarness;
import dev.tether.agent.testing.ShellMessages;
import dev.tether.agent.testing.ShellRecorder;
import dev.tether.protocol.Limits;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.ShellError;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every ShellError the agent answers; none of them touches another session or the connection. */
class AgentShellErrorsTest {

    @TempDir
    Path dir;

    private ShellHarness harness;
    private ShellRecorder shells;

    private void start(UnaryOperator<AgentConfig.Builder> config) throws Exception {
        harness = ShellHarness.start(dir.resolve("state"), config);
        shells = harness.shells;
    }

    private void start() throws Exception {
        start(config -> config);
    }

    @AfterEach
    void stop() throws Exception {
        harness.close();
    }

    /** Sends a payload about {@code id} and returns the one error it got. */
    private ShellError refused(ByteString id, Envelope payload) throws Exception {
        int before = shells.errors(id).size();
        harness.send(payload);
        await().until(() -> shells.errors(id).size() == before + 1);
        return shells.errors(id).get(before);
    }

    private void assertTheSessionAndTheConnectionAreFine(ByteString id) throws Exception {
        harness.type(id, "echo fine-$((3*3))");
        await().until(() -> shells.text(id).contains("fine-9"));
        assertThat(harness.server.handshakes()).isEqualTo(1);
        assertThat(harness.server.problems()).isEmpty();
    }

    @Test
    void anAgentWithoutShellsRefusesThemAndDoesNotAdvertiseThem() throws Exception {
        start(config -> config.enableShell(false));
        ByteString id = ShellMessages.newId();

        assertThat(refused(id, envelope(open(id, 24, 80, 1024))).getCode()).isEqualTo("disabled");
        assertThat(refused(id, ShellMessages.input(id, "ls\n")).getCode()).isEqualTo("disabled");
        assertThat(harness.server.connection(1).hello().getCapabilitiesList()).doesNotContain("shell");
        assertThat(harness.server.handshakes()).isEqualTo(1);
    }

    @Test
    void malformedOpensAreBadRequests() throws Exception {
        start();
        ByteString good = harness.open();
        ByteString shortId = ByteString.copyFromUtf8("abc");
        ByteString id = ShellMessages.newId();

        assertThat(refused(shortId, envelope(open(shortId, 24, 80, 1024))).getMessage()).contains("16 bytes");
        assertThat(refused(id, envelope(open(id, 0, 80, 1024))).getCode()).isEqualTo("bad_request");
        assertThat(refused(id, envelope(open(id, 24, Limits.MAX_TERMINAL_DIMENSION + 1, 1024))).getMessage())
                .contains("1 to 1000");
        assertThat(refused(id, envelope(open(id, 24, 80, 1024, "sh", ""))).getMessage())
                .contains("command element 1 is empty");
        assertThat(refused(id, envelope(open(id, 24, 80, 1024).setTerm("x term"))).getCode())
                .isEqualTo("bad_request");
        assertThat(refused(good, ShellMessages.resize(good, 0, 0)).getCode()).isEqualTo("bad_request");
        assertThat(refused(good, ShellMessages.input(good, new byte[Limits.SHELL_CHUNK_BYTES + 1])).getCode())
                .isEqualTo("bad_request");
        assertThat(shells.readies(id)).isEmpty();
        assertTheSessionAndTheConnectionAreFine(good);
    }

    @Test
    void anOpenOfAnIdInUseIsRefusedAndTheSessionGoesOn() throws Exception {
        start();
        ByteString id = harness.open();

        assertThat(refused(id, envelope(open(id, 24, 80, 1024))).getCode()).isEqualTo("exists");
        assertTheSessionAndTheConnectionAreFine(id);
    }

    @Test
    void messagesForUnknownSessionsAreNotFound() throws Exception {
        start();
        ByteString good = harness.open();
        ByteString id = ShellMessages.newId();

        harness.send(ShellMessages.input(id, "ls\n"));
        harness.send(ShellMessages.resize(id, 24, 80));
        harness.send(ShellMessages.credit(id, 1024));
        harness.send(ShellMessages.close(id, true));
        harness.attach(id, 0);

        await().until(() -> shells.errorCodes(id).size() == 5);
        assertThat(shells.errorCodes(id)).containsOnly("not_found");
        assertTheSessionAndTheConnectionAreFine(good);
    }

    @Test
    void lateTrafficForASessionThatJustEndedIsDroppedSoItsExitIsNotOvertaken() throws Exception {
        start();
        ByteString good = harness.open();
        ByteString gone = harness.open("sh", "-c", "exit 3");
        await().atMost(Duration.ofSeconds(5)).until(() -> shells.exit(gone) != null);

        // What the server sends before it sees the ShellExit: no "not found" may answer it.
        harness.send(ShellMessages.credit(gone, 1024));
        harness.send(ShellMessages.resize(gone, 30, 100));
        harness.send(ShellMessages.input(gone, "ls\n"));
        harness.send(ShellMessages.close(gone, true));
        harness.attach(gone, 0);

        await().until(() -> shells.errorCodes(gone).size() == 1);
        assertThat(shells.errorCodes(gone)).as("only the attach is refused").containsExactly("not_found");
        assertThat(shells.exit(gone).getExitCode()).isEqualTo(3);
        assertTheSessionAndTheConnectionAreFine(good);
    }

    @Test
    void aSecondClientCannotAttachToAnAttachedSessionNorBeyondItsOutput() throws Exception {
        start();
        ByteString id = harness.open();

        ShellError attached = refused(id, envelope(ShellMessages.attach(id, 0, 1024)));
        assertThat(attached.getCode()).isEqualTo("attached");
        harness.send(ShellMessages.close(id, false));
        ShellError beyond = refused(id, envelope(ShellMessages.attach(id, 1_000_000, 1024)));
        assertThat(beyond.getCode()).isEqualTo("bad_request");
        assertThat(beyond.getMessage()).contains("beyond the output");

        harness.attach(id, 0);
        await().until(() -> shells.readies(id).size() == 2);
        assertTheSessionAndTheConnectionAreFine(id);
    }

    @Test
    void inputBeyondTheCreditClosesOnlyThatSession() throws Exception {
        start();
        // A program that never reads, on a terminal out of canonical mode: there the kernel holds input back
        // once its buffers are full instead of discarding it (as a canonical line past 4 KiB is), so the writes
        // into the PTY stop, no credit comes back, and the input beyond the window is the client's fault.
        ByteString deaf = harness.open("sh", "-c", "stty -icanon -echo && echo deaf-ready && exec sleep 30");
        ByteString other = harness.open();
        await().until(() -> shells.text(deaf).contains("deaf-ready"));

        for (int i = 0; i < 2 * Limits.SHELL_WINDOW_BYTES / Limits.SHELL_CHUNK_BYTES; i++) {
            harness.send(ShellMessages.input(deaf, new byte[Limits.SHELL_CHUNK_BYTES]));
        }

        await().until(() -> shells.errorCodes(deaf).contains("flow_control"));
        await().atMost(Duration.ofSeconds(5)).until(() -> shells.exit(deaf) != null);
        assertTheSessionAndTheConnectionAreFine(other);
    }

    @Test
    void aProgramThatCannotRunIsASpawnFailure() throws Exception {
        start();
        ByteString id = ShellMessages.newId();

        ShellError error = refused(id, envelope(open(id, 24, 80, 1024, "/nonexistent/program")));

        assertThat(error.getCode()).isEqualTo("spawn_failed");
        assertThat(error.getMessage()).contains("/nonexistent/program").contains("no such file");
        assertThat(shells.readies(id)).isEmpty();
        assertThat(harness.server.handshakes()).isEqualTo(1);
    }

    @Test
    void opensBeyondTheSessionCapAreRefusedUntilOneEnds() throws Exception {
        start(config -> config.maxShells(2));
        ByteString first = harness.open("sleep", "30");
        ByteString second = harness.open();
        ByteString third = ShellMessages.newId();

        ShellError error = refused(third, envelope(open(third, 24, 80, 1024)));
        assertThat(error.getCode()).isEqualTo("too_many_sessions");
        assertThat(error.getMessage()).contains("--max-shells 2");

        harness.send(ShellMessages.close(first, true));
        await().atMost(Duration.ofSeconds(5)).until(() -> shells.exit(first) != null);
        shells.autoCredit(third, true);
        harness.send(envelope(open(third, 24, 80, Limits.SHELL_WINDOW_BYTES)));
        await().until(() -> !shells.readies(third).isEmpty());
        assertTheSessionAndTheConnectionAreFine(second);
    }
}
