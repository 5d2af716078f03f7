package dev.tether.cli.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.server.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tether backup FILE} against a running server: a consistent, private copy of its SQLite store that only
 * an admin may take, never written over an existing file, nothing left behind; on PostgreSQL, the way to pg_dump.
 */
class BackupEndToEndTest {

    @TempDir
    Path dir;
    private Fleet fleet;

    @AfterEach
    void stopFleet() throws Exception {
        if (fleet != null) {
            fleet.close();
        }
    }

    private Fleet start(TestInfo test, String jdbcUrl) throws Exception {
        fleet = new Fleet(dir, "BackupEndToEndTest/" + test.getTestMethod().orElseThrow().getName(), jdbcUrl, "1s");
        fleet.startServer();
        return fleet;
    }

    @Test
    void anAdminSavesAPrivateCopyOfTheRunningServersStore(TestInfo test) throws Exception {
        start(test, null);
        fleet.createAgent("kept-1", new JsonObject().put("env", "prod"));
        fleet.createAgent("kept-2", new JsonObject());
        Path backups = Files.createDirectories(dir.resolve("backups"));
        Path file = backups.resolve("tether.db");

        Fleet.CliResult backup = fleet.cli("backup", file.toString());

        assertThat(backup.exit()).as(backup.output()).isZero();
        assertThat(backup.output()).contains("saved " + file).contains("2 agent(s), integrity ok");
        assertThat(Files.getPosixFilePermissions(file)).containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ,
                PosixFilePermission.OWNER_WRITE);
        assertThat(agentNames(file)).containsExactlyInAnyOrder("kept-1", "kept-2");
        assertThat(files(backups)).containsExactly(file);
        assertThat(files(dir.resolve("server")).stream().map(p -> p.getFileName().toString()))
                .as("the server's copy is gone once sent").noneMatch(name -> name.startsWith("backup-"));

        long before = Files.size(file);
        Fleet.CliResult again = fleet.cli("backup", file.toString());
        assertThat(again.exit()).isEqualTo(2);
        assertThat(again.output()).contains(file + " exists").contains("--force");
        assertThat(Files.size(file)).isEqualTo(before);
        fleet.createAgent("kept-3", new JsonObject());
        assertThat(fleet.cli("backup", "--force", file.toString()).exit()).isZero();
        assertThat(agentNames(file)).contains("kept-3");
    }

    @Test
    void aViewerMayNotTakeABackup(TestInfo test) throws Exception {
        start(test, null);
        ServerApi api = fleet.api();
        api.ok("POST", "/api/v1/users", "{\"name\":\"vera\",\"role\":\"viewer\",\"password\":\"correct-horse-battery\"}");
        String token = api.ok("POST", "/api/v1/login", "{\"user\":\"vera\",\"password\":\"correct-horse-battery\"}")
                .getString("token");
        Path file = dir.resolve("stolen.db");

        Fleet.CliResult refused = fleet.cliWithEnv(Map.of("TETHER_URL", fleet.url().toString(), "TETHER_TOKEN", token),
                "backup", file.toString());

        assertThat(refused.exit()).as(refused.output()).isNotZero();
        assertThat(refused.output()).contains("HTTP 403");
        assertThat(files(dir)).noneMatch(p -> p.getFileName().toString().startsWith("stolen.db"));
    }

    @Test
    void onPostgresqlItSaysToUsePgDump(TestInfo test) throws Exception {
        start(test, TestDatabase.POSTGRESQL.freshJdbcUrl(dir));
        Path file = dir.resolve("tether.db");

        Fleet.CliResult refused = fleet.cli("backup", file.toString());

        assertThat(refused.exit()).as(refused.output()).isNotZero();
        assertThat(refused.output()).contains("PostgreSQL").contains("pg_dump").contains("HTTP 409");
        assertThat(files(dir)).noneMatch(p -> p.getFileName().toString().startsWith("tether.db"));
    }

    private static List<String> agentNames(Path database) throws Exception {
        List<String> names = new ArrayList<>();
        try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + database);
                Statement query = connection.createStatement();
                ResultSet row = query.executeQuery("SELECT name FROM agents")) {
            while (row.next()) {
                names.add(row.getString(1));
            }
        }
        return names;
    }

    private static List<Path> files(Path directory) throws Exception {
        try (Stream<Path> list = Files.list(directory)) {
            return list.toList();
        }
    }
}
