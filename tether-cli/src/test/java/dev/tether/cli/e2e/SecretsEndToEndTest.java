package dev.tether.cli.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where secrets come from and how they are kept, with real processes: the CLI's
 * API token, the server's database password, and the modes of the server's files.
 */
class SecretsEndToEndTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String DB_PASSWORD = "pg-secret-correct-horse";

    @TempDir
    Path dir;

    private static String name(TestInfo test) {
        return "SecretsEndToEndTest/" + test.getTestMethod().orElseThrow().getName();
    }

    @Test
    void aTokenOnTheCommandLineIsRefusedWhileATokenFileOrTheEnvironmentWorks(TestInfo test) throws Exception {
        try (Fleet fleet = new Fleet(dir, name(test), null, "30s")) {
            fleet.startServer();
            Path tokenFile = dir.resolve("admin.token");
            Files.writeString(tokenFile, Fleet.ADMIN_TOKEN + "\n");
            Map<String, String> noLogin = Map.of("TETHER_URL", fleet.url().toString(),
                    "XDG_CONFIG_HOME", dir.resolve("no-login").toString());

            Fleet.CliResult argument = fleet.cliWithEnv(noLogin, "agents", "ls", "--token", Fleet.ADMIN_TOKEN);
            Fleet.CliResult file = fleet.cliWithEnv(noLogin, "agents", "ls", "--token-file", tokenFile.toString());
            Fleet.CliResult env = fleet.cliWithEnv(Map.of("TETHER_URL", fleet.url().toString(),
                    "XDG_CONFIG_HOME", dir.resolve("no-login").toString(), "TETHER_TOKEN", Fleet.ADMIN_TOKEN),
                    "agents", "ls");
            Fleet.CliResult none = fleet.cliWithEnv(noLogin, "agents", "ls");

            assertThat(argument.exit()).as(argument.output()).isEqualTo(2);
            assertThat(argument.output()).contains("--token is refused", "--token-file", "TETHER_TOKEN",
                    "tether login");
            assertThat(file.exit()).as(file.output()).isZero();
            assertThat(file.output()).contains("NAME");
            assertThat(env.exit()).as(env.output()).isZero();
            assertThat(none.exit()).as(none.output()).isEqualTo(2);
            assertThat(none.output()).contains("no API token", "--token-file");
        }
    }

    @Test
    void underUmask000TheDataDirItsDatabaseAndRecordingsAreTheServerUsersOnly(TestInfo test) throws Exception {
        try (Fleet fleet = new Fleet(dir, name(test), null, "1s").serverUmask("000")) {
            fleet.startServer();
            Path data = dir.resolve("server");
            Fleet.AgentIdentity agent = fleet.createAgent("recorded");
            fleet.startAgent(agent, fleet.url(), "--enable-shell", "--shell", "/bin/sh");
            await("agent online").atMost(WAIT).until(() -> "online".equals(fleet.api().status(agent.id())));
            TerminalClient client = TerminalClient.open(fleet.url(), Fleet.ADMIN_TOKEN, agent.id(), "rows=24&cols=80");
            client.awaitControl("ready", WAIT);
            client.type("echo typed-$((6*7))\r");
            client.awaitOutput("typed-42", WAIT);
            client.type("exit\r");
            client.closed().get(10, TimeUnit.SECONDS);
            Path recordings = data.resolve("recordings");
            await("recording written").atMost(WAIT).until(() -> Files.isDirectory(recordings)
                    && casts(recordings).size() == 1);

            assertThat(mode(data)).isEqualTo("rwx------");
            assertThat(mode(data.resolve("tether.db"))).isEqualTo("rw-------");
            assertThat(mode(data.resolve("tether.db-wal"))).isEqualTo("rw-------");
            assertThat(mode(data.resolve("tether.db-shm"))).isEqualTo("rw-------");
            assertThat(mode(recordings)).isEqualTo("rwx------");
            assertThat(mode(casts(recordings).get(0))).isEqualTo("rw-------");
        }
    }

    @Test
    void theDatabasePasswordReachesPostgresFromAFileOrTheEnvironmentAndIsRefusedInTheUrl(TestInfo test)
            throws Exception {
        Path hba = dir.resolve("pg_hba.conf");
        Files.writeString(hba, String.join("\n",
                "local all all trust",
                "host all postgres 127.0.0.1/32 trust",
                "host all postgres ::1/128 trust",
                "host all all 127.0.0.1/32 scram-sha-256",
                "host all all ::1/128 scram-sha-256", ""));
        hba.toFile().setReadable(true, false);
        dir.toFile().setExecutable(true, false);
        try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().setServerConfig("hba_file", hba.toString())
                .start()) {
            try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
                s.execute("CREATE ROLE tether LOGIN PASSWORD '" + DB_PASSWORD + "'");
                s.execute("CREATE DATABASE tether_secrets OWNER tether");
            }
            String url = "jdbc:postgresql://127.0.0.1:" + postgres.getPort() + "/tether_secrets?user=tether";
            Path passwordFile = dir.resolve("db.password");
            Files.writeString(passwordFile, DB_PASSWORD + "\n");
            Path wrongFile = dir.resolve("wrong.password");
            Files.writeString(wrongFile, "not-the-password\n");

            String inUrl = serverExit(test, url + "&password=" + DB_PASSWORD, Map.of());
            String wrong = serverExit(test, url, Map.of(), "--db-password-file", wrongFile.toString());
            serverReady(test, url, Map.of(), "--db-password-file", passwordFile.toString());
            serverReady(test, url, Map.of("TETHER_DB_PASSWORD", DB_PASSWORD));

            assertThat(inUrl).contains("--db must not carry the password", "--db-password-file", "TETHER_DB_PASSWORD")
                    .doesNotContain(DB_PASSWORD);
            assertThat(wrong).contains("password authentication failed");
        }
    }

    /** Starts a server on {@code url}, waits until it is ready (the password was accepted), stops it. */
    private void serverReady(TestInfo test, String url, Map<String, String> env, String... extra) throws Exception {
        try (Fleet fleet = new Fleet(dir.resolve("ok-" + env.size() + extra.length), name(test), url, "30s")) {
            fleet.launchServer(env, extra);
            fleet.awaitReady();
            assertThat(fleet.api().ok("GET", "/api/v1/agents", null).getJsonArray("agents")).isEmpty();
        }
    }

    /** Starts a server on {@code url} that must fail to start; returns its output. */
    private String serverExit(TestInfo test, String url, Map<String, String> env, String... extra) throws Exception {
        try (Fleet fleet = new Fleet(dir.resolve("fail-" + extra.length), name(test), url, "30s")) {
            JavaProcess server = fleet.launchServer(env, extra);
            assertThat(server.waitForExit(WAIT)).as(server.output()).isNotZero();
            return server.output();
        }
    }

    private static List<Path> casts(Path recordings) throws Exception {
        try (Stream<Path> files = Files.list(recordings)) {
            return files.filter(file -> file.toString().endsWith(".cast")).toList();
        }
    }

    private static String mode(Path path) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }
}
