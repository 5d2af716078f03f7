package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Profiles ({@code tether login URL --profile NAME}, {@code logout}, {@code profiles}) with the CLI run in this
 * JVM against two recording HTTP servers on local sockets, {@code home} (where the operator signs in) and
 * {@code other}: what a command sends where, how the files are kept, and the errors. XDG_CONFIG_HOME is a
 * temporary directory in every run.
 */
class ProfilesTest {

    private static final String TOKEN = "tpt_home-personal-token-0123456789";
    private static final String ENV_TOKEN = "tpt_from-the-environment-0123456789";

    @TempDir
    Path dir;
    private Path config;
    private RecordingServer home;
    private RecordingServer other;
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @BeforeEach
    void startServers() throws IOException {
        config = dir.resolve("config");
        home = new RecordingServer(TOKEN);
        other = new RecordingServer(TOKEN + "-2");
    }

    @AfterEach
    void stopServers() {
        home.stop();
        other.stop();
    }

    @Test
    void loginKeepsTheUrlAndTokenAsAProfileThatLaterCommandsUseWithNeitherUrlNorToken() throws Exception {
        assertThat(login(home, "default")).as(err.toString()).isZero();
        assertThat(home.requests).containsExactly("POST /api/v1/login - {\"user\":\"alice\",\"password\":\"s3cret\","
                + "\"ttl_s\":2592000,\"name\":\"tether login\"}");

        assertThat(run(env(), "agents", "ls")).as(err.toString()).isZero();

        assertThat(home.requests).last().isEqualTo("GET /api/v1/agents Bearer " + TOKEN);
        Path file = config.resolve("tether/profiles/default.json");
        JsonObject saved = new JsonObject(Files.readString(file));
        assertThat(saved.getString("url")).isEqualTo(home.url());
        assertThat(saved.getString("token")).isEqualTo(TOKEN);
        assertThat(saved.getString("token_id")).isEqualTo("tok_1");
        assertThat(saved.getString("user")).isEqualTo("alice");
    }

    @Test
    void theProfileFileIsTheUsersOnlyInDirectoriesThatAreTooAndNoTemporaryFileIsLeft() throws Exception {
        Files.createDirectories(config.resolve("tether"));
        Files.setPosixFilePermissions(config.resolve("tether"), PosixFilePermissions.fromString("rwxr-xr-x"));

        assertThat(login(home, "default")).as(err.toString()).isZero();
        assertThat(login(home, "default")).as(err.toString()).isZero();

        assertThat(mode(config.resolve("tether"))).isEqualTo("rwx------");
        assertThat(mode(config.resolve("tether/profiles"))).isEqualTo("rwx------");
        assertThat(mode(config.resolve("tether/profiles/default.json"))).isEqualTo("rw-------");
        try (Stream<Path> files = Files.list(config.resolve("tether/profiles"))) {
            assertThat(files.map(f -> f.getFileName().toString())).containsExactly("default.json");
        }
    }

    @Test
    void aProfilesTokenIsNeverSentToAnotherServerNamedByUrlOrTetherUrl() throws Exception {
        assertThat(login(home, "default")).isZero();

        int byFlag = run(env(), "agents", "ls", "--url", other.url());
        String byFlagError = err.toString();
        int byEnv = run(env("TETHER_URL", other.url()), "agents", "ls");

        assertThat(byFlag).isEqualTo(ErrorReporter.USAGE);
        assertThat(byEnv).isEqualTo(ErrorReporter.USAGE);
        assertThat(other.requests).isEmpty();
        assertThat(byFlagError).contains("no API token for " + other.url(), "profile default is for " + home.url(),
                "only sent there", "--token-file", "TETHER_TOKEN", "tether login " + other.url())
                .doesNotContain(TOKEN);
    }

    @Test
    void anotherServerGetsTheTokenOfTetherTokenAndNeitherTheProfilesTokenNorItsCaFile() throws Exception {
        Path file = config.resolve("tether/profiles/default.json");
        Files.createDirectories(file.getParent());
        Files.writeString(file, new JsonObject().put("url", home.url()).put("token", TOKEN)
                .put("ca_file", dir.resolve("gone/ca.pem").toString()).encode());

        int own = run(env("TETHER_TOKEN", ENV_TOKEN), "agents", "ls");
        String ownError = err.toString();
        int another = run(env("TETHER_TOKEN", ENV_TOKEN), "agents", "ls", "--url", other.url());

        assertThat(own).isEqualTo(ErrorReporter.USAGE);
        assertThat(ownError).contains("the ca_file of profile default " + dir.resolve("gone/ca.pem")
                + " does not exist");
        assertThat(another).as(err.toString()).isZero();
        assertThat(other.requests).containsExactly("GET /api/v1/agents Bearer " + ENV_TOKEN);
        assertThat(home.requests).isEmpty();
    }

