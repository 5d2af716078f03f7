package dev.tether.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import dev.tether.server.store.Database;
import dev.tether.server.testing.Api;
import dev.tether.server.testing.TestAgent;
import dev.tether.server.testing.TestDatabase;
import dev.tether.server.testing.TestServer;
import dev.tether.server.users.UserStore;
import dev.tether.server.users.Users;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * What docs/security.md promises about secrets, against a real server (SQLite) with every kind of secret in
 * play: agent key, admin token, enrollment token, a user's password and personal token, a browser session id
 * and its CSRF token, and a command argument. None of them appears in any log line (at DEBUG), in the audit
 * log, or, except as a hash, in the database; a failed sign-in is audited; an expired personal token is
 * refused; an unknown user's sign-in costs the same Argon2id as a known one's.
 */
class SecretsAtRestAndInLogsTest {

    private static final String PASSWORD = "correct horse battery staple";
    private static final String ARGUMENT = "argument-that-is-a-secret-0xC0FFEE";

    @TempDir
    Path dir;
    TestServer server;
    ServerConfig config;
    final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    Level rootLevel;

    @BeforeEach
    void start() throws Exception {
        rootLevel = root.getLevel();
        root.setLevel(Level.DEBUG);
        logs.start();
        root.addAppender(logs);
        config = TestServer.config(dir.resolve("data"), TestDatabase.SQLITE, Duration.ofSeconds(30));
        server = TestServer.start(config);
    }

    @AfterEach
    void stop() {
        server.close();
        root.detachAppender(logs);
        root.setLevel(rootLevel);
    }

