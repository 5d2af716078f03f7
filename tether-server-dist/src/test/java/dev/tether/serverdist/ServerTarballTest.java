package dev.tether.serverdist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tarball as an operator uses it: unpacked, {@code bin/tether server} on its own runtime with no Java on the
 * PATH, on SQLite in a data dir of its own; {@code bin/tether backup} against it, and a server started on the
 * copy. And what the operator is told when a setting is wrong.
 */
class ServerTarballTest {

    private static final String ADMIN_TOKEN = "tat_server-dist-test-admin-token";

    @TempDir
    Path dir;
    private Path home;
    private Path path;

    @BeforeEach
    void unpack() throws Exception {
        home = ServerPackage.unpack(Files.createDirectory(dir.resolve("unpacked")));
        // The launcher's only tool, readlink, and nothing else: no java on the PATH, no JAVA_HOME.
        path = Files.createDirectory(dir.resolve("path-without-java"));
        Files.createSymbolicLink(path.resolve("readlink"), Path.of("/usr/bin/readlink"));
    }

    @Test
    void aBackupTakenFromTheRunningServerRestoresItsData() throws Exception {
        Path data = dir.resolve("data");
        Path backup = dir.resolve("tether-backup.db");
        String probeListen;
        try (RunningServer server = RunningServer.start(List.of(home.resolve("bin/tether").toString(), "server"),
                serverEnv(data), dir.resolve("server.log"), ADMIN_TOKEN, null)) {
            assertThat(server.status("/readyz")).isEqualTo(200);
            assertThat(Files.readSymbolicLink(Path.of("/proc/" + server.pid() + "/exe")))
                    .as("the JVM is the package's own").isEqualTo(home.resolve("runtime/bin/java"));
            assertThat(Files.readString(Path.of("/proc/" + server.pid() + "/cmdline")).split("\0"))
                    .as("G1 returns the heap a dense node does not use, the JVM the C heap's").contains(
                            "-XX:+UseG1GC", "-XX:MaxHeapFreeRatio=20", "-XX:MinHeapFreeRatio=5",
                            "-XX:TrimNativeHeapInterval=5000");
            server.post("/api/v1/enrollment-tokens", Map.of("description", "made before the backup"));

            Commands.Result saved = Commands.run(List.of(home.resolve("bin/tether").toString(), "backup",
                    backup.toString(), "--url", server.url().toString()), cliEnv(), null, Duration.ofSeconds(60));
            saved.assertExit(0);
            assertThat(saved.out()).contains("saved " + backup, "integrity ok");
            assertThat(mode(backup)).isEqualTo("rw-------");

            probeListen = "127.0.0.1:" + server.url().getPort();
            assertThat(ready(probeListen).exit()).as("bin/tether-ready against a ready server").isZero();
            server.post("/api/v1/enrollment-tokens", Map.of("description", "made after the backup"));
            assertThat(server.stop()).as("a clean stop on SIGTERM (128 + 15)").isEqualTo(143);
        }
        assertThat(mode(data)).isEqualTo("rwx------");
        assertThat(mode(data.resolve("tether.db"))).isEqualTo("rw-------");
        Commands.Result down = ready(probeListen);
        assertThat(down.exit()).isEqualTo(1);
        assertThat(down.err()).startsWith("tether-ready: http://127.0.0.1:");

        Path restored = Files.createDirectory(dir.resolve("restored"));
        Files.copy(backup, restored.resolve("tether.db"));
        try (RunningServer server = RunningServer.start(List.of(home.resolve("bin/tether").toString(), "server"),
                serverEnv(restored), dir.resolve("restored.log"), ADMIN_TOKEN, null)) {
            assertThat(server.text("/api/v1/enrollment-tokens")).contains("made before the backup")
                    .doesNotContain("made after the backup");
        }
    }

