package dev.tether.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.tether.agent.testing.ShellHarness;
import dev.tether.agent.testing.ShellMessages;
import dev.tether.agent.testing.ShellRecorder;
import dev.tether.protocol.Limits;
import dev.tether.protocol.v1.ShellReady;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Detached sessions: they keep running, keep their scrollback, and replay it exactly on re-attach. */
class AgentShellReattachTest {

    @TempDir
    Path dir;

    private ShellHarness harness;
    private ShellRecorder shells;

    private void start(Duration idleTimeout) throws Exception {
        harness = ShellHarness.start(dir.resolve("state"), config -> config.shellIdleTimeout(idleTimeout));
        shells = harness.shells;
    }

    @AfterEach
    void stop() throws Exception {
        harness.close();
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** Types a line whose output comes after a pause, and detaches before it comes; waits for it to be written. */
    private void detachBeforeOutput(ByteString id, String text) throws Exception {
        Path done = dir.resolve(text);
        harness.type(id, "sleep 0.3; echo " + text + "-$((1+1)); touch " + done);
        harness.send(ShellMessages.close(id, false));
        await().until(() -> Files.exists(done));
    }

    @Test
    void anAttachReplaysFromTheClientsOffsetToTheSameProgram() throws Exception {
        start(Duration.ofMinutes(1));
        ByteString id = harness.open();
        harness.type(id, "echo one-$((0+1))");
        await().until(() -> shells.text(id).contains("one-1"));
        detachBeforeOutput(id, "two");
        long has = shells.outputBytes(id);

        harness.attach(id, has);

        await().until(() -> shells.readies(id).size() == 2);
        ShellReady ready = shells.readies(id).get(1);
        assertThat(ready.getAttached()).isTrue();
        assertThat(ready.getOutputOffset()).isEqualTo(has);
        assertThat(ready.getPid()).isEqualTo(harness.pid(id));
        await().until(() -> shells.textAfterReady(id, 2).contains("two-2"));
        assertThat(shells.textAfterReady(id, 2)).doesNotContain("one-1");
        assertThat(shells.outputs(id).stream().filter(o -> o.getOffset() >= has).findFirst().orElseThrow()
                .getOffset()).isEqualTo(has);

        harness.type(id, "echo three-$((1+2))");
        await().until(() -> shells.textAfterReady(id, 2).contains("three-3"));
        assertThat(shells.violations()).isEmpty();
    }

    @Test
    void aClientWithNothingGetsTheWholeScrollback() throws Exception {
        start(Duration.ofMinutes(1));
        ByteString id = harness.open();
        harness.type(id, "echo one-$((0+1))");
        await().until(() -> shells.text(id).contains("one-1"));
        harness.send(ShellMessages.close(id, false));

        harness.attach(id, 0);

        await().until(() -> shells.readies(id).size() == 2);
        assertThat(shells.readies(id).get(1).getOutputOffset()).isZero();
        await().until(() -> shells.textAfterReady(id, 2).contains("one-1"));
    }

    @Test
    void aLongAbsenceReplaysTheLastScrollbackBytesAndSaysWhereTheyStart() throws Exception {
        start(Duration.ofMinutes(1));
        ByteString id = harness.open();
        Path done = dir.resolve("done");
        harness.type(id, "sleep 0.3; head -c 300000 /dev/zero | tr '\\0' x; touch " + done);
        await().until(() -> shells.inputCreditReturned(id) > 0);
        harness.send(ShellMessages.close(id, false));
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(done));
        long has = shells.outputBytes(id);

        harness.attach(id, has);

        await().until(() -> shells.readies(id).size() == 2);
        long from = shells.readies(id).get(1).getOutputOffset();
        assertThat(from).isGreaterThan(has + 200_000);
        await().during(Duration.ofMillis(300)).until(() -> shells.outputBytes(id) - has == Limits.DEFAULT_SHELL_SCROLLBACK_BYTES);
        assertThat(shells.textAfterReady(id, 2)).startsWith("xxxx");
        assertThat(shells.violations()).isEmpty();
    }

    @Test
    void aDroppedLinkLeavesTheSessionRunningAndTheNextHelloListsIt() throws Exception {
        start(Duration.ofMinutes(1));
        ByteString id = harness.open();
        harness.type(id, "echo one-$((0+1))");
        await().until(() -> shells.text(id).contains("one-1"));
        long has = shells.outputBytes(id);

        harness.server.connection(1).drop();

        await().until(() -> harness.server.handshakes() == 2);
        assertThat(harness.server.connection(2).hello().getShellSessionsList()).containsExactly(id);
        assertThat(alive(harness.pid(id))).isTrue();
        harness.attach(id, has);
        await().until(() -> shells.readies(id).size() == 2);
        assertThat(shells.readies(id).get(1).getPid()).isEqualTo(harness.pid(id));
        assertThat(shells.readies(id).get(1).getOutputOffset()).isEqualTo(has);
        harness.type(id, "echo back-$((2+2))");
        await().until(() -> shells.textAfterReady(id, 2).contains("back-4"));
        assertThat(shells.violations()).isEmpty();
    }

    @Test
    void aSessionThatExitedWhileDetachedReplaysAndThenReportsTheExit() throws Exception {
        start(Duration.ofMinutes(1));
        ByteString id = harness.open();
        long pid = harness.pid(id);
        harness.type(id, "sleep 0.3; echo last-$((2+2)); exit 5");
        harness.send(ShellMessages.close(id, false));
        await().atMost(Duration.ofSeconds(5)).until(() -> !alive(pid));
        await().during(Duration.ofMillis(200)).until(() -> shells.exit(id) == null);

        harness.attach(id, 0);

        await().until(() -> shells.exit(id) != null);
        assertThat(shells.textAfterReady(id, 2)).contains("last-4");
        assertThat(shells.exit(id).getExitCode()).isEqualTo(5);
        assertThat(shells.outputAfterExit(id)).isEmpty();
    }

    @Test
    void aSessionDetachedForTheIdleTimeoutIsKilled() throws Exception {
        start(Duration.ofMillis(700));
        ByteString id = harness.open();
        long pid = harness.pid(id);

        harness.send(ShellMessages.close(id, false));

        await().atMost(Duration.ofSeconds(5)).until(() -> shells.exit(id) != null);
        assertThat(shells.exit(id).getSignal()).isNotEmpty();
        assertThat(alive(pid)).isFalse();
        harness.attach(id, 0);
        await().until(() -> shells.errorCodes(id).contains("not_found"));
    }

    @Test
    void anAttachBeforeTheIdleTimeoutKeepsTheSession() throws Exception {
        start(Duration.ofMillis(700));
        ByteString id = harness.open();
        harness.send(ShellMessages.close(id, false));
        harness.attach(id, 0);
        await().until(() -> shells.readies(id).size() == 2);

        await().during(Duration.ofMillis(1_200)).until(() -> shells.exit(id) == null);
        assertThat(alive(harness.pid(id))).isTrue();
    }
}
