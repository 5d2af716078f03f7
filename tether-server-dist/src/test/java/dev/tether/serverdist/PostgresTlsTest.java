package dev.tether.serverdist;

import static org.assertj.core.api.Assertions.assertThat;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The package's trimmed runtime talks to PostgreSQL over TLS with the certificate checked
 * ({@code sslmode=verify-full}): the JDBC driver, the TLS and elliptic-curve providers and SCRAM are all in it.
 * The database takes TLS connections only, and a password from a file.
 */
class PostgresTlsTest {

    private static final String PASSWORD = "server-dist-db-password";

    @TempDir
    Path dir;

    @Test
    void theServerOnItsOwnRuntimeUsesPostgresqlOverVerifiedTls() throws Exception {
        Path home = ServerPackage.unpack(Files.createDirectory(dir.resolve("unpacked")));
        TestPki ca = TestPki.authority("postgres test CA");
        Path tls = Files.createDirectory(dir.resolve("tls"));
        Path[] certAndKey = ca.issueServer(tls);
        Files.setPosixFilePermissions(certAndKey[1], PosixFilePermissions.fromString("rw-------"));
        Path caFile = ca.writeCertificate(dir.resolve("ca.pem"));
        // TLS connections only (one without finds no line and is refused); the server's with a password.
        Path hba = Files.writeString(dir.resolve("pg_hba.conf"), """
                hostssl all postgres 127.0.0.1/32 trust
                hostssl all postgres ::1/128 trust
                hostssl all tether 127.0.0.1/32 scram-sha-256
                """);
        try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().setServerConfig("ssl", "on")
                .setServerConfig("ssl_cert_file", certAndKey[0].toString())
                .setServerConfig("ssl_key_file", certAndKey[1].toString())
                .setServerConfig("hba_file", hba.toString())
                .setServerConfig("password_encryption", "scram-sha-256").start()) {
            try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
                s.execute("CREATE ROLE tether LOGIN PASSWORD '" + PASSWORD + "'");
                s.execute("CREATE DATABASE tether OWNER tether");
            }
            Path passwordFile = Files.writeString(dir.resolve("db-password"), PASSWORD + "\n");
            String url = "jdbc:postgresql://127.0.0.1:" + postgres.getPort() + "/tether?user=tether&sslmode=verify-full"
                    + "&sslrootcert=" + caFile;
            Path bin = Files.createDirectory(dir.resolve("path-without-java"));
            Map<String, String> env = Map.of("PATH", bin.toString(), "HOME", dir.toString(), "TETHER_DB", url,
                    "TETHER_DB_PASSWORD_FILE", passwordFile.toString(), "TETHER_INSECURE_HTTP", "true",
                    "TETHER_LISTEN", "127.0.0.1:0", "TETHER_DATA_DIR", dir.resolve("data").toString(),
                    "TETHER_ADMIN_TOKEN", "tat_server-dist-postgres-admin-token",
                    "TETHER_JAVA_OPTS", "-Xmx256m -XX:TieredStopAtLevel=1");
            try (RunningServer server = RunningServer.start(List.of(home.resolve("bin/tether").toString(), "server"),
                    env, dir.resolve("server.log"), env.get("TETHER_ADMIN_TOKEN"), null)) {
                assertThat(server.status("/readyz")).isEqualTo(200);
                server.post("/api/v1/enrollment-tokens", Map.of("description", "kept in postgres"));
                try (Connection c = postgres.getPostgresDatabase().getConnection();
                        Statement s = c.createStatement();
                        ResultSet sessions = s.executeQuery("SELECT count(*) FILTER (WHERE ssl), count(*) "
                                + "FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) WHERE datname = 'tether'")) {
                    sessions.next();
                    assertThat(sessions.getInt(2)).as("the server's connections").isPositive();
                    assertThat(sessions.getInt(1)).as("over TLS").isEqualTo(sessions.getInt(2));
                }
                assertThat(server.text("/api/v1/enrollment-tokens")).contains("kept in postgres");
                assertThat(server.stop()).isEqualTo(143);
            }
            assertThat(dir.resolve("data/tether.db")).as("nothing in SQLite").doesNotExist();
        }
    }
}