    @Test
    void noSecretReachesALogLineTheAuditLogOrTheDatabaseExceptAsAHash() throws Exception {
        Map<String, String> secrets = exerciseEverySecret();

        // The audit trail records a request after answering it: wait for the last one.
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
                server.api().get("/api/v1/audit?limit=500").body().contains("command.create"));
        String logged = loggedText();
        String audit = server.api().get("/api/v1/audit?limit=500").body();
        String stored = databaseText();
        for (Map.Entry<String, String> secret : secrets.entrySet()) {
            assertThat(logged).as("the " + secret.getKey() + " in the log").doesNotContain(secret.getValue());
            assertThat(audit).as("the " + secret.getKey() + " in the audit log").doesNotContain(secret.getValue());
            // A command's arguments are data the server must keep; the CSRF token is stored as is (documented:
            // worthless without the session cookie, whose id is stored hashed).
            if (!secret.getKey().equals("command argument") && !secret.getKey().equals("CSRF token")) {
                assertThat(stored).as("the " + secret.getKey() + " in the database").doesNotContain(secret.getValue());
            }
        }
        assertThat(logs.list).as("log lines captured").hasSizeGreaterThan(20);
        assertThat(audit).contains("command.create").contains("user.login");
    }

    @Test
    void aFailedSignInIsAuditedWithTheNameTriedAndNotThePassword() {
        server.api().createUser("ops", "operator", null, PASSWORD);
        Api anonymous = server.api().withToken(null);

        assertThat(anonymous.post("/api/v1/login", new JsonObject().put("user", "ops")
                .put("password", "wrong password, long enough").encode()).status()).isEqualTo(401);
        assertThat(anonymous.post("/api/v1/login", new JsonObject().put("user", "nobody-by-this-name")
                .put("password", "another wrong password").encode()).status()).isEqualTo(401);

        JsonArray entries = server.api().get("/api/v1/audit?limit=50").json().getJsonArray("entries");
        List<String> failed = new ArrayList<>();
        entries.forEach(o -> {
            JsonObject entry = (JsonObject) o;
            if ("user.login_failed".equals(entry.getString("action"))) {
                failed.add(entry.getString("actor"));
            }
        });
        assertThat(failed).containsExactlyInAnyOrder("ops", "nobody-by-this-name");
        assertThat(entries.encode()).doesNotContain("wrong password");
    }

    @Test
    void aPersonalTokenPastItsExpiryIsRefused() throws Exception {
        server.api().createUser("short", "viewer", null, PASSWORD);
        String token = server.api().login("short", PASSWORD);
        Api asUser = server.api().withToken(token);
        assertThat(asUser.get("/api/v1/agents").status()).isEqualTo(200);

        try (Database db = Database.open(config.jdbcUrl(), 1);
                Connection connection = openRaw(db); Statement expire = connection.createStatement()) {
            expire.executeUpdate("UPDATE api_tokens SET expires_at = " + (System.currentTimeMillis() - 1));
        }

        assertThat(asUser.get("/api/v1/agents").status()).isEqualTo(401);
    }

    @Test
    void anUnknownUsersSignInIsCheckedAgainstAHashOfTheSameArgon2idCostAsAKnownUsers() throws Exception {
        server.api().createUser("known", "viewer", null, PASSWORD);
        String known;
        try (Database db = Database.open(config.jdbcUrl(), 1); Connection connection = openRaw(db);
                Statement select = connection.createStatement();
                ResultSet row = select.executeQuery("SELECT password_hash FROM users WHERE name = 'known'")) {
            row.next();
            known = row.getString(1);
        }
        String dummy;
        try (Database db = Database.open(config.jdbcUrl(), 1)) {
            dummy = new Users(new UserStore(db), null).candidate("nobody").passwordHash();
        }

        assertThat(parameters(dummy)).isEqualTo(parameters(known)).startsWith("$argon2id$v=19$m=19456,t=2,p=1");
        assertThat(dummy).isNotEqualTo(known);
    }

    /** {@code $argon2id$v=19$m=..,t=..,p=..}: the algorithm and its cost, without salt and hash. */
    private static String parameters(String encoded) {
        String[] parts = encoded.split("\\$");
        return "$" + parts[1] + "$" + parts[2] + "$" + parts[3];
    }

    private Map<String, String> exerciseEverySecret() throws Exception {
        Map<String, String> secrets = new LinkedHashMap<>();
        Api admin = server.api();
        secrets.put("admin token", TestServer.ADMIN_TOKEN);
        Api.Enrolled agent = admin.enrol("secretive");
        secrets.put("agent key", agent.key());
        try (TestAgent connected = TestAgent.connect(server.port(), agent.key())) {
            connected.hello();
            connected.heartbeatAcked();
        }
        String enrollment = admin.post("/api/v1/enrollment-tokens", new JsonObject().put("ttl_s", 600)
                .put("max_uses", 1).encode()).json().getString("token");
        secrets.put("enrollment token", enrollment);
        admin.withToken(enrollment).post("/v1/agents/enroll", new JsonObject().put("name", "joined").encode());
        admin.createUser("operator", "operator", null, PASSWORD);
        secrets.put("password", PASSWORD);
        String personal = admin.login("operator", PASSWORD);
        secrets.put("personal token", personal);
        admin.withToken(personal).get("/api/v1/agents");
        HttpResponse<String> signedIn = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.port() + "/api/v1/session"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("user", "operator")
                        .put("password", PASSWORD).encode())).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(signedIn.statusCode()).isEqualTo(201);
        String cookie = signedIn.headers().firstValue("Set-Cookie").orElseThrow();
        secrets.put("session id", cookie.substring(cookie.indexOf('=') + 1, cookie.indexOf(';')));
        secrets.put("CSRF token", new JsonObject(signedIn.body()).getString("csrf_token"));
        admin.withToken(personal).post("/api/v1/commands", new JsonObject().put("type", "exec")
                .put("agents", new JsonArray().add("secretive"))
                .put("argv", new JsonArray().add("echo").add(ARGUMENT)).encode());
        secrets.put("command argument", ARGUMENT);
        return secrets;
    }

    private String loggedText() {
        StringBuilder text = new StringBuilder();
        for (ILoggingEvent event : List.copyOf(logs.list)) {
            text.append(event.getFormattedMessage()).append('\n');
            if (event.getThrowableProxy() != null) {
                text.append(ThrowableProxyUtil.asString(event.getThrowableProxy())).append('\n');
            }
        }
        return text.toString();
    }

    /** Every value of every table, as text. */
    private String databaseText() throws Exception {
        StringBuilder text = new StringBuilder();
        try (Database db = Database.open(config.jdbcUrl(), 1); Connection connection = openRaw(db);
                Statement statement = connection.createStatement()) {
            List<String> tables = new ArrayList<>();
            try (ResultSet row = statement.executeQuery("SELECT name FROM sqlite_master WHERE type = 'table'")) {
                while (row.next()) {
                    tables.add(row.getString(1));
                }
            }
            for (String table : tables) {
                try (ResultSet row = statement.executeQuery("SELECT * FROM \"" + table + "\"")) {
                    int columns = row.getMetaData().getColumnCount();
                    while (row.next()) {
                        for (int i = 1; i <= columns; i++) {
                            Object value = row.getObject(i);
                            text.append(value instanceof byte[] bytes ? new String(bytes,
                                    java.nio.charset.StandardCharsets.ISO_8859_1) : value).append('\t');
                        }
                        text.append('\n');
                    }
                }
            }
        }
        assertThat(text).as("tables read").contains("secretive");
        return text.toString();
    }

    private static Connection openRaw(Database db) throws Exception {
        return db.openDedicated();
    }
}
