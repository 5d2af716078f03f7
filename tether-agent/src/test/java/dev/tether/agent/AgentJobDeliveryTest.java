package dev.tether.agent;

import static dev.tether.agent.testing.Commands.envelope;
import static dev.tether.agent.testing.Commands.shell;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.agent.jobs.SpawnTestHook;
import dev.tether.agent.process.ProcFs;
import dev.tether.agent.state.JobStore;
import dev.tether.agent.state.StateStore;
import dev.tether.agent.testing.AgentProcess;
import dev.tether.agent.testing.Commands;
import dev.tether.agent.testing.FakeTetherServer;
import dev.tether.protocol.v1.CommandRequest;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.JobEvent;
import dev.tether.protocol.v1.JobFinished;
import dev.tether.protocol.v1.JobStarted;
import dev.tether.protocol.v1.JobFinished.Outcome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** At most once, reported exactly once: replays, restarts, deadlines, cancels and stops. */
class AgentJobDeliveryTest {

    @TempDir
    Path dir;

    private Path stateDir;
    private Path marker;
    private FakeTetherServer server;
    private Agent agent;

    @BeforeEach
    void start() throws Exception {
        stateDir = dir.resolve("state");
        marker = dir.resolve("marker");
        server = FakeTetherServer.start();
    }

    @AfterEach
    void stop() throws Exception {
        if (agent != null) {
            agent.close();
        }
        server.close();
    }

    private void startAgent() {
        agent = Agent.start(server.agentConfig(stateDir).build());
        await().until(agent::connected);
    }

    private JobFinished awaitFinished(String jobId) {
        await().atMost(Duration.ofSeconds(20)).until(() -> server.finished(jobId) != null);
        return server.finished(jobId);
    }

    private List<String> markerLines() throws Exception {
        return Files.exists(marker) ? Files.readAllLines(marker) : List.of();
    }

    @Test
    void aCommandReplayedWithTheSameSeqAfterAReconnectRunsOnce() throws Exception {
        startAgent();
        server.sendReliable(envelope(shell("job-1", "echo ran >> " + marker)));
        awaitFinished("job-1");
        await().until(() -> server.pendingForAgent() == 0);

        server.replayOnNextConnection(1);
        server.connection(1).drop();
        await().until(() -> server.handshakes() == 2);
        server.sendReliable(envelope(shell("job-2", "true")));
        awaitFinished("job-2");

        assertThat(markerLines()).containsExactly("ran");
        assertThat(server.jobEvents("job-1")).filteredOn(JobEvent::hasFinished).hasSize(1);
        assertThat(server.problems()).isEmpty();
    }

    @Test
    void aCommandForAKnownJobIdWithANewSeqRunsOnce() throws Exception {
        startAgent();
        server.sendReliable(envelope(shell("job-1", "echo ran >> " + marker)));
        awaitFinished("job-1");

        server.sendReliable(envelope(shell("job-1", "echo ran >> " + marker)));
        await().until(() -> server.pendingForAgent() == 0);
        server.sendReliable(envelope(shell("job-2", "true")));
        awaitFinished("job-2");

        assertThat(markerLines()).containsExactly("ran");
        assertThat(server.jobEvents("job-1")).filteredOn(JobEvent::hasFinished).hasSize(1);
    }

