package dev.tether.server.shell;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.tether.protocol.Limits;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.Envelope.PayloadCase;
import dev.tether.protocol.v1.ShellCredit;
import dev.tether.protocol.v1.ShellError;
import dev.tether.protocol.v1.ShellExit;
import dev.tether.protocol.v1.ShellOpen;
import dev.tether.protocol.v1.ShellOutput;
import dev.tether.protocol.v1.ShellReady;
import dev.tether.server.testing.Api;
import dev.tether.server.testing.TerminalClient;
import dev.tether.server.testing.TestAgent;
import dev.tether.server.testing.TestDatabase;
import dev.tether.server.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shell broker between a terminal client and a scripted agent speaking the
 * wire protocol: opening, refusals, input and output, flow control, detach and
 * re-attach, the agent's link dropping, recording and audit.
 */
class ShellBrokerTest {

    @TempDir
    static Path dir;
    private static TestServer server;
    private static int agents;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(dir, TestDatabase.SQLITE, Duration.ofSeconds(30));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** A connected agent advertising shells, and its enrolment. */
    private record ShellAgent(Api.Enrolled enrolled, TestAgent link) {
    }

    private static ShellAgent shellAgent() {
        Api.Enrolled enrolled = server.api().enrol("shell-" + ++agents);
        TestAgent link = TestAgent.connect(server.port(), enrolled.key());
        link.hello(TestAgent.defaultHello().addCapabilities("shell"));
        return new ShellAgent(enrolled, link);
    }

    private static TerminalClient open(ShellAgent agent, String query) {
        return TerminalClient.open(server.port(), TestServer.ADMIN_TOKEN, agent.enrolled().id(), query);
    }

    private static ShellOpen ready(TestAgent link, long pid, long offset) {
        ShellOpen open = link.await(PayloadCase.SHELL_OPEN).getShellOpen();
        link.send(Envelope.newBuilder().setShellReady(ShellReady.newBuilder().setSessionId(open.getSessionId())
                .setPid(pid).setOutputOffset(offset).setAttached(open.getAttach())).build());
        return open;
    }

    private static void output(TestAgent link, ByteString session, long offset, String text) {
        link.send(Envelope.newBuilder().setShellOutput(ShellOutput.newBuilder().setSessionId(session)
                .setOffset(offset).setData(ByteString.copyFromUtf8(text))).build());
    }

    private static void exit(TestAgent link, ByteString session, int code) {
        link.send(Envelope.newBuilder().setShellExit(ShellExit.newBuilder().setSessionId(session)
                .setExitCode(code)).build());
    }

    @Test
    void sessionRelaysInputAndOutputAndEndsWithTheExitCodeRecordedAndAudited() throws Exception {
        ShellAgent agent = shellAgent();
        try (TerminalClient client = open(agent, "rows=30&cols=100&command=top&command=-b")) {
            ShellOpen open = ready(agent.link(), 4242, 0);
            assertThat(open.getRows()).isEqualTo(30);
            assertThat(open.getCols()).isEqualTo(100);
            assertThat(open.getCommandList()).containsExactly("top", "-b");
            assertThat(open.getTerm()).isEqualTo("xterm-256color");
            assertThat(open.getCredit()).isEqualTo(Limits.SHELL_WINDOW_BYTES);
            await().until(() -> client.hasControl("ready"));
            assertThat(client.first("ready").getLong("pid")).isEqualTo(4242);
            String session = client.first("ready").getString("session");

            client.type("echo hi\r");
            assertThat(agent.link().await(PayloadCase.SHELL_INPUT).getShellInput().getData().toStringUtf8())
                    .isEqualTo("echo hi\r");
            client.resize(40, 120);
            assertThat(agent.link().await(PayloadCase.SHELL_RESIZE).getShellResize().getRows()).isEqualTo(40);
            output(agent.link(), open.getSessionId(), 0, "hi\r\n");
            await().until(() -> client.output().equals("hi\r\n"));
            exit(agent.link(), open.getSessionId(), 3);

            await().until(() -> client.closeCode() != null);
            assertThat(client.first("exit").getInteger("exit_code")).isEqualTo(3);
            JsonObject stored = awaitEnded(session);
            assertThat(stored.getInteger("exit_code")).isEqualTo(3);
            assertThat(stored.getLong("bytes_in")).isEqualTo(8);
            assertThat(stored.getLong("bytes_out")).isEqualTo(4);
            String cast = server.api().get("/api/v1/sessions/" + session + "/recording").body();
            List<String> lines = cast.lines().toList();
            assertThat(new JsonObject(lines.get(0)).getInteger("width")).isEqualTo(100);
            assertThat(cast).contains("\"o\",\"hi\\r\\n\"").contains("\"r\",\"120x40\"").doesNotContain("echo hi");
            JsonObject entry = server.api().get("/api/v1/audit?action=shell.session&target=" + agent.enrolled().id())
                    .json().getJsonArray("entries").getJsonObject(0);
            assertThat(entry.getString("actor")).isEqualTo("admin");
            assertThat(entry.getJsonObject("details").getInteger("exit_code")).isEqualTo(3);
            assertThat(entry.getJsonObject("details").getLong("bytes_out")).isEqualTo(4);
        }
    }

