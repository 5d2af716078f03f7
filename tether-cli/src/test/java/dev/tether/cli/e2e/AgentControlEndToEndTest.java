package dev.tether.cli.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tether agent status} and {@code tether agent emit} against a real agent process and a real server:
 * through the running agent's control socket while it runs, connected or not, and from its state database once
 * it stopped; an event emitted while the server is down reaches it once after it is back.
 */
class AgentControlEndToEndTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void statusAndEmitWorkThroughTheRunningAgentAndStatusReadsTheStateOnceItStopped() throws Exception {
        try (Fleet fleet = new Fleet(dir, "AgentControlEndToEndTest/status-and-emit", null, "1s")) {
            fleet.startServer();
            Fleet.AgentIdentity agent = fleet.createAgent("hooked");
            JavaProcess process = fleet.startAgent(agent, fleet.url());
            await("agent online").atMost(WAIT).until(() -> "online".equals(fleet.api().status(agent.id())));
            String state = agent.stateDir().toString();

            Path socket = agent.stateDir().resolve("agent.sock");
            assertThat(Files.getPosixFilePermissions(socket)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
            Fleet.CliResult connected = fleet.cli("agent", "status", "--state-dir", state);
            assertThat(connected.exit()).as(connected.output()).isZero();
            assertThat(connected.output())
                    .contains("hooked (id " + agent.id() + ")")
                    .contains("running       yes, pid " + process.pid())
                    .contains("connected     yes, to ws://127.0.0.1:" + fleet.port())
                    .contains("outbox        empty");
            JsonObject json = new JsonObject(fleet.cli("agent", "status", "--state-dir", state, "--json").output());
            assertThat(json.getBoolean("connected")).isTrue();
            assertThat(json.getString("agent_id")).isEqualTo(agent.id());
            assertThat(json.getJsonArray("boots")).hasSize(1);

            assertThat(fleet.cli("agent", "emit", "job.started", "{\"job\":42}", "--state-dir", state).exit()).isZero();
            assertThat(fleet.cliWithInput("{\"bytes\":7}", "agent", "emit", "backup.done", "-", "--state-dir", state)
                    .exit()).isZero();
            Fleet.CliResult badType = fleet.cli("agent", "emit", "job started", "{}", "--state-dir", state);
            assertThat(badType.exit()).isEqualTo(2);
            assertThat(badType.output()).contains("event type 'job started'");
            Fleet.CliResult badJson = fleet.cli("agent", "emit", "job.ended", "{\"x\":", "--state-dir", state);
            assertThat(badJson.exit()).isEqualTo(2);
            assertThat(badJson.output()).contains("not well-formed JSON").contains("nothing was sent");
            await("events on the server").atMost(WAIT)
                    .until(() -> fleet.api().events(agent.id(), "backup.done").size() == 1);
            List<JsonObject> started = fleet.api().events(agent.id(), "job.started");
            assertThat(started).hasSize(1);
            assertThat(started.getFirst().getJsonObject("payload").getInteger("job")).isEqualTo(42);
            assertThat(fleet.api().events(agent.id(), "job.ended")).isEmpty();

            // The server goes away: the agent keeps the event and says why it is not connected.
            assertThat(fleet.server().stop()).isIn(0, 143);
            await("agent notices").atMost(WAIT).until(() ->
                    fleet.cli("agent", "status", "--state-dir", state).exit() == 3);
            assertThat(fleet.cli("agent", "emit", "while.down", "{\"n\":1}", "--state-dir", state).exit()).isZero();
            Fleet.CliResult down = fleet.cli("agent", "status", "--state-dir", state);
            assertThat(down.exit()).isEqualTo(3);
            assertThat(down.output())
                    .contains("connected     no (since ")
                    .contains("waiting for the server; oldest: seq ")
                    .contains("connection to ws://127.0.0.1:" + fleet.port());

            fleet.startServer();
            await("the event emitted while the server was down").atMost(WAIT)
                    .until(() -> fleet.api().events(agent.id(), "while.down").size() == 1);
            await("outbox drained").atMost(WAIT).until(() ->
                    fleet.cli("agent", "status", "--state-dir", state).output().contains("outbox        empty"));
            assertThat(fleet.api().events(agent.id(), "while.down")).hasSize(1);

            // Stopped: the status comes from the state database, and emit stores nothing.
            assertThat(process.stop()).isIn(0, 143);
            assertThat(socket).doesNotExist();
            Fleet.CliResult stopped = fleet.cli("agent", "status", "--state-dir", state);
            assertThat(stopped.exit()).as(stopped.output()).isEqualTo(4);
            assertThat(stopped.output())
                    .contains("running       no (last run: version ")
                    .contains("connected     no; last connected to ws://127.0.0.1:" + fleet.port())
                    .contains(", until ")
                    .contains("hooked (id " + agent.id() + ")");
            Fleet.CliResult notRunning = fleet.cli("agent", "emit", "late.event", "{}", "--state-dir", state);
            assertThat(notRunning.exit()).isEqualTo(1);
            assertThat(notRunning.output()).contains("the agent is not running").contains("not stored");

            Fleet.CliResult nowhere = fleet.cli("agent", "status", "--state-dir", dir.resolve("nowhere").toString());
            assertThat(nowhere.exit()).isEqualTo(1);
            assertThat(nowhere.output()).contains("no agent state in").contains("--state-dir");
        }
    }
}