    @Test
    void aJobRunningWhenTheAgentProcessDiesIsReportedLostAtTheNextStartAndNotRunAgain() throws Exception {
        Path pidFile = dir.resolve("sleep.pid");
        Process child = AgentProcess.start(server.url(), stateDir, dir.resolve("child.log"));
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> server.handshakes() == 1);
            server.sendReliable(envelope(shell("job-1", "echo ran >> " + marker + "; sleep 300 & echo $! > "
                    + pidFile + "; wait")));
            await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(pidFile)
                    && Files.readString(pidFile).endsWith("\n"));
            await().until(() -> server.jobEvents("job-1").stream().anyMatch(JobEvent::hasStarted));
        } finally {
            child.destroyForcibly().waitFor();
        }
        long sleeper = Long.parseLong(Files.readString(pidFile).strip());

        startAgent();
        JobFinished finished = awaitFinished("job-1");

        assertThat(finished.getOutcome()).isEqualTo(Outcome.LOST);
        assertThat(finished.getError()).startsWith("agent restarted while the job was running")
                .contains(String.valueOf(sleeper));
        await().atMost(Duration.ofSeconds(3)).until(() -> gone(sleeper));
        assertThat(markerLines()).containsExactly("ran");
    }

    @Test
    void anAgentKilledBetweenSpawningAJobAndRecordingItStopsWhatTheJobLeftRunningAtItsNextStart() throws Exception {
        Path spawned = dir.resolve("spawned.pid");
        Path pidFile = dir.resolve("sleep.pid");
        // The test hook parks the agent right after the spawn, before markRunning; it is then killed -9.
        Process child = AgentProcess.start(server.url(), stateDir, dir.resolve("child.log"),
                Map.of(SpawnTestHook.VARIABLE, spawned.toString()));
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> server.handshakes() == 1);
            server.sendReliable(envelope(shell("job-1", "sleep 300 & echo $! > " + pidFile + "; wait")));
            await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(spawned) && Files.exists(pidFile)
                    && Files.readString(pidFile).endsWith("\n"));
        } finally {
            child.destroyForcibly().waitFor();
        }
        long shell = Long.parseLong(Files.readString(spawned).strip());
        long sleeper = Long.parseLong(Files.readString(pidFile).strip());
        assertThat(gone(shell) || gone(sleeper)).as("the job runs on after the agent died").isFalse();
        assertThat(server.jobEvents("job-1")).as("its start was never recorded").noneMatch(JobEvent::hasStarted);

        startAgent();
        JobFinished finished = awaitFinished("job-1");

        await("the job's processes stopped").atMost(Duration.ofSeconds(3)).until(() -> gone(shell) && gone(sleeper));
        assertThat(finished.getOutcome()).isEqualTo(Outcome.LOST);
        assertThat(finished.getError()).startsWith("agent restarted while the job was running")
                .contains(String.valueOf(shell), String.valueOf(sleeper));
    }

    @Test
    void aProcessRecordedRunningIsStoppedAtTheNextStartHoweverLongItsRecordTookToCommit() throws Exception {
        // Not a child of any agent and without TETHER_JOB_ID: only the recorded pid and start time find it.
        Process sleeper = new ProcessBuilder("sleep", "300").start();
        try {
            long ticks = ProcFs.startTicks(sleeper.pid()).orElseThrow();
            try (StateStore store = StateStore.open(stateDir)) {
                store.jobs().accept(1, "job-slow", "cmd-1", "exec", 1_000);
                store.jobs().markStarting("job-slow", "token-slow", ProcFs.bootId());
                // The commit came a minute after the spawn by the agent's clock.
                store.jobs().markRunning("job-slow", sleeper.pid(), ticks, System.currentTimeMillis() + 60_000,
                        Envelope.newBuilder().setJobEvent(JobEvent.newBuilder().setJobId("job-slow")
                                .setStarted(JobStarted.newBuilder().setPid(sleeper.pid()))).build());
            }

            startAgent();
            JobFinished finished = awaitFinished("job-slow");

            assertThat(sleeper.waitFor(3, TimeUnit.SECONDS)).as("the recorded process was stopped").isTrue();
            assertThat(finished.getOutcome()).isEqualTo(Outcome.LOST);
            assertThat(finished.getError()).contains(String.valueOf(sleeper.pid()));
        } finally {
            sleeper.destroyForcibly();
        }
    }

    private static boolean gone(long pid) {
        return ProcessHandle.of(pid).map(process -> !process.isAlive()).orElse(true);
    }

    @Test
    void aJobAcceptedButNotStartedBeforeACrashIsReportedLostToo() {
        try (StateStore store = StateStore.open(stateDir)) {
            store.jobs().accept(1, "job-queued", "cmd-1", "exec", 1_000);
        }

        startAgent();

        assertThat(awaitFinished("job-queued").getOutcome()).isEqualTo(Outcome.LOST);
        agent.close();
        try (StateStore store = StateStore.open(stateDir)) {
            assertThat(store.jobs().state("job-queued")).isEqualTo(JobStore.State.FINISHED);
        }
    }

    @Test
    void aCommandWhoseDeadlinePassedIsExpiredWithoutRunning() throws Exception {
        startAgent();

        JobFinished finished = send(shell("job-late", "echo ran >> " + marker)
                .setDeadlineMs(System.currentTimeMillis() - 1_000));

        assertThat(finished.getOutcome()).isEqualTo(Outcome.EXPIRED);
        assertThat(finished.getError()).contains("deadline passed");
        assertThat(server.jobEvents("job-late")).noneMatch(JobEvent::hasStarted);
        assertThat(markerLines()).isEmpty();
    }

    @Test
    void aCommandWithADeadlineAheadRuns() {
        startAgent();

        JobFinished finished = send(shell("job-soon", "true").setDeadlineMs(System.currentTimeMillis() + 60_000));

        assertThat(finished.getOutcome()).isEqualTo(Outcome.SUCCEEDED);
    }

    @Test
    void anUnknownTypeFailsWithoutRunning() {
        startAgent();

        JobFinished finished = send(Commands.typed("job-x", "x.unknown", "{}"));

        assertThat(finished.getOutcome()).isEqualTo(Outcome.FAILED);
        assertThat(finished.getError()).isEqualTo("unknown command type 'x.unknown' on this agent");
    }

    @Test
    void aCancelOfAnUnknownJobIsReportedAndTheLateRequestIsIgnored() throws Exception {
        startAgent();
        server.sendReliable(Commands.cancel("job-early"));
        assertThat(awaitFinished("job-early").getOutcome()).isEqualTo(Outcome.CANCELLED);

        server.sendReliable(envelope(shell("job-early", "echo ran >> " + marker)));
        server.sendReliable(envelope(shell("job-next", "true")));
        awaitFinished("job-next");

        assertThat(markerLines()).isEmpty();
        assertThat(server.jobEvents("job-early")).hasSize(1);
    }

    @Test
    void aCancelOfAFinishedJobIsIgnored() {
        startAgent();
        send(shell("job-done", "true"));

        server.sendReliable(Commands.cancel("job-done"));
        await().until(() -> server.pendingForAgent() == 0);
        send(shell("job-next", "true"));

        assertThat(server.jobEvents("job-done")).filteredOn(JobEvent::hasFinished).singleElement()
                .extracting(e -> e.getFinished().getOutcome()).isEqualTo(Outcome.SUCCEEDED);
    }

    @Test
    void aGracefulStopCancelsRunningJobsBeforeTheStoppingEvent() throws Exception {
        startAgent();
        server.sendReliable(envelope(shell("job-long", "echo started >> " + marker + "; sleep 300")));
        await().until(() -> markerLines().size() == 1);

        agent.close();
        agent = null;

        List<Envelope> applied = server.applied();
        int cancelled = indexOf(applied, e -> e.hasJobEvent() && e.getJobEvent().hasFinished()
                && e.getJobEvent().getFinished().getOutcome() == Outcome.CANCELLED);
        int stopping = indexOf(applied, e -> e.hasAgentEvent()
                && e.getAgentEvent().getType().equals("agent.stopping"));
        assertThat(cancelled).isNotNegative().isLessThan(stopping);
        assertThat(server.finished("job-long").getError()).isEqualTo("agent stopping");
        try (StateStore store = StateStore.open(stateDir)) {
            assertThat(store.jobs().state("job-long")).isEqualTo(JobStore.State.CANCELLED);
        }
    }

    @Test
    void theHelloAdvertisesTheBuiltInCommandTypes() {
        startAgent();

        assertThat(server.connection(1).hello().getCapabilitiesList())
                .containsExactly("cmd:exec", "cmd:health_check", "cmd:config", "cmd:self_update");
    }

    private JobFinished send(CommandRequest.Builder request) {
        server.sendReliable(envelope(request));
        return awaitFinished(request.getJobId());
    }

    private static int indexOf(List<Envelope> envelopes, Predicate<Envelope> match) {
        for (int i = 0; i < envelopes.size(); i++) {
            if (match.test(envelopes.get(i))) {
                return i;
            }
        }
        return -1;
    }
}