    private static JsonObject awaitEnded(String session) {
        await().until(() -> "ended".equals(server.api().get("/api/v1/sessions/" + session).json().getString("state")));
        return server.api().get("/api/v1/sessions/" + session).json();
    }

    @Test
    void badRequestsAreRefusedBeforeTheUpgradeWithAClearMessage() {
        ShellAgent agent = shellAgent();
        Api.Enrolled noShell = server.api().enrol("plain-" + ++agents);
        TestAgent plain = TestAgent.connect(server.port(), noShell.key());
        plain.hello();
        Api.Enrolled offline = server.api().enrol("offline-" + ++agents);
        String id = agent.enrolled().id();
        int port = server.port();

        assertThat(TerminalClient.rejection(port, null, id, "").status()).isEqualTo(401);
        assertThat(TerminalClient.rejection(port, "wrong-token-wrong-token", id, "").status()).isEqualTo(401);
        assertThat(TerminalClient.rejection(port, TestServer.ADMIN_TOKEN, id, "rows=0").body()).contains("rows must be");
        assertThat(TerminalClient.rejection(port, TestServer.ADMIN_TOKEN, id, "cols=1001").status()).isEqualTo(400);
        assertThat(TerminalClient.rejection(port, TestServer.ADMIN_TOKEN, id, "session=xyz").status()).isEqualTo(400);
        assertThat(TerminalClient.rejection(port, TestServer.ADMIN_TOKEN, "nobody", "").status()).isEqualTo(404);
        assertThat(TerminalClient.rejection(port, TestServer.ADMIN_TOKEN, offline.id(), "").body()).contains("offline");
        assertThat(TerminalClient.rejection(port, TestServer.ADMIN_TOKEN, noShell.id(), "").body())
                .contains("--enable-shell");
        assertThat(TerminalClient.rejection(port, TestServer.ADMIN_TOKEN, id, "session=" + ShellId.random()).status())
                .isEqualTo(404);
        plain.close();
    }

    @Test
    void aSessionIdOfAnotherAgentIsRefused() {
        ShellAgent owner = shellAgent();
        ShellAgent other = shellAgent();
        try (TerminalClient client = open(owner, "")) {
            ready(owner.link(), 1, 0);
            await().until(() -> client.hasControl("ready"));
            String session = client.first("ready").getString("session");

            Api.Response refused = TerminalClient.rejection(server.port(), TestServer.ADMIN_TOKEN,
                    other.enrolled().id(), "session=" + session);

            assertThat(refused.status()).isEqualTo(404);
            assertThat(refused.body()).contains("belongs to another agent");
        }
    }

    @Test
    void anAgentRefusalReachesTheClientAndEndsTheSession() {
        ShellAgent agent = shellAgent();
        try (TerminalClient client = open(agent, "")) {
            ShellOpen open = agent.link().await(PayloadCase.SHELL_OPEN).getShellOpen();
            agent.link().send(Envelope.newBuilder().setShellError(ShellError.newBuilder()
                    .setSessionId(open.getSessionId()).setCode("too_many_sessions")
                    .setMessage("this agent allows 8 shells (--max-shells)")).build());

            await().until(() -> client.closeCode() != null);
            assertThat(client.first("error").getString("code")).isEqualTo("too_many_sessions");
            assertThat(client.first("error").getString("message")).contains("--max-shells");
        }
    }

