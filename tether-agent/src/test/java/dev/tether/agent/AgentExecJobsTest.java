package dev.tether.agent;

import static dev.tether.agent.testing.Commands.envelope;
import static dev.tether.agent.testing.Commands.exec;
import static dev.tether.agent.testing.Commands.shell;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.agent.testing.Commands;
import dev.tether.agent.testing.FakeTetherServer;
import dev.tether.protocol.v1.CommandRequest;
import dev.tether.protocol.v1.JobEvent;
import dev.tether.protocol.v1.JobFinished;
import dev.tether.protocol.v1.JobFinished.Outcome;
import dev.tether.protocol.v1.JobOutput;
import dev.tether.protocol.v1.JobOutput.Stream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The built-in exec command with real processes, against a fake server over a real socket. */
class AgentExecJobsTest {

    @TempDir
    Path dir;

    private FakeTetherServer server;
    private Agent agent;

    @BeforeEach
    void start() throws Exception {
        server = FakeTetherServer.start();
        agent = Agent.start(server.agentConfig(dir.resolve("state")).build());
        await().until(agent::connected);
    }

    @AfterEach
    void stop() throws Exception {
        agent.close();
        server.close();
    }

    private JobFinished run(CommandRequest.Builder request) {
        server.sendReliable(envelope(request));
        return awaitFinished(request.getJobId());
    }

    private JobFinished awaitFinished(String jobId) {
        await().atMost(Duration.ofSeconds(20)).until(() -> server.finished(jobId) != null);
        return server.finished(jobId);
    }

    private static boolean gone(long pid) {
        return ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true);
    }

    private long awaitPid(Path pidFile) throws Exception {
        await().until(() -> Files.exists(pidFile) && Files.readString(pidFile).endsWith("\n"));
        return Long.parseLong(Files.readString(pidFile).strip());
    }

    @Test
    void execStreamsStdoutAndStderrAndReportsStartAndExitCode() {
        JobFinished finished = run(shell("job-1", "echo out; echo err >&2; echo $TETHER_JOB_ID"));

        assertThat(finished.getOutcome()).isEqualTo(Outcome.SUCCEEDED);
        assertThat(finished.getExitCode()).isZero();
        assertThat(server.output("job-1", Stream.STDOUT)).isEqualTo("out\njob-1\n");
        assertThat(server.output("job-1", Stream.STDERR)).isEqualTo("err\n");
        List<JobEvent> events = server.jobEvents("job-1");
        assertThat(events.get(0).hasStarted()).isTrue();
        assertThat(events.get(0).getStarted().getPid()).isPositive();
        assertThat(events.get(events.size() - 1).hasFinished()).isTrue();
    }

    @Test
    void aNonZeroExitFailsWithThatExitCode() {
        JobFinished finished = run(shell("job-3", "exit 3"));

        assertThat(finished.getOutcome()).isEqualTo(Outcome.FAILED);
        assertThat(finished.getExitCode()).isEqualTo(3);
        assertThat(finished.getError()).isEqualTo("exited with code 3");
    }

    @Test
    void envAndCwdAreApplied() throws Exception {
        Path work = Files.createDirectory(dir.resolve("work"));
        CommandRequest.Builder request = shell("job-env", "pwd; echo $GREETING");
        request.getExecBuilder().putEnv("GREETING", "hello").setCwd(work.toString());

        run(request);

        assertThat(server.output("job-env", Stream.STDOUT)).isEqualTo(work.toRealPath() + "\nhello\n");
    }

    @Test
    void aProgramThatDoesNotExistFailsWithTheReasonAndWithoutStarting() {
        JobFinished finished = run(exec("job-missing", "no-such-program-here", "x"));

        assertThat(finished.getOutcome()).isEqualTo(Outcome.FAILED);
        assertThat(finished.getError()).contains("cannot run no-such-program-here").contains("no such file");
        assertThat(server.jobEvents("job-missing")).noneMatch(JobEvent::hasStarted);
    }

    @Test
    void aTimeoutKillsTheWholeProcessGroup() throws Exception {
        Path pidFile = dir.resolve("timeout.pid");
        server.sendReliable(envelope(shell("job-t", "sleep 300 & echo $! > " + pidFile + "; wait").setTimeoutS(1)));
        long grandchild = awaitPid(pidFile);

        JobFinished finished = awaitFinished("job-t");

        assertThat(finished.getOutcome()).isEqualTo(Outcome.TIMED_OUT);
        assertThat(finished.getError()).isEqualTo("timed out after 1 s");
        await().atMost(Duration.ofSeconds(2)).until(() -> gone(grandchild));
    }

    @Test
    void aCancelKillsTheWholeProcessGroup() throws Exception {
        Path pidFile = dir.resolve("cancel.pid");
        server.sendReliable(envelope(shell("job-c", "sleep 300 & echo $! > " + pidFile + "; wait")));
        long grandchild = awaitPid(pidFile);

        server.sendReliable(Commands.cancel("job-c"));
        JobFinished finished = awaitFinished("job-c");

        assertThat(finished.getOutcome()).isEqualTo(Outcome.CANCELLED);
        await().atMost(Duration.ofSeconds(2)).until(() -> gone(grandchild));
    }

    @Test
    void aGroupThatIgnoresSigtermIsKilledAfterTheGrace() throws Exception {
        Path pidFile = dir.resolve("stubborn.pid");
        server.sendReliable(envelope(shell("job-s", "trap '' TERM; sleep 300 & echo $! > " + pidFile + "; wait")));
        long grandchild = awaitPid(pidFile);
        long cancelled = System.nanoTime();

        server.sendReliable(Commands.cancel("job-s"));
        JobFinished finished = awaitFinished("job-s");

        assertThat(finished.getOutcome()).isEqualTo(Outcome.CANCELLED);
        assertThat(Duration.ofNanos(System.nanoTime() - cancelled)).isGreaterThanOrEqualTo(Duration.ofMillis(4500));
        await().atMost(Duration.ofSeconds(2)).until(() -> gone(grandchild));
    }

    @Test
    void outputIsCappedAt16MiBWithOneTruncationMarkerAndTheProcessStillFinishes() {
        JobFinished finished = run(shell("job-big", "head -c 20000000 /dev/zero; echo done >&2"));

        assertThat(finished.getOutcome()).isEqualTo(Outcome.SUCCEEDED);
        List<JobOutput> chunks = server.jobEvents("job-big").stream().filter(JobEvent::hasOutput)
                .map(JobEvent::getOutput).toList();
        assertThat(chunks).allMatch(c -> c.getData().size() <= 32 * 1024);
        assertThat(chunks.stream().mapToLong(c -> c.getData().size()).sum())
                .isEqualTo(16L * 1024 * 1024 + "[tether: output truncated at 16 MiB]".length());
        assertThat(chunks).filteredOn(c -> c.getData().toStringUtf8().contains("truncated")).singleElement()
                .extracting(c -> c.getData().toStringUtf8()).isEqualTo("[tether: output truncated at 16 MiB]");
        assertThat(server.output("job-big", Stream.STDERR)).doesNotContain("done");
    }

    @Test
    void outputOfASlowProcessArrivesWhileItRuns() throws Exception {
        server.sendReliable(envelope(shell("job-slow", "echo first; sleep 300")));

        await().atMost(Duration.ofSeconds(2)).until(() -> server.output("job-slow", Stream.STDOUT).equals("first\n"));
        assertThat(server.finished("job-slow")).isNull();
        server.sendReliable(Commands.cancel("job-slow"));
        assertThat(awaitFinished("job-slow").getOutcome()).isEqualTo(Outcome.CANCELLED);
    }
}
