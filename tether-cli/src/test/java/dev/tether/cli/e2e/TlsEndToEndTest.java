package dev.tether.cli.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server serving TLS from PEM files of a private CA; agents and operator
 * commands that trust that CA with --ca-file connect, those that trust another
 * CA (or only the JDK's roots) refuse and say why.
 */
class TlsEndToEndTest {

    private static final Path LOGS = JavaProcess.LOG_ROOT.resolve("TlsEndToEndTest");

    @TempDir
    Path dir;
    private JavaProcess server;
    private JavaProcess agent;

    @AfterEach
    void stop() throws Exception {
        for (JavaProcess process : new JavaProcess[] {agent, server}) {
            if (process != null) {
                process.close();
            }
        }
    }

    @Test
    void anAgentTrustingThePrivateCaConnectsAndOneTrustingAnotherCaRefusesAndSaysWhy() throws Exception {
        TestPki ours = TestPki.authority("Tether Test CA");
        TestPki theirs = TestPki.authority("Some Other CA");
        Path[] serverPem = ours.issueServer(dir);
        Path ourCa = ours.writeCertificate(dir.resolve("ca.pem"));
        Path otherCa = theirs.writeCertificate(dir.resolve("other-ca.pem"));
        server = JavaProcess.start("tls-server", LOGS, Map.of("TETHER_ADMIN_TOKEN", Fleet.ADMIN_TOKEN), Fleet.MAIN,
                List.of("server", "--listen", "127.0.0.1:0", "--data-dir", dir.resolve("data").toString(),
                        "--tls-cert", serverPem[0].toString(), "--tls-key", serverPem[1].toString()));
        URI url = URI.create("https://127.0.0.1:" + server.awaitListeningPort(Duration.ofSeconds(60)));
        HttpClient http = HttpClient.newBuilder().sslContext(ours.clientContext()).build();
        await("server ready over TLS").atMost(Duration.ofSeconds(60)).ignoreExceptions()
                .until(() -> get(http, url, "/readyz").statusCode() == 200);
        JsonObject created = new JsonObject(http.send(HttpRequest.newBuilder(url.resolve("/api/v1/agents"))
                .header("Authorization", "Bearer " + Fleet.ADMIN_TOKEN).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"tls-agent\"}")).build(),
                HttpResponse.BodyHandlers.ofString()).body());
        Path keyFile = Files.writeString(dir.resolve("agent.key"), created.getString("key"));

        JavaProcess untrusting = JavaProcess.start("agent-other-ca", LOGS, Map.of(), Fleet.MAIN, agentArgs(url,
                keyFile, otherCa, "other-state"));
        untrusting.awaitOutput("TLS handshake failed", Duration.ofSeconds(30));
        assertThat(untrusting.output()).contains("--ca-file");
        assertThat(status(http, url, created.getString("id"))).isEqualTo("offline");
        untrusting.close();

        agent = JavaProcess.start("agent-our-ca", LOGS, Map.of(), Fleet.MAIN, agentArgs(url, keyFile, ourCa,
                "state"));
        await("agent online over wss").atMost(Duration.ofSeconds(30))
                .until(() -> "online".equals(status(http, url, created.getString("id"))));
    }

    @Test
    void operatorCommandsTrustThePrivateCaOnlyWithCaFileAndLoginKeepsItInTheProfile() throws Exception {
        TestPki ours = TestPki.authority("Tether Test CA");
        Path[] serverPem = ours.issueServer(dir);
        Path ourCa = ours.writeCertificate(dir.resolve("ca.pem"));
        Path otherCa = TestPki.authority("Some Other CA").writeCertificate(dir.resolve("other-ca.pem"));
        server = JavaProcess.start("tls-server-ops", LOGS, Map.of("TETHER_ADMIN_TOKEN", Fleet.ADMIN_TOKEN), Fleet.MAIN,
                List.of("server", "--listen", "127.0.0.1:0", "--data-dir", dir.resolve("data").toString(),
                        "--tls-cert", serverPem[0].toString(), "--tls-key", serverPem[1].toString()));
        URI url = URI.create("https://127.0.0.1:" + server.awaitListeningPort(Duration.ofSeconds(60)));
        HttpClient http = HttpClient.newBuilder().sslContext(ours.clientContext()).build();
        await("server ready over TLS").atMost(Duration.ofSeconds(60)).ignoreExceptions()
                .until(() -> get(http, url, "/readyz").statusCode() == 200);
        assertThat(http.send(HttpRequest.newBuilder(url.resolve("/api/v1/users"))
                .header("Authorization", "Bearer " + Fleet.ADMIN_TOKEN).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"ops\",\"role\":\"admin\","
                        + "\"password\":\"correct-horse-battery\"}")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(201);
        Map<String, String> admin = Map.of("XDG_CONFIG_HOME", dir.resolve("config").toString(),
                "TETHER_URL", url.toString(), "TETHER_TOKEN", Fleet.ADMIN_TOKEN);

        Cli roots = cli("ops-roots", admin, null, "agents", "ls");
        Cli flag = cli("ops-flag", admin, null, "agents", "ls", "--ca-file", ourCa.toString());
        Cli env = cli("ops-env", with(admin, "TETHER_CA_FILE", ourCa.toString()), null, "agents", "ls");
        Cli wrongCa = cli("ops-other-ca", admin, null, "agents", "ls", "--ca-file", otherCa.toString());

        assertThat(roots.exit()).as(roots.output()).isEqualTo(1);
        assertThat(roots.output()).contains("TLS handshake with " + url, "--ca-file FILE", "TETHER_CA_FILE");
        assertThat(flag.exit()).as(flag.output()).isZero();
        assertThat(flag.output()).contains("NAME");
        assertThat(env.exit()).as(env.output()).isZero();
        assertThat(wrongCa.exit()).as(wrongCa.output()).isEqualTo(1);
        assertThat(wrongCa.output()).contains("signed by a CA in --ca-file " + otherCa);

        Map<String, String> signedIn = Map.of("XDG_CONFIG_HOME", dir.resolve("config").toString());
        Path password = Files.writeString(dir.resolve("password"), "correct-horse-battery\n");
        Cli login = cli("ops-login", signedIn, password, "login", url.toString(), "--user", "ops",
                "--password-stdin", "--ca-file", ourCa.toString());
        Cli listed = cli("ops-profile", signedIn, null, "agents", "ls");
        String token = new JsonObject(Files.readString(dir.resolve("config/tether/profiles/default.json")))
                .getString("token");
        Cli logout = cli("ops-logout", signedIn, null, "logout");

        assertThat(login.exit()).as(login.output()).isZero();
        assertThat(listed.exit()).as(listed.output()).isZero();
        assertThat(listed.output()).contains("NAME");
        assertThat(logout.exit()).as(logout.output()).isZero();
        assertThat(logout.output()).doesNotContain("warning");
        assertThat(http.send(HttpRequest.newBuilder(url.resolve("/api/v1/agents")).header("Authorization",
                "Bearer " + token).build(), HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(401);
    }

    private record Cli(int exit, String output) {
    }

    private static Cli cli(String name, Map<String, String> env, Path stdin, String... args) throws Exception {
        JavaProcess process = JavaProcess.start(name, LOGS, env, Fleet.MAIN, List.of(args), stdin);
        try {
            return new Cli(process.waitForExit(Duration.ofSeconds(60)), process.output());
        } finally {
            process.close();
        }
    }

    private static Map<String, String> with(Map<String, String> env, String name, String value) {
        Map<String, String> all = new HashMap<>(env);
        all.put(name, value);
        return all;
    }

    @Test
    void anAgentRefusesAPlainHttpServerWithoutInsecure() throws Exception {
        Path key = Files.writeString(dir.resolve("k"), "tak_whatever");
        JavaProcess refused = JavaProcess.start("agent-plain", LOGS, Map.of(), Fleet.MAIN, List.of("agent",
                "--server", "http://127.0.0.1:1", "--key-file", key.toString(), "--state-dir",
                dir.resolve("s").toString()));

        assertThat(refused.waitForExit(Duration.ofSeconds(30))).isNotZero();
        assertThat(refused.output()).contains("--insecure");
    }

    private static List<String> agentArgs(URI url, Path keyFile, Path ca, String state) {
        return List.of("agent", "--server", url.toString(), "--key-file", keyFile.toString(), "--ca-file",
                ca.toString(), "--state-dir", ca.getParent().resolve(state).toString());
    }

    private static HttpResponse<String> get(HttpClient http, URI url, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(url.resolve(path)).header("Authorization", "Bearer "
                + Fleet.ADMIN_TOKEN).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String status(HttpClient http, URI url, String id) throws Exception {
        return new JsonObject(get(http, url, "/api/v1/agents/" + id).body()).getString("status");
    }
}
