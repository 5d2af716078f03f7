package dev.tether.agent;

import static dev.tether.agent.testing.Commands.envelope;
import static dev.tether.agent.testing.Commands.typed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.tether.agent.testing.Commands;
import dev.tether.agent.testing.FakeTetherServer;
import dev.tether.protocol.v1.CommandRequest;
import dev.tether.protocol.v1.ConfigApplied;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.JobEvent;
import dev.tether.protocol.v1.JobFinished;
import dev.tether.protocol.v1.JobFinished.Outcome;
import dev.tether.protocol.v1.JobOutput.Stream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SDK's custom commands and the built-in health_check, config and self_update commands. */
class AgentCommandsTest {

    @TempDir
    Path stateDir;

    private FakeTetherServer server;
    private Agent agent;

    @BeforeEach
    void startServer() throws Exception {
        server = FakeTetherServer.start();
    }

    @AfterEach
    void stop() throws Exception {
        if (agent != null) {
            agent.close();
        }
        server.close();
    }

    private void startAgent(Consumer<Agent> beforeConnect) {
        agent = Agent.start(server.agentConfig(stateDir).build(), beforeConnect);
        await().until(agent::connected);
    }

    private JobFinished run(CommandRequest.Builder request) {
        server.sendReliable(envelope(request));
        await().atMost(Duration.ofSeconds(20)).until(() -> server.finished(request.getJobId()) != null);
        return server.finished(request.getJobId());
    }

    @Test
    void aCustomHandlerRegisteredThroughTheSdkRunsAndItsOutputAndResultArrive() {
        startAgent(a -> a.registerCommand("backup.run", ctx -> {
            ctx.stdout("backing up " + ctx.params() + "\n");
            ctx.stderr("job " + ctx.jobId() + " of " + ctx.commandId() + "\n");
            return JobResult.success("{\"bytes\":1234}");
        }));

        JobFinished finished = run(typed("job-b", "backup.run", "{\"path\":\"/srv\"}"));

        assertThat(finished.getOutcome()).isEqualTo(Outcome.SUCCEEDED);
        assertThat(finished.getResultJson().toStringUtf8()).isEqualTo("{\"bytes\":1234}");
        assertThat(server.output("job-b", Stream.STDOUT)).isEqualTo("backing up {\"path\":\"/srv\"}\n");
        assertThat(server.output("job-b", Stream.STDERR)).isEqualTo("job job-b of cmd-job-b\n");
        assertThat(server.jobEvents("job-b").get(0).getStarted().getPid()).isZero();
        assertThat(server.connection(1).hello().getCapabilitiesList()).contains("cmd:backup.run");
    }

    @Test
    void aHandlerThatThrowsFailsWithTheMessage() {
        startAgent(a -> a.registerCommand("broken", ctx -> {
            throw new IllegalStateException("disk full");
        }));

        JobFinished finished = run(typed("job-f", "broken", "{}"));

        assertThat(finished.getOutcome()).isEqualTo(Outcome.FAILED);
        assertThat(finished.getError()).isEqualTo("IllegalStateException: disk full");
    }

    @Test
    void aCancelledHandlerIsInterruptedItsActionsRunAndItEndsCancelled() throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        AtomicBoolean actionRan = new AtomicBoolean();
        startAgent(a -> a.registerCommand("wait", ctx -> {
            ctx.onCancel(() -> actionRan.set(true));
            running.countDown();
            Thread.sleep(300_000);
            return JobResult.success();
        }));
        server.sendReliable(envelope(typed("job-w", "wait", "{}")));
        running.await();

        server.sendReliable(Commands.cancel("job-w"));