    @Test
    void aBadControlMessageIsAnsweredAndTheSessionGoesOn() {
        ShellAgent agent = shellAgent();
        try (TerminalClient client = open(agent, "")) {
            ShellOpen open = ready(agent.link(), 7, 0);
            await().until(() -> client.hasControl("ready"));

            client.control("not json");
            client.control("{\"type\":\"resize\",\"rows\":0,\"cols\":80}");
            await().until(() -> client.controls().stream().filter(c -> "error".equals(c.getString("type"))).count() == 2);
            output(agent.link(), open.getSessionId(), 0, "still here");

            await().until(() -> client.output().equals("still here"));
            assertThat(client.closeCode()).isNull();
        }
    }

    @Test
    void outputBeyondWhatTheClientReadsWaitsAtTheAgentNotOnTheServer() {
        ShellAgent agent = shellAgent();
        try (TerminalClient client = open(agent, "")) {
            ShellOpen open = ready(agent.link(), 9, 0);
            await().until(() -> client.hasControl("ready"));
            client.pause();
            ScriptedPty pty = new ScriptedPty(agent.link(), open.getSessionId(), open.getCredit());

            // A flood of 64 MiB: the agent sends only what it was granted.
            pty.flood(64L * 1024 * 1024, Duration.ofSeconds(3));
            long sentWhilePaused = pty.sent();
            assertThat(sentWhilePaused).as("a paused client stops the grants long before 64 MiB")
                    .isLessThan(32L * 1024 * 1024);
            assertThat(server.api().metric("tether_shell_buffered_peak_bytes"))
                    .isLessThanOrEqualTo(Limits.SHELL_WINDOW_BYTES);

            client.resume();
            pty.flood(64L * 1024 * 1024 - sentWhilePaused, Duration.ofSeconds(60));
            await().atMost(Duration.ofSeconds(30)).until(() -> client.outputBytes() == 64 * 1024 * 1024);
            assertThat(server.api().metric("tether_shell_buffered_peak_bytes"))
                    .isLessThanOrEqualTo(Limits.SHELL_WINDOW_BYTES);
        }
    }

    @Test
    void aDetachedClientReattachesWithTheSessionIdAndGetsTheScrollback() {
        ShellAgent agent = shellAgent();
        TerminalClient first = open(agent, "");
        ShellOpen open = ready(agent.link(), 11, 0);
        await().until(() -> first.hasControl("ready"));
        String session = first.first("ready").getString("session");
        output(agent.link(), open.getSessionId(), 0, "before ");
        await().until(() -> first.output().equals("before "));

        first.close();
        assertThat(agent.link().await(PayloadCase.SHELL_CLOSE).getShellClose().getTerminate()).isFalse();
        try (TerminalClient second = open(agent, "session=" + session)) {
            ShellOpen attach = agent.link().await(PayloadCase.SHELL_OPEN).getShellOpen();
            assertThat(attach.getAttach()).isTrue();
            assertThat(attach.getResumeOffset()).isZero();
            agent.link().send(Envelope.newBuilder().setShellReady(ShellReady.newBuilder()
                    .setSessionId(attach.getSessionId()).setPid(11).setAttached(true)).build());
            output(agent.link(), open.getSessionId(), 0, "before after");

            await().until(() -> second.output().equals("before after"));
            assertThat(second.first("ready").getBoolean("attached")).isTrue();
        }
    }