    @Test
    void theProfilesServerSpelledWithATrailingSlashOrUpperCaseSchemeIsTheSameServer() throws Exception {
        assertThat(login(home, "default")).isZero();

        assertThat(run(env(), "agents", "ls", "--url", home.url() + "/")).as(err.toString()).isZero();
        assertThat(run(env("TETHER_URL", home.url().replace("http:", "HTTP:")), "agents", "ls"))
                .as(err.toString()).isZero();

        assertThat(home.requests.subList(1, 3)).containsOnly("GET /api/v1/agents Bearer " + TOKEN);
    }

    @Test
    void signingInAgainToTheProfilesServerTrustsItsCaFileAgain() throws Exception {
        Path file = config.resolve("tether/profiles/default.json");
        Files.createDirectories(file.getParent());
        Path gone = dir.resolve("gone/ca.pem");
        Files.writeString(file, new JsonObject().put("url", home.url()).put("token", TOKEN)
                .put("ca_file", gone.toString()).encode());

        assertThat(login(home, "default")).isEqualTo(ErrorReporter.USAGE);
        assertThat(err.toString()).contains("the ca_file of profile default " + gone + " does not exist");
        assertThat(login(other, "default")).as(err.toString()).isZero();
        assertThat(new JsonObject(Files.readString(file)).getString("ca_file")).isNull();
    }

    @Test
    void aTokenFileOrTetherTokenWinsOverTheProfilesToken() throws Exception {
        assertThat(login(home, "default")).isZero();
        Path tokenFile = Files.writeString(dir.resolve("t"), "tpt_from-a-file\n");

        assertThat(run(env(), "agents", "ls", "--token-file", tokenFile.toString())).isZero();
        assertThat(run(env("TETHER_TOKEN", ENV_TOKEN), "agents", "ls")).isZero();

        assertThat(home.requests.subList(1, 3)).containsExactly("GET /api/v1/agents Bearer tpt_from-a-file",
                "GET /api/v1/agents Bearer " + ENV_TOKEN);
    }

    @Test
    void profileOrTetherProfileChoosesWhichServerAndToken() throws Exception {
        assertThat(login(home, "default")).isZero();
        assertThat(login(other, "staging")).isZero();

        assertThat(run(env(), "agents", "ls", "--profile", "staging")).isZero();
        assertThat(run(env("TETHER_PROFILE", "staging"), "agents", "ls")).isZero();
        assertThat(run(env("TETHER_PROFILE", "staging"), "agents", "ls", "--profile", "default")).isZero();

        assertThat(other.requests.subList(1, 3)).containsOnly("GET /api/v1/agents Bearer " + TOKEN + "-2");
        assertThat(home.requests).last().isEqualTo("GET /api/v1/agents Bearer " + TOKEN);
    }

    @Test
    void anUnknownProfileIsAUsageErrorListingTheSavedOnes() throws Exception {
        assertThat(login(home, "default")).isZero();
        assertThat(login(other, "staging")).isZero();

        int byFlag = run(env(), "agents", "ls", "--profile", "prod");
        String byFlagError = err.toString();
        int byEnv = run(env("TETHER_PROFILE", "prod"), "agents", "ls");

        assertThat(byFlag).isEqualTo(ErrorReporter.USAGE);
        assertThat(byFlagError).contains("no profile 'prod'", "the saved ones are default, staging",
                "tether login URL --profile prod");
        assertThat(byEnv).isEqualTo(ErrorReporter.USAGE);
        assertThat(err.toString()).contains("no profile 'prod' (from TETHER_PROFILE)");
        assertThat(run(env(), "logout", "--profile", "prod")).isEqualTo(ErrorReporter.USAGE);
        assertThat(home.requests).hasSize(1);
    }

    @Test
    void aProfileNameThatIsAPathIsRefused() throws Exception {
        assertThat(run(env(), "agents", "ls", "--profile", "../../token")).isEqualTo(ErrorReporter.USAGE);
        assertThat(err.toString()).contains("'../../token' is not a profile name");
        assertThat(run(env("TETHER_PROFILE", ".hidden"), "agents", "ls")).isEqualTo(ErrorReporter.USAGE);
        assertThat(err.toString()).contains("TETHER_PROFILE '.hidden' is not a profile name");
        assertThat(run(env(), "agents", "ls", "--profile", "p".repeat(65))).isEqualTo(ErrorReporter.USAGE);
        assertThat(err.toString()).contains("1 to 64 letters");
    }

    @Test
    void aCorruptedProfileFileIsAUsageErrorNamingTheFile() throws Exception {
        Path file = config.resolve("tether/profiles/default.json");
        Files.createDirectories(file.getParent());
        Files.writeString(file, "{\"url\": \"" + home.url() + "\", \"tok");
        int truncated = run(env(), "agents", "ls");
        String truncatedError = err.toString();
        Files.writeString(file, "{\"url\": \"" + home.url() + "\"}");
        int noToken = run(env(), "agents", "ls");

        assertThat(truncated).isEqualTo(ErrorReporter.USAGE);
        assertThat(truncatedError).contains("profile file " + file + " is corrupted", "tether logout --profile default");
        assertThat(noToken).isEqualTo(ErrorReporter.USAGE);
        assertThat(err.toString()).contains("profile file " + file + " is corrupted (it has no token)");
        assertThat(home.requests).isEmpty();
    }