    @Test
    void aWrongSettingStopsTheServerWithALineSayingWhatToDo() throws Exception {
        List<String> server = List.of(home.resolve("bin/tether").toString(), "server");
        assertRefused(server, Map.of("TETHER_INSECURE_HTTP", "", "TETHER_LISTEN", "127.0.0.1:0"),
                "tether: refusing to serve plain HTTP: pass --tls-cert/--tls-key, or --insecure-http");
        assertRefused(server, Map.of("TETHER_DB", "jdbc:mysql://db/tether"),
                "tether: unsupported database URL jdbc:mysql://db/tether: use jdbc:postgresql://host:port/database, "
                        + "or leave it unset for SQLite in the data dir");
        assertRefused(server, Map.of("TETHER_DB", "jdbc:postgresql://127.0.0.1:1/tether?user=tether"),
                "tether: cannot open the database jdbc:postgresql://127.0.0.1:1/tether?user=tether: Connection to "
                        + "127.0.0.1:1 refused");
        assertRefused(server, Map.of("TETHER_CONFIG", "/etc/tether/missing.conf"),
                "tether: config file /etc/tether/missing.conf does not exist");
        assertRefused(server, Map.of("TETHER_TLS_CERT", "/etc/tether/tls/cert.pem", "TETHER_TLS_KEY",
                "/etc/tether/tls/key.pem"), "TLS certificate file /etc/tether/tls/cert.pem does not exist");
        assertRefused(server, Map.of("TETHER_LOG_LEVEL", "verbose"), "TETHER_LOG_LEVEL is 'verbose'");

        Files.delete(home.resolve("runtime/bin/java"));
        Commands.Result noRuntime = Commands.run(server, Map.of("-", "", "PATH", path.toString()), null,
                Duration.ofSeconds(30));
        assertThat(noRuntime.exit()).isEqualTo(2);
        assertThat(noRuntime.err()).contains("runtime/bin/java is missing: unpack the whole tether-server package");
    }

    /** A data dir the server's user cannot write: a volume or directory owned by someone else. */
    @Test
    void aDataDirTheServerCannotWriteIsNamedWithItsOwnerToBe() throws Exception {
        ServerPackage.require(isRoot() && Files.isExecutable(Path.of("/usr/bin/setpriv")),
                "not root, or no setpriv (util-linux): cannot run the server as another user");
        Path data = Files.createDirectories(dir.resolve("owned-by-root/data"));
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Map<String, String> env = serverEnv(data);
        env.put("-", "");
        Commands.Result result = Commands.run(List.of("/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
                "--clear-groups", home.resolve("bin/tether").toString(), "server"), env, null, Duration.ofSeconds(60));
        assertThat(result.exit()).as(result.err()).isEqualTo(2);
        assertThat(result.err()).contains("tether: cannot write the data dir " + data + " as user nobody",
                "make it writable by nobody (chown -R nobody " + data + "), or choose another with --data-dir",
                "(--data-dir came from $TETHER_DATA_DIR)").doesNotContain("\tat ");
    }

    private void assertRefused(List<String> command, Map<String, String> settings, String message)
            throws IOException, InterruptedException {
        Map<String, String> env = serverEnv(dir.resolve("refused-data"));
        env.putAll(settings);
        Commands.Result result = RunningServer.refused(command, env);
        assertThat(result.exit()).as("exit with %s: %s", settings, result.err()).isEqualTo(2);
        assertThat(result.err()).as("with %s", settings).contains(message).doesNotContain("\tat ");
    }

    private Map<String, String> serverEnv(Path data) {
        Map<String, String> env = new HashMap<>(Map.of("PATH", path.toString(), "HOME", dir.toString(),
                "TETHER_LISTEN", "127.0.0.1:0", "TETHER_INSECURE_HTTP", "true", "TETHER_DATA_DIR", data.toString(),
                "TETHER_ADMIN_TOKEN", ADMIN_TOKEN, "TETHER_JAVA_OPTS", "-Xmx256m -XX:TieredStopAtLevel=1"));
        return env;
    }

    private Map<String, String> cliEnv() {
        return Map.of("-", "", "PATH", path.toString(), "HOME", dir.toString(), "TETHER_TOKEN", ADMIN_TOKEN);
    }

    private Commands.Result ready(String listen) throws IOException, InterruptedException {
        return Commands.run(List.of(home.resolve("bin/tether-ready").toString()), Map.of("-", "", "PATH",
                path.toString(), "TETHER_LISTEN", listen), null, Duration.ofSeconds(30));
    }

    static boolean isRoot() throws IOException {
        return Files.readString(Path.of("/proc/self/status")).lines()
                .anyMatch(line -> line.matches("Uid:\\s+0\\s.*"));
    }

    private static String mode(Path file) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
    }
}