    @Test
    void whenTheAgentsLinkDropsTheClientWaitsAndResumesWhereItStopped() {
        ShellAgent agent = shellAgent();
        try (TerminalClient client = open(agent, "")) {
            ShellOpen open = ready(agent.link(), 13, 0);
            await().until(() -> client.hasControl("ready"));
            output(agent.link(), open.getSessionId(), 0, "0123456789");
            await().until(() -> client.output().equals("0123456789"));

            agent.link().close();
            await().until(() -> client.hasControl("status"));
            TestAgent back = TestAgent.connect(server.port(), agent.enrolled().key());
            back.hello(TestAgent.defaultHello().addCapabilities("shell").addShellSessions(open.getSessionId()));
            ShellOpen resume = back.await(PayloadCase.SHELL_OPEN).getShellOpen();

            assertThat(resume.getAttach()).isTrue();
            assertThat(resume.getResumeOffset()).isEqualTo(10);
            back.send(Envelope.newBuilder().setShellReady(ShellReady.newBuilder().setSessionId(open.getSessionId())
                    .setPid(13).setOutputOffset(10).setAttached(true)).build());
            output(back, open.getSessionId(), 10, "abc");
            await().until(() -> client.output().equals("0123456789abc"));
            assertThat(client.closeCode()).isNull();
            back.close();
        }
    }

    @Test
    void anAgentThatComesBackWithoutTheSessionEndsItForTheClient() {
        ShellAgent agent = shellAgent();
        try (TerminalClient client = open(agent, "")) {
            ready(agent.link(), 15, 0);
            await().until(() -> client.hasControl("ready"));

            agent.link().close();
            TestAgent back = TestAgent.connect(server.port(), agent.enrolled().key());
            back.hello(TestAgent.defaultHello().addCapabilities("shell"));

            await().until(() -> client.closeCode() != null);
            assertThat(client.first("error").getString("message")).contains("the agent restarted");
            back.close();
        }
    }

    @Test
    void sessionsTheServerDoesNotKnowAreClosedOnTheAgentWhenItConnects() {
        Api.Enrolled enrolled = server.api().enrol("orphans-" + ++agents);
        TestAgent link = TestAgent.connect(server.port(), enrolled.key());
        ByteString orphan = ShellId.random().bytes();

        link.hello(TestAgent.defaultHello().addCapabilities("shell").addShellSessions(orphan));

        Envelope close = link.await(PayloadCase.SHELL_CLOSE);
        assertThat(close.getShellClose().getSessionId()).isEqualTo(orphan);
        assertThat(close.getShellClose().getTerminate()).isTrue();
        link.close();
    }

    @Test
    void closingFromTheClientTerminatesTheSessionOnTheAgent() {
        ShellAgent agent = shellAgent();
        try (TerminalClient client = open(agent, "")) {
            ready(agent.link(), 17, 0);
            await().until(() -> client.hasControl("ready"));

            client.control("{\"type\":\"close\"}");

            assertThat(agent.link().await(PayloadCase.SHELL_CLOSE).getShellClose().getTerminate()).isTrue();
            await().until(() -> client.closeCode() != null);
        }
    }

    /** Plays an agent's PTY under flow control: sends output only within the credit the server grants. */
    private static final class ScriptedPty {
        private final TestAgent link;
        private final ByteString session;
        private long credit;
        private long sent;

        ScriptedPty(TestAgent link, ByteString session, long credit) {
            this.link = link;
            this.session = session;
            this.credit = credit;
        }

        /** Sends up to {@code bytes} more, for at most {@code within}, taking grants as they come. */
        void flood(long bytes, Duration within) {
            long deadline = System.nanoTime() + within.toNanos();
            byte[] chunk = new byte[Limits.SHELL_CHUNK_BYTES];
            java.util.Arrays.fill(chunk, (byte) 'x');
            long target = sent + bytes;
            while (sent < target && System.nanoTime() < deadline) {
                if (credit == 0) {
                    Envelope next = link.next(Duration.ofMillis(100));
                    if (next != null && next.hasShellCredit()) {
                        credit += Integer.toUnsignedLong(next.getShellCredit().getBytes());
                    }
                    continue;
                }
                int size = (int) Math.min(Math.min(credit, chunk.length), target - sent);
                link.send(Envelope.newBuilder().setShellOutput(ShellOutput.newBuilder().setSessionId(session)
                        .setOffset(sent).setData(ByteString.copyFrom(chunk, 0, size))).build());
                sent += size;
                credit -= size;
            }
        }

        long sent() {
            return sent;
        }
    }
}