    @Test
    void logoutRevokesTheTokenOnItsServerAndRemovesTheProfile() throws Exception {
        assertThat(login(home, "default")).isZero();

        assertThat(run(env(), "logout")).as(err.toString()).isZero();

        assertThat(home.requests).last().isEqualTo("POST /api/v1/tokens/tok_1/revoke Bearer " + TOKEN);
        assertThat(config.resolve("tether/profiles/default.json")).doesNotExist();
        assertThat(out.toString()).contains("signed out of " + home.url());
        assertThat(run(env(), "agents", "ls", "--profile", "default")).isEqualTo(ErrorReporter.USAGE);
        assertThat(run(env(), "logout")).isZero();
        assertThat(out.toString()).contains("not signed in");
    }

    @Test
    void logoutFromAServerThatCannotBeReachedStillRemovesTheProfileAndWarns() throws Exception {
        assertThat(login(home, "default")).isZero();
        home.stop();

        assertThat(run(env(), "logout")).isZero();

        assertThat(config.resolve("tether/profiles/default.json")).doesNotExist();
        assertThat(err.toString()).contains("warning: the token was not revoked", "stays valid until 2027-01-05");
    }

    @Test
    void theTokenFileOfAnOlderLoginIsStillUsedUntilADefaultProfileReplacesIt() throws Exception {
        Path legacy = config.resolve("tether/token");
        Files.createDirectories(legacy.getParent());
        Files.writeString(legacy, "tpt_older-login\n");

        assertThat(run(env(), "agents", "ls", "--url", home.url())).as(err.toString()).isZero();
        assertThat(home.requests).containsExactly("GET /api/v1/agents Bearer tpt_older-login");
        assertThat(login(home, "default")).isZero();

        assertThat(legacy).doesNotExist();
    }

    @Test
    void profilesListsTheSavedProfilesWithoutTheirTokens() throws Exception {
        assertThat(login(home, "default")).isZero();
        assertThat(login(other, "staging")).isZero();

        assertThat(run(env("TETHER_PROFILE", "staging"), "profiles")).isZero();

        assertThat(out.toString().lines().toList()).containsExactly(
                "   NAME     URL" + " ".repeat(home.url().length() - 1) + "USER   EXPIRES               CA FILE",
                "   default  " + home.url() + "  alice  2027-01-05T10:00:00Z  -",
                "*  staging  " + other.url() + "  alice  2027-01-05T10:00:00Z  -");
        assertThat(out.toString()).doesNotContain("tpt_");
    }

    private int login(RecordingServer server, String profile) throws IOException {
        InputStream stdin = System.in;
        System.setIn(new ByteArrayInputStream("s3cret\n".getBytes(StandardCharsets.UTF_8)));
        try {
            return run(env(), "login", server.url(), "--user", "alice", "--password-stdin", "--profile", profile);
        } finally {
            System.setIn(stdin);
        }
    }

    private Map<String, String> env(String... pairs) {
        Map<String, String> env = new HashMap<>(Map.of("XDG_CONFIG_HOME", config.toString()));
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return env;
    }

    private int run(Map<String, String> env, String... args) {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        return Main.commandLine(env, args).setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
                .execute(args);
    }

    private static String mode(Path path) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }

    /**
     * An HTTP server on a loopback port that answers sign-ins (with {@code token}), agent lists and revocations, and records each request: method, path, Authorization, and a sign-in's body.
     */
    private static final class RecordingServer {
        private final HttpServer http;
        private final List<String> requests = new CopyOnWriteArrayList<>();

        RecordingServer(String token) throws IOException {
            http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            http.createContext("/api/v1/login", exchange -> respond(exchange, 201, new JsonObject().put("id", "tok_1")
                    .put("token", token).put("expires_at", "2027-01-05T10:00:00Z")));
            http.createContext("/api/v1/agents", exchange -> respond(exchange, 200,
                    new JsonObject().put("agents", List.of())));
            http.createContext("/api/v1/tokens", exchange -> respond(exchange, 200, new JsonObject()));
            http.start();
        }

        String url() {
            return "http://127.0.0.1:" + http.getAddress().getPort();
        }

        void stop() {
            http.stop(0);
        }

        private void respond(HttpExchange exchange, int status, JsonObject answer) throws IOException {
            String auth = exchange.getRequestHeaders().getFirst("Authorization");
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            // The path without its query: these tests are about which server gets which token.
            requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath() + " "
                    + (auth == null ? "-" : auth) + (exchange.getRequestURI().getPath().endsWith("/login") ? " "
                    + body : ""));
            byte[] bytes = answer.encode().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, bytes.length);
            try (var stream = exchange.getResponseBody()) {
                stream.write(bytes);
            }
        }
    }
}
