package dev.tether.server.testing;

import dev.tether.server.ServerConfig;
import dev.tether.server.TetherServer;
import dev.tether.server.hub.Hub;
import io.vertx.ext.web.Router;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/** A real server on an ephemeral port over a real database, with a REST client holding the admin token. */
public final class TestServer implements AutoCloseable {

    public static final String ADMIN_TOKEN = "test-admin-token-0123456789";

    private final TetherServer server;
    private final Api api;
    private final ByteArrayOutputStream console;

    private TestServer(TetherServer server, ByteArrayOutputStream console) {
        this.server = server;
        this.console = console;
        this.api = new Api(server.port(), ADMIN_TOKEN);
    }

    public static TestServer start(Path dataDir, TestDatabase database, Duration heartbeatInterval) throws Exception {
        return start(config(dataDir, database, heartbeatInterval));
    }

    public static ServerConfig config(Path dataDir, TestDatabase database, Duration heartbeatInterval) {
        return ServerConfig.defaults()
                .withHost("127.0.0.1")
                .withPort(0)
                .withDataDir(dataDir)
                .withJdbcUrl(database.freshJdbcUrl(dataDir))
                .withInsecureHttp(true)
                .withHeartbeatInterval(heartbeatInterval)
                .withAdminToken(ADMIN_TOKEN);
    }

    public static TestServer start(ServerConfig config) throws Exception {
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        TetherServer server = TetherServer.start(config.withConsole(new PrintStream(console, true,
                StandardCharsets.UTF_8)));
        return new TestServer(server, console);
    }

    public int port() {
        return server.port();
    }

    /** The server's HTTP router: its routes are what is mounted. */
    public Router router() {
        return server.router();
    }

    public Api api() {
        return api;
    }

    /** The agents connected to the server. */
    public Hub hub() {
        return server.hub();
    }

    public String console() {
        return console.toString(StandardCharsets.UTF_8);
    }

    /** Enrols an agent, connects it and completes the handshake. */
    public TestAgent connectNew(String name) {
        Api.Enrolled agent = api.enrol(name);
        TestAgent connection = TestAgent.connect(port(), agent.key());
        connection.hello();
        return connection;
    }

    @Override
    public void close() {
        server.close();
    }
}
