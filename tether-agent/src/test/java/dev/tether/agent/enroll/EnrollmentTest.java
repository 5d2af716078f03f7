package dev.tether.agent.enroll;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.tether.agent.connection.ServerRotation;
import dev.tether.agent.testing.LogCapture;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Enrolling with several server URLs, against a real HTTP endpoint and a closed port. */
class EnrollmentTest {

    /** With this seed two servers are tried in the order given (checked in the test). */
    private static final long GIVEN_ORDER_SEED = 1;
    private static final String TOKEN = "tet_enroll-token-0123456789";
    private static final String KEY = "tak_enrolled-key-0123456789";

    @TempDir
    Path stateDir;
    @TempDir
    Path secrets;
    private HttpServer server;
    private final List<String> authorizations = new CopyOnWriteArrayList<>();

    @BeforeEach
    void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v1/agents/enroll", this::enrol);
        server.start();
    }

    @AfterEach
    void stopServer() {
        server.stop(0);
    }

    @Test
    void aClosedPortTriedFirstIsSkippedAndTheAgentEnrollsThroughTheNextServer() throws Exception {
        List<URI> servers = List.of(closedPort(), url());
        assertThat(ServerRotation.shuffled(servers, new SplittableRandom(GIVEN_ORDER_SEED)).order())
                .as("the seed keeps the order given").isEqualTo(servers);

        try (LogCapture log = LogCapture.of(Enrollment.class)) {
            String key = enrollment().keyFor(servers, true, stateDir, tokenFile(), "web-1");

            assertThat(key).isEqualTo(KEY);
            assertThat(Enrollment.storedKey(stateDir)).isEqualTo(KEY);
            assertThat(authorizations).containsExactly("Bearer " + TOKEN);
            assertThat(log.messages(Level.WARN)).anySatisfy(m -> assertThat(m)
                    .startsWith("enrollment: cannot reach " + servers.get(0).getAuthority()));
            assertThat(log.messages(Level.INFO)).anySatisfy(m -> assertThat(m)
                    .startsWith("enrollment: retrying with " + servers.get(1).getAuthority() + " in "));
        }
    }

    @Test
    void aBadUrlAmongSeveralIsRefusedNamingItBeforeTheTokenIsSentToAny() {
        List<URI> servers = List.of(url(), URI.create("ftp://b.example.com"));

        assertThatThrownBy(() -> enrollment().keyFor(servers, true, stateDir, tokenFile(), "web-1"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("server URL 'ftp://b.example.com' must start with https:// to enrol");
        assertThat(authorizations).isEmpty();
    }

    private Enrollment enrollment() {
        return new Enrollment(HttpClient.newHttpClient(), new SplittableRandom(GIVEN_ORDER_SEED));
    }

    private void enrol(HttpExchange exchange) throws IOException {
        authorizations.add(exchange.getRequestHeaders().getFirst("Authorization"));
        byte[] body = ("{\"key\":\"" + KEY + "\",\"agent_id\":\"agent-1\",\"name\":\"web-1\",\"status\":\"active\"}")
                .getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(201, body.length);
        try (var out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    private Path tokenFile() throws IOException {
        return Files.writeString(secrets.resolve("enroll.token"), TOKEN + "\n");
    }

    /** A loopback port nothing listens on: a request there is refused at once. */
    private static URI closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return URI.create("http://127.0.0.1:" + socket.getLocalPort());
        }
    }
}
