package dev.tether.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tether.protocol.v1.Envelope.PayloadCase;
import dev.tether.protocol.v1.Welcome;
import dev.tether.server.testing.Api;
import dev.tether.server.testing.RequiredTool;
import dev.tether.server.testing.TestAgent;
import dev.tether.server.testing.TestDatabase;
import dev.tether.server.testing.TestServer;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Start-up, dev mode, TLS and restarts of the whole server. */
class TetherServerTest {

    private static final Duration HEARTBEAT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private ServerConfig config(Path dataDir) {
        return TestServer.config(dataDir, TestDatabase.SQLITE, HEARTBEAT).withJdbcUrl(null);
    }

    @Test
    void devModePrintsTheAdminTokenAndACommandWhoseKeyFileConnectsTheDevAgent() throws Exception {
        Path dataDir = dir.resolve("data");
        ServerConfig dev = config(dataDir).withInsecureHttp(false).withDev(true).withAdminToken(null);
        String firstBanner;
        try (TestServer server = TestServer.start(dev)) {
            firstBanner = server.console();
            Path keyFile = dataDir.toAbsolutePath().resolve("dev-agent.key");
            assertThat(firstBanner).contains("./tether agent --server http://127.0.0.1:" + server.port()
                    + " --insecure --enable-shell --key-file " + keyFile + " --state-dir "
                    + dataDir.toAbsolutePath().resolve("dev-agent-state"));
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile))).isEqualTo("rw-------");
            String adminToken = token(firstBanner);
            assertThat(new Api(server.port(), adminToken).get("/api/v1/agents/dev-agent").status()).isEqualTo(200);

            TestAgent agent = TestAgent.connect(server.port(), Files.readString(keyFile).trim());
            Welcome welcome = agent.hello();
            assertThat(welcome.getAgentName()).isEqualTo("dev-agent");
            agent.close();
        }
        try (TestServer again = TestServer.start(dev.withPort(0))) {
            assertThat(token(again.console())).isEqualTo(token(firstBanner));
        }
    }

    @Test
    void firstStartWithoutATokenPrintsOneThatWorksAndStartsCreateTheDataDir() throws Exception {
        Path dataDir = dir.resolve("fresh/nested");
        try (TestServer server = TestServer.start(config(dataDir).withAdminToken(null))) {
            String token = token(server.console());

            assertThat(server.console()).contains("it will not be shown again");
            assertThat(new Api(server.port(), token).get("/api/v1/agents").status()).isEqualTo(200);
            assertThat(Files.isDirectory(dataDir)).isTrue();
            assertThat(Files.exists(dataDir.resolve("tether.db"))).isTrue();
        }
    }

    @Test
    void configQueuedBeforeARestartIsDeliveredAfterIt() throws Exception {
        Path dataDir = dir.resolve("data");
        Api.Enrolled enrolled;
        try (TestServer server = TestServer.start(config(dataDir))) {
            enrolled = server.api().enrol("restarted");
            server.api().put("/api/v1/agents/restarted/config", "{\"after\": \"restart\"}");
        }
        try (TestServer server = TestServer.start(config(dataDir))) {
            TestAgent agent = TestAgent.connect(server.port(), enrolled.key());
            agent.hello();

            assertThat(agent.await(PayloadCase.CONFIG_UPDATE).getConfigUpdate().getVersion()).isEqualTo(1);
            agent.close();
        }
    }

    @Test
    void lastSeenIsFlushedWhenTheServerStops() throws Exception {
        Path dataDir = dir.resolve("data");
        Instant heartbeatSeen;
        try (TestServer server = TestServer.start(config(dataDir))) {
            TestAgent agent = server.connectNew("seen");
            // The handshake writes last_seen itself; only a heartbeat well after it tells the flush on stop apart.
            Instant handshakeSeen = lastSeen(server);
            await().atMost(Duration.ofSeconds(5)).until(() -> Instant.now().isAfter(handshakeSeen.plusMillis(1_100)));
            agent.heartbeatAcked();
            heartbeatSeen = lastSeen(server);
            assertThat(heartbeatSeen).isAfter(handshakeSeen.plusSeconds(1));
        }
        try (TestServer server = TestServer.start(config(dataDir))) {
            assertThat(lastSeen(server)).isEqualTo(heartbeatSeen);
        }
    }

    private static Instant lastSeen(TestServer server) {
        return Instant.parse(server.api().get("/api/v1/agents/seen").json().getString("last_seen"));
    }

    @Test
    void aSecondServerOnTheSameSqliteDatabaseIsRefusedAndARestartAfterTheFirstStopsStartsAtOnce() throws Exception {
        Path dataDir = dir.resolve("shared");
        try (TestServer first = TestServer.start(config(dataDir))) {
            assertThatThrownBy(() -> TestServer.start(config(dataDir)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("SQLite serves a single node")
                    .hasMessageContaining("pid " + ProcessHandle.current().pid())
                    .hasMessageContaining("PostgreSQL");
        }
        try (TestServer again = TestServer.start(config(dataDir))) {
            assertThat(again.port()).isPositive();
        }
    }

    @Test
    void busyPortIsReportedWithWhatToDo() throws Exception {
        try (TestServer first = TestServer.start(config(dir.resolve("one")))) {
            ServerConfig clash = config(dir.resolve("two")).withPort(first.port());

            assertThatThrownBy(() -> TestServer.start(clash))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("cannot listen on 127.0.0.1:" + first.port())
                    .hasMessageContaining("--port");
        }
    }

    @Test
    void tlsServesHttpsFromPemFiles() throws Exception {
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        RequiredTool.require(openssl(cert, key), "TetherServerTest", "openssl is needed to make a test certificate: apt-get install openssl");

        try (TestServer server = TestServer.start(config(dir.resolve("data")).withInsecureHttp(false)
                .withTls(cert, key))) {
            HttpClient client = HttpClient.newBuilder().sslContext(trusting(cert)).build();
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(
                    URI.create("https://localhost:" + server.port() + "/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).isEqualTo(200);
        }
    }

    private static String token(String console) {
        Matcher match = Pattern.compile("tat_[A-Za-z0-9_-]{43}").matcher(console);
        assertThat(match.find()).as("a token in: %s", console).isTrue();
        return match.group();
    }

    private static boolean openssl(Path cert, Path key) throws Exception {
        try {
            Process process = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", key.toString(), "-out", cert.toString(), "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1")
                    .redirectErrorStream(true).start();
            process.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
            return process.waitFor() == 0;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static SSLContext trusting(Path cert) throws Exception {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(cert)) {
            trust.setCertificateEntry("test", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }
}