        await().until(() -> server.finished("job-w") != null);
        assertThat(server.finished("job-w").getOutcome()).isEqualTo(Outcome.CANCELLED);
        assertThat(actionRan).isTrue();
    }

    @Test
    void aHandlerPastItsTimeoutIsTimedOutAndSeesItsDeadline() {
        startAgent(a -> a.registerCommand("slow", ctx -> {
            ctx.stdout("deadline " + ctx.deadline().isPresent() + "\n");
            Thread.sleep(300_000);
            return JobResult.success();
        }));

        JobFinished finished = run(typed("job-s", "slow", "{}").setTimeoutS(1));

        assertThat(finished.getOutcome()).isEqualTo(Outcome.TIMED_OUT);
        assertThat(server.output("job-s", Stream.STDOUT)).isEqualTo("deadline true\n");
    }

    @Test
    void atMostSixteenJobsRunAtOnceTheRestWaitAndAWaitingJobCancelsWithoutStarting() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger running = new AtomicInteger();
        AtomicInteger mostAtOnce = new AtomicInteger();
        startAgent(a -> a.registerCommand("hold", ctx -> {
            mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
            release.await();
            running.decrementAndGet();
            return JobResult.success();
        }));
        for (int i = 0; i < 20; i++) {
            server.sendReliable(envelope(typed("job-" + i, "hold", "{}")));
        }
        await().until(() -> running.get() == 16);
        server.sendReliable(Commands.cancel("job-19"));
        await().until(() -> server.finished("job-19") != null);

        release.countDown();

        await().until(() -> IntStream.range(0, 19).allMatch(i -> server.finished("job-" + i) != null));
        assertThat(mostAtOnce).hasValue(16);
        assertThat(server.finished("job-19").getOutcome()).isEqualTo(Outcome.CANCELLED);
        assertThat(server.jobEvents("job-19")).noneMatch(JobEvent::hasStarted);
        for (int i = 0; i < 19; i++) {
            assertThat(server.finished("job-" + i).getOutcome()).as("job-" + i).isEqualTo(Outcome.SUCCEEDED);
        }
    }

    @Test
    void commandTypesFollowTheEventTypeRulesAndBuiltInNamesAreReserved() {
        startAgent(a -> { });
        CommandHandler handler = ctx -> JobResult.success();

        assertThatThrownBy(() -> agent.registerCommand("exec", handler)).hasMessageContaining("is built in");
        assertThatThrownBy(() -> agent.registerCommand("has space", handler)).hasMessageContaining("position 3");
        assertThatThrownBy(() -> agent.registerCommand("", handler)).hasMessageContaining("empty");
        agent.registerCommand("mine", handler);
        assertThatThrownBy(() -> agent.registerCommand("mine", handler)).hasMessageContaining("already registered");
        assertThatThrownBy(() -> JobResult.success("{not json")).hasMessageContaining("not well-formed JSON");
    }

    @Test
    void healthCheckReturnsFactsAndTheChecksIncludingCustomOnes() {
        startAgent(a -> a.registerHealthCheck("database", () -> HealthCheck.Result.ok("reachable")));

        JobFinished finished = run(typed("job-h", "health_check", "{}"));

        assertThat(finished.getOutcome()).isEqualTo(Outcome.SUCCEEDED);
        String result = finished.getResultJson().toStringUtf8();
        assertThat(result).startsWith("{\"healthy\":true,\"checks\":{")
                .contains("\"database\":{\"ok\":true,\"message\":\"reachable\"}")
                .contains("\"state_dir\":{\"ok\":true")
                .contains("\"hostname\":\"" + server.connection(1).hello().getHostname() + "\"")
                .contains("\"cpus\":" + Runtime.getRuntime().availableProcessors())
                .contains("\"mem_total_bytes\":", "\"disk_free_bytes\":", "\"agent_version\":\"dev\"",
                        "\"uptime_s\":", "\"outbox_depth\":", "\"state_dir\":\"" + stateDir.toAbsolutePath() + "\"");
    }

    @Test
    void aFailingHealthCheckMakesTheJobFailWithTheSameFacts() {
        startAgent(a -> a.registerHealthCheck("queue", () -> HealthCheck.Result.failed("12000 messages behind")));

        JobFinished finished = run(typed("job-u", "health_check", "{}"));

        assertThat(finished.getOutcome()).isEqualTo(Outcome.FAILED);
        assertThat(finished.getError()).isEqualTo("unhealthy: queue: 12000 messages behind");
        assertThat(finished.getResultJson().toStringUtf8()).startsWith("{\"healthy\":false,").contains("\"facts\"");
    }

    @Test
    void aConfigCommandIsAppliedThroughTheConfigPathOnce() throws Exception {
        startAgent(a -> { });
        String params = "{\"version\": 4, \"config\": {\"level\": \"debug\"}}";

        JobFinished first = run(typed("job-c1", "config", params));
        JobFinished again = run(typed("job-c2", "config", params));

        assertThat(first.getOutcome()).isEqualTo(Outcome.SUCCEEDED);
        assertThat(first.getResultJson().toStringUtf8()).isEqualTo("{\"version\":4,\"applied\":true}");
        assertThat(again.getResultJson().toStringUtf8()).isEqualTo("{\"version\":4,\"applied\":false}");
        assertThat(Files.readString(stateDir.resolve("config.json"))).isEqualTo("{\"level\": \"debug\"}");
        assertThat(server.applied()).filteredOn(Envelope::hasConfigApplied).extracting(Envelope::getConfigApplied)
                .containsExactly(ConfigApplied.newBuilder().setVersion(4).setOk(true).build());
        assertThat(server.appliedEventTypes()).containsOnlyOnce("agent.config_applied");
    }

    @Test
    void aConfigCommandWithoutAVersionFails() {
        startAgent(a -> { });

        JobFinished finished = run(typed("job-c", "config", "{\"config\": {}}"));

        assertThat(finished.getOutcome()).isEqualTo(Outcome.FAILED);
        assertThat(finished.getError()).startsWith("config params must be");
    }

    @Test
    void aSelfUpdateWithAWrongSha256IsRefusedAndTheAgentKeepsRunning() throws Exception {
        AtomicBoolean restarted = new AtomicBoolean();
        startAgent(a -> a.restartAction(() -> restarted.set(true)));
        HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        http.createContext("/agent.jar", exchange -> {
            exchange.sendResponseHeaders(200, 4);
            exchange.getResponseBody().write(new byte[] {'P', 'K', 3, 4});
            exchange.close();
        });
        http.start();
        try {
            String url = "http://127.0.0.1:" + http.getAddress().getPort() + "/agent.jar";
            JobFinished finished = run(typed("job-u", "self_update",
                    "{\"url\":\"" + url + "\",\"sha256\":\"" + "00".repeat(32) + "\"}"));

            assertThat(finished.getOutcome()).isEqualTo(Outcome.FAILED);
            assertThat(finished.getError()).startsWith("sha256 mismatch: expected " + "00".repeat(32) + " got ");
            assertThat(stateDir.resolve("updates")).isEmptyDirectory();
        } finally {
            http.stop(0);
        }
        assertThat(restarted).isFalse();
        run(Commands.shell("job-after", "true"));
        assertThat(agent.connected()).isTrue();
        assertThat(server.jobEvents("job-u")).noneMatch(e -> e.hasFinished()
                && e.getFinished().getOutcome() == Outcome.SUCCEEDED);
        assertThat(server.jobEvents("job-u").stream().filter(JobEvent::hasFinished)).hasSize(1);
    }
}
