package dev.tether.server.shell;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.Envelope.PayloadCase;
import dev.tether.protocol.v1.ShellOpen;
import dev.tether.protocol.v1.ShellOutput;
import dev.tether.protocol.v1.ShellReady;
import dev.tether.server.testing.Api;
import dev.tether.server.testing.TerminalClient;
import dev.tether.server.testing.TestAgent;
import dev.tether.server.testing.TestDatabase;
import dev.tether.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A shell session belongs to the user who opened it: only they and admins attach to it (everyone else gets the
 * same 404 as for a session that does not exist), every attach is audited with its actor, and only they and
 * admins see its id while it runs. Real server, real sockets, a scripted agent.
 */
class SessionOwnershipTest {

    private static final String PASSWORD = "correct horse battery";
    @TempDir
    static Path dir;
    private static TestServer server;
    private static Api admin;
    private static TestAgent staging;
    private static String stagingId;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(dir, TestDatabase.SQLITE, Duration.ofSeconds(30));
        admin = server.api();
        Api.Enrolled enrolled = admin.enrol("stage-1", new JsonObject().put("env", "staging"));
        stagingId = enrolled.id();
        staging = TestAgent.connect(server.port(), enrolled.key());
        staging.hello(TestAgent.defaultHello().addCapabilities("shell"));
        user("vera", "viewer", null);
        user("otto", "operator", "env=staging");
        user("ada", "admin", null);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static void user(String name, String role, String scope) {
        admin.createUser(name, role, scope, PASSWORD);
    }

    private static String login(String name) {
        return admin.login(name, PASSWORD);
    }

    /** Opens a shell on the staging agent as {@code token}, answers the agent's side, returns the client ready. */
    private static TerminalClient openReady(String token) {
        TerminalClient client = TerminalClient.open(server.port(), token, "stage-1", "");
        ShellOpen open = staging.await(PayloadCase.SHELL_OPEN).getShellOpen();
        ready(open);
        await().until(() -> client.hasControl("ready"));
        return client;
    }

    private static void ready(ShellOpen open) {
        staging.send(Envelope.newBuilder().setShellReady(ShellReady.newBuilder().setSessionId(open.getSessionId())
                .setPid(7).setAttached(open.getAttach())).build());
    }

    private static void output(String session, long offset, String text) {
        staging.send(Envelope.newBuilder().setShellOutput(ShellOutput.newBuilder()
                .setSessionId(ShellId.parse(session).bytes()).setOffset(offset)
                .setData(ByteString.copyFromUtf8(text))).build());
    }

    @Test
    void aScopedOperatorsAttachToAnAdminsSessionIsRefusedWith404AndTheAdminStaysAttached() {
        try (TerminalClient adminShell = openReady(TestServer.ADMIN_TOKEN)) {
            String session = adminShell.first("ready").getString("session");

            Api.Response hijack = TerminalClient.rejection(server.port(), login("otto"), "stage-1",
                    "session=" + session);
            Api.Response unknown = TerminalClient.rejection(server.port(), login("otto"), "stage-1",
                    "session=" + ShellId.random().hex());

            assertThat(hijack.status()).isEqualTo(404);
            assertThat(new JsonObject(hijack.body()).getString("message"))
                    .as("the same answer as for an id that does not exist, but for the id itself")
                    .isEqualTo(new JsonObject(unknown.body()).getString("message").replaceAll("[0-9a-f]{32}", session));
            output(session, 0, "still yours\r\n");
            await().until(() -> adminShell.output().equals("still yours\r\n"));
            assertThat(adminShell.closeCode()).as("the admin's socket stays open").isNull();
            assertThat(adminShell.hasControl("error")).isFalse();
            assertThat(admin.get("/api/v1/audit?action=shell.attach").body()).doesNotContain(session);
        }
    }

    @Test
    void anAdminsTakeoverAndTheOwnersReattachAreEachAuditedWithTheirActor() {
        String ottoToken = login("otto");
        try (TerminalClient ottoShell = openReady(ottoToken)) {
            String session = ottoShell.first("ready").getString("session");

            try (TerminalClient adaShell = TerminalClient.open(server.port(), login("ada"), "stage-1",
                    "session=" + session)) {
                ready(staging.await(PayloadCase.SHELL_OPEN).getShellOpen());
                await().until(() -> adaShell.hasControl("ready"));
                await().until(() -> ottoShell.hasControl("attached_elsewhere") || ottoShell.closeCode() != null);
                JsonObject takeover = awaitAttach("ada");
                assertThat(takeover.getString("target")).isEqualTo(stagingId);
                assertThat(takeover.getJsonObject("details").getString("session")).isEqualTo(session);
                assertThat(takeover.getJsonObject("details").getString("owner")).isEqualTo("otto");
                assertThat(takeover.getJsonObject("details").getBoolean("takeover")).isTrue();

                try (TerminalClient back = TerminalClient.open(server.port(), ottoToken, "stage-1",
                        "session=" + session)) {
                    ready(staging.await(PayloadCase.SHELL_OPEN).getShellOpen());
                    await().until(() -> back.hasControl("ready"));
                    JsonObject own = awaitAttach("otto");
                    assertThat(own.getJsonObject("details").getBoolean("takeover")).isFalse();
                    assertThat(own.getJsonObject("details").getString("owner")).isEqualTo("otto");
                }
            }
        }
    }

    private static JsonObject awaitAttach(String actor) {
        String path = "/api/v1/audit?action=shell.attach&actor=" + actor;
        await().until(() -> admin.get(path).json().getJsonArray("entries").size() == 1);
        return admin.get(path).json().getJsonArray("entries").getJsonObject(0);
    }

    @Test
    void aViewerDoesNotSeeTheIdOfAnotherUsersRunningSession() {
        try (TerminalClient adminShell = openReady(TestServer.ADMIN_TOKEN)) {
            String session = adminShell.first("ready").getString("session");
            Api vera = admin.withToken(login("vera"));
            await().until(() -> admin.get("/api/v1/audit?action=shell.session&actor=admin").json()
                    .getJsonArray("entries").size() >= 1);

            JsonArray listed = vera.get("/api/v1/sessions?agent=stage-1").json().getJsonArray("sessions");
            JsonArray audited = vera.get("/api/v1/audit?action=shell.session&actor=admin").json()
                    .getJsonArray("entries");

            assertThat(listed.encode()).doesNotContain(session);
            assertThat(listed.stream().map(s -> (JsonObject) s).filter(s -> "running".equals(s.getString("state"))))
                    .as("the running session is listed, without its id").isNotEmpty()
                    .allSatisfy(s -> assertThat(s.getString("id")).isNull());
            assertThat(audited.encode()).doesNotContain(session);
            assertThat(vera.get("/api/v1/sessions/" + session).status()).isEqualTo(404);
            assertThat(admin.get("/api/v1/sessions?agent=stage-1").body()).as("an admin sees it").contains(session);
        }
    }
}
