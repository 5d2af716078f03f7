package dev.tether.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.tether.protocol.CloseCodes;
import dev.tether.protocol.v1.Envelope.PayloadCase;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.JobEvent;
import dev.tether.protocol.v1.JobFinished;
import dev.tether.protocol.v1.JobStarted;
import dev.tether.protocol.v1.ShellCredit;
import dev.tether.protocol.v1.ShellError;
import dev.tether.protocol.v1.ShellExit;
import dev.tether.protocol.v1.ShellOpen;
import dev.tether.protocol.v1.ShellOutput;
import dev.tether.protocol.v1.ShellReady;
import dev.tether.server.ServerConfig;
import dev.tether.server.shell.ShellId;
import dev.tether.server.testing.Api;
import dev.tether.server.testing.JobAgent.Script;
import dev.tether.server.testing.JobAgent;
import dev.tether.server.testing.TerminalClient;
import dev.tether.server.testing.TestAgent;
import dev.tether.server.testing.TestDatabase;
import dev.tether.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hostile agent: it holds a valid key and speaks the protocol correctly, but
 * lies, about other agents' jobs and shells, about its own labels, and floods.
 * Beside it a well-behaved bystander agent whose work must go on undisturbed.
 * Each case attacks one guarantee of {@code docs/security.md} through a real
 * server and real sockets; the last ones show a compromised agent cannot grow
 * the server (shell output outside the flow control is charged against the
 * message rate, what waits to be written to an agent that never reads is
 * bounded, the close codes it picks do not become metric series).
 */
class HostileAgentTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String CLOSES = "tether_connection_closes_total{code=\"%s\"}";

    @TempDir
    static Path dir;
    private static TestServer server;
    private static Api api;
    private static int agents;
    private final List<AutoCloseable> open = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(dir, TestDatabase.SQLITE, Duration.ofSeconds(30));
        api = server.api();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @AfterEach
    void closeAgents() throws Exception {
        for (AutoCloseable agent : open) {
            agent.close();
        }
    }

    @Test
    void jobEventsForAnotherAgentsRunningJobLeaveThatJobUnchanged() {
        Worker bystander = jobAgent(name("bystander"), new JsonObject(),
                Script.succeed("the bystander's output\n").taking(Duration.ofSeconds(2)));
        JobAgent liar = jobAgent(name("liar"), new JsonObject(), Script.succeed("never asked")).agent();
        JsonObject created = api.exec(List.of(bystander.enrolled().id()), "backup");
        String job = created.getJsonArray("jobs").getJsonObject(0).getString("id");
        api.awaitJob(job, "running");

        liar.send(JobEvent.newBuilder().setJobId(job).setStarted(JobStarted.newBuilder().setPid(666)).build());
        liar.send(JobEvent.newBuilder().setJobId(job).setFinished(JobFinished.newBuilder()
                .setOutcome(JobFinished.Outcome.FAILED).setExitCode(99).setError("forged")).build());
        await().atMost(WAIT).until(() -> liar.connection().highestAck() >= 2);

        assertThat(api.job(job).getString("state")).as("after the lies were applied").isEqualTo("running");
        JsonObject finished = api.awaitJob(job, "succeeded");
        assertThat(finished.getInteger("exit_code")).isZero();
        assertThat(finished.getString("error")).isNull();
        assertThat(api.get("/api/v1/jobs/" + job + "/output").json().getJsonArray("chunks").getJsonObject(0)
                .getString("data")).isEqualTo("the bystander's output\n");
    }

    @Test
    void shellTrafficForAnotherAgentsSessionNeverReachesItsClient() {
        Api.Enrolled bystanderKey = api.enrol(name("shell-bystander"));
        TestAgent bystander = shellAgent(bystanderKey);
        TestAgent liar = shellAgent(api.enrol(name("shell-liar")));
        TerminalClient client = TerminalClient.open(server.port(), TestServer.ADMIN_TOKEN, bystanderKey.id(), "");
        open.add(client);
        ShellOpen shell = bystander.await(PayloadCase.SHELL_OPEN).getShellOpen();
        ByteString session = shell.getSessionId();
        bystander.send(Envelope.newBuilder().setShellReady(ShellReady.newBuilder().setSessionId(session)
                .setPid(4242).setAttached(false)).build());
        await().atMost(WAIT).until(() -> client.hasControl("ready"));

        liar.send(Envelope.newBuilder().setShellOutput(ShellOutput.newBuilder().setSessionId(session).setOffset(0)
                .setData(ByteString.copyFromUtf8("forged output"))).build());
        liar.send(Envelope.newBuilder().setShellError(ShellError.newBuilder().setSessionId(session)
                .setMessage("forged error")).build());
        liar.send(Envelope.newBuilder().setShellExit(ShellExit.newBuilder().setSessionId(session)
                .setExitCode(66)).build());
        processedOrClosed(liar);

        bystander.send(Envelope.newBuilder().setShellOutput(ShellOutput.newBuilder().setSessionId(session)
                .setOffset(0).setData(ByteString.copyFromUtf8("real output"))).build());
        await().atMost(WAIT).until(() -> client.output().contains("real output"));
        assertThat(client.output()).isEqualTo("real output");
        assertThat(client.closeCode()).as("the bystander's session goes on").isNull();
        assertThat(client.hasControl("exit")).isFalse();
        bystander.send(Envelope.newBuilder().setShellExit(ShellExit.newBuilder().setSessionId(session)
                .setExitCode(0)).build());
        await().atMost(WAIT).until(() -> client.hasControl("exit"));
        assertThat(client.first("exit").getInteger("exit_code")).isZero();
    }

    @Test
    void labelsAnAgentClaimsInItsHelloPutItInNoSelectorAndNoScope() {
        Worker prod = jobAgent(name("real-prod"), new JsonObject().put("tier", "prod"), Script.succeed("ok"));
        Api.Enrolled liarKey = api.enrol(name("claims-prod"), new JsonObject().put("tier", "dev"));
        TestAgent liar = TestAgent.connect(server.port(), liarKey.key());
        open.add(liar);
        liar.hello(TestAgent.defaultHello().putLabels("tier", "prod").addCapabilities("shell"));

        JsonObject created = api.createCommand(new JsonObject().put("selector", "tier=prod")
                .put("argv", new JsonArray().add("true")));
        assertThat(created.getJsonArray("jobs")).hasSize(1);
        assertThat(created.getJsonArray("jobs").getJsonObject(0).getString("agent_id"))
                .isEqualTo(prod.enrolled().id());
        JsonObject shown = api.get("/api/v1/agents/" + liarKey.id()).json();
        assertThat(shown.getJsonObject("labels").getString("tier")).isEqualTo("dev");
        assertThat(shown.getJsonObject("reported_labels").getString("tier")).isEqualTo("prod");

        String operator = name("prod-operator");
        api.createUser(operator, "operator", "tier=prod", "a long enough password 123");
        String token = api.login(operator, "a long enough password 123");
        Api.Response shell = TerminalClient.rejection(server.port(), token, liarKey.id(), "");
        assertThat(shell.status()).as("a shell on the liar through its claimed label").isEqualTo(403);
        assertThat(api.withToken(token).post("/api/v1/commands", new JsonObject()
                .put("agents", new JsonArray().add(liarKey.id())).put("argv", new JsonArray().add("true")).encode())
                .status()).as("a command to the liar through its claimed label").isEqualTo(403);
    }

    @Test
    void anAgentSendingFarMoreThanTwoThousandMessagesASecondIsClosedWith1008AndTheBystanderIsServed() {
        TestAgent bystander = TestAgent.connect(server.port(), api.enrol(name("calm")).key());
        open.add(bystander);
        bystander.hello();
        TestAgent flooder = TestAgent.connect(server.port(), api.enrol(name("flooder")).key());
        open.add(flooder);
        flooder.hello();

        for (int i = 0; i < 40_000 && !flooder.isClosed(); i++) {
            flooder.heartbeat();
        }

        assertThat(flooder.awaitCloseCode(WAIT)).isEqualTo(CloseCodes.POLICY_VIOLATION);
        bystander.heartbeatAcked();
    }

    // ------------------------------------------------------------ a compromised agent cannot grow the server

    /**
     * An agent ignores the window and sends 2,100 reliable payloads at once while the database stalls (a test
     * connection holds SQLite's write lock), so nothing is applied: the server holds exactly the window (512) and
     * stops reading; without the pause it would read on past 2,048 and close with 1008. Once the disk is back,
     * every payload is applied once and the agent stays connected.
     */
    @Test
    void anAgentIgnoringTheWindowWhileTheDiskStallsIsReadNoFurtherThanTheWindowAndLosesNothing(
            @TempDir Path own) throws Exception {
        ServerConfig config = TestServer.config(own, TestDatabase.SQLITE, Duration.ofSeconds(30));
        int payloads = ReliableSession.MAX_INBOUND + 52;
        try (TestServer stalled = TestServer.start(config)) {
            Api.Enrolled enrolled = stalled.api().enrol("eager");
            TestAgent agent = TestAgent.connect(stalled.port(), enrolled.key());
            open.add(agent);
            agent.hello();
            try (Connection lock = DriverManager.getConnection(config.jdbcUrl());
                    Statement statement = lock.createStatement()) {
                statement.execute("BEGIN IMMEDIATE");

                for (long seq = 1; seq <= payloads; seq++) {
                    agent.event(seq, "test.eager");
                }

                await("the server read up to the window").atMost(WAIT).until(() ->
                        stalled.api().metric("tether_reliable_inbound_peak") >= ReliableSession.PAUSE_READING_AT);
                Thread.sleep(1000);
                assertThat(stalled.api().metric("tether_reliable_inbound_peak")).as("held while stalled")
                        .isEqualTo(ReliableSession.PAUSE_READING_AT);
                assertThat(agent.isClosed()).as("paused, not closed: " + agent.closeReason()).isFalse();
                statement.execute("ROLLBACK");
            }

            await("every payload acknowledged").atMost(WAIT).until(() -> {
                agent.heartbeat();
                return agent.highestAck() == payloads;
            });
            assertThat(agent.isClosed()).isFalse();
            assertThat(stalled.api().metric("tether_reliable_inbound_peak")).as("never more than the window")
                    .isEqualTo(ReliableSession.PAUSE_READING_AT);
            try (Connection db = DriverManager.getConnection(config.jdbcUrl());
                    Statement statement = db.createStatement();
                    ResultSet counted = statement.executeQuery("SELECT count(*), count(DISTINCT agent_seq)"
                            + " FROM agent_events WHERE type = 'test.eager'")) {
                counted.next();
                assertThat(counted.getInt(1)).as("each applied once").isEqualTo(payloads);
                assertThat(counted.getInt(2)).isEqualTo(payloads);
            }
        }
    }

    private static TestAgent hostileShellAgent() {
        Api.Enrolled enrolled = server.api().enrol("hostile-" + ++agents);
        TestAgent agent = TestAgent.connect(server.port(), enrolled.key());
        agent.hello(TestAgent.defaultHello().addCapabilities("shell"));
        return agent;
    }

    /** The agent answers the client's shell open with ShellReady; returns once the client has seen it. */
    private static ShellOpen ready(TestAgent agent, TerminalClient client) {
        ShellOpen open = agent.await(PayloadCase.SHELL_OPEN).getShellOpen();
        agent.send(Envelope.newBuilder().setShellReady(ShellReady.newBuilder().setSessionId(open.getSessionId())
                .setPid(1)).build());
        await().until(() -> client.hasControl("ready"));
        return open;
    }

    private static double closes(String code) {
        return server.api().metric(CLOSES.formatted(code));
    }

    @Test
    void anAgentFloodingShellOutputForUnknownSessionsWhileNeverReadingIsClosedWith1008() {
        TestAgent agent = hostileShellAgent();
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

    /**
     * One keystroke, one ShellInput, one ShellCredit back: a fast typist (or a program reading a paste a byte at a
     * time) makes the agent return credit faster than the message budget, and it must not be closed for it.
     */
    @Test
    void anAgentReturningCreditForEveryKeystrokeFasterThanTheMessageBudgetStaysConnected() {
        TestAgent agent = hostileShellAgent();
        String name = "hostile-" + agents;
        double before = closes("1008");
        int keystrokes = 3 * MessageRate.BURST;
        try (TerminalClient client = TerminalClient.open(server.port(), TestServer.ADMIN_TOKEN, name, "")) {
            ShellOpen open = ready(agent, client);
            for (int i = 0; i < keystrokes; i++) {
                client.type("x");
            }

            long start = System.nanoTime();
            int credits = 0;
            for (int returned = 0; returned < keystrokes; credits++) {
                int bytes = agent.await(PayloadCase.SHELL_INPUT, WAIT).getShellInput().getData().size();
                agent.send(Envelope.newBuilder().setShellCredit(ShellCredit.newBuilder()
                        .setSessionId(open.getSessionId()).setBytes(bytes)).build());
                returned += bytes;
            }
            double seconds = (System.nanoTime() - start) / 1e9;

            assertThat((double) credits).as("credits sent faster than the budget, or this proves nothing")
                    .isGreaterThan(MessageRate.BURST + MessageRate.SUSTAINED_PER_SECOND * seconds);
            agent.heartbeatAcked();
            assertThat(agent.isClosed()).isFalse();
            assertThat(closes("1008")).isEqualTo(before);
        }
    }

    @Test
    void anAgentFloodingInputCreditItIsNotOwedIsClosedWith1008() {
        TestAgent agent = hostileShellAgent();
        String name = "hostile-" + agents;
        double before = closes("1008");
        try (TerminalClient client = TerminalClient.open(server.port(), TestServer.ADMIN_TOKEN, name, "")) {
            ShellOpen open = ready(agent, client);
            byte[] credit = Envelope.newBuilder().setShellCredit(ShellCredit.newBuilder()
                    .setSessionId(open.getSessionId()).setBytes(1)).build().toByteArray();
            byte[] orphanCredit = Envelope.newBuilder().setShellCredit(ShellCredit.newBuilder()
                    .setSessionId(ShellId.random().bytes()).setBytes(1)).build().toByteArray();

            for (int i = 0; i < 5 * MessageRate.BURST && !agent.isClosed(); i++) {
                agent.sendBytes(i % 2 == 0 ? credit : orphanCredit);
            }

            await().until(() -> closes("1008") == before + 1);
        }
    }

    @Test
    void anAgentThatNeverReadsWhileTheServerHasMuchToSendItIsClosedNotBufferedFor() {
        TestAgent agent = hostileShellAgent();
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

            // Beyond the limit by more than loopback's socket buffers can hold (up to tcp_rmem's 32 MiB and
            // tcp_wmem's 4 MiB here) plus the test agent's paused queue: with 8 MiB more, it failed once.
            for (long sent = 0; sent <= AgentConnection.MAX_UNWRITTEN_BYTES + (40 << 20); sent += chunk.length()) {
                client.type(chunk);
            }

            await().atMost(Duration.ofSeconds(20)).until(() -> closes("4005") == before + 1);
        }
    }

    @Test
    void aCloseCodeTheServerDoesNotKnowIsCountedAsOther() {
        TestAgent agent = hostileShellAgent();
        double before = closes("other");

        agent.close(4999, "made up");

        await().until(() -> closes("other") == before + 1);
        assertThat(server.api().get("/metrics").body()).doesNotContain("code=\"4999\"");
    }

    // ------------------------------------------------------------ fixtures

    private static String name(String prefix) {
        return prefix + "-" + ++agents;
    }

    /** A scripted job agent and its enrolment. */
    private record Worker(Api.Enrolled enrolled, JobAgent agent) {
    }

    private Worker jobAgent(String name, JsonObject labels, Script script) {
        Api.Enrolled enrolled = api.enrol(name, labels);
        JobAgent agent = JobAgent.connect(server.port(), enrolled.key(), request -> script);
        open.add(agent);
        return new Worker(enrolled, agent);
    }

    private TestAgent shellAgent(Api.Enrolled enrolled) {
        TestAgent agent = TestAgent.connect(server.port(), enrolled.key());
        open.add(agent);
        agent.hello(TestAgent.defaultHello().addCapabilities("shell"));
        return agent;
    }

    /** Waits until the server processed everything sent so far on {@code agent}, or closed it for it. */
    private static void processedOrClosed(TestAgent agent) {
        agent.heartbeat();
        await().atMost(WAIT).until(() -> agent.isClosed()
                || agent.next(Duration.ofMillis(50)) instanceof Envelope e && e.hasHeartbeatAck());
    }
}
