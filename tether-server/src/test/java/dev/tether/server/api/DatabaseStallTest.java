package dev.tether.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.server.testing.Api.Response;
import dev.tether.server.testing.TestDatabase;
import dev.tether.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The API while another connection holds SQLite's write lock past the busy timeout (an operator's
 * {@code sqlite3}, a slow fsync): a change is refused with a 503 that says nothing was changed, never reported
 * as failed after it was made, and a retry makes it exactly once.
 */
class DatabaseStallTest {

    /** Short, so the stall takes a second instead of the server's 10 s. */
    private static final Duration BUSY_TIMEOUT = Duration.ofSeconds(1);

    @TempDir
    Path dir;
    private TestServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aCommandCreatedWhileTheWriteLockIsHeldIsRefusedWith503AndARetryCreatesItOnce() throws Exception {
        Path file = dir.resolve("stalled.db");
        server = TestServer.start(TestServer.config(dir, TestDatabase.SQLITE, Duration.ofSeconds(30))
                .withJdbcUrl("jdbc:sqlite:" + file + "?busy_timeout=" + BUSY_TIMEOUT.toMillis()));
        server.api().enrol("worker");
        String request = new JsonObject().put("agents", new JsonArray().add("worker"))
                .put("argv", new JsonArray().add("true")).encode();

        Response refused;
        try (Connection holder = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            execute(holder, "BEGIN IMMEDIATE");
            refused = server.api().post("/api/v1/commands", request);
            execute(holder, "ROLLBACK");
        }
        int storedAfterRefusal = count(file, "commands");
        Response retried = server.api().post("/api/v1/commands", request);

        assertThat(count(file, "commands")).isEqualTo(1);
        assertThat(count(file, "jobs")).isEqualTo(1);
        assertThat(retried.status()).as(retried.body()).isEqualTo(201);
        assertThat(storedAfterRefusal).isZero();
        assertThat(refused.status()).as(refused.body()).isEqualTo(503);
        assertThat(refused.json().getString("error")).isEqualTo("unavailable");
        assertThat(refused.json().getString("message")).contains("nothing was changed", "retry");
    }

    private static void execute(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private static int count(Path file, String table) throws SQLException {
        try (Connection reader = DriverManager.getConnection("jdbc:sqlite:" + file);
                Statement select = reader.createStatement();
                ResultSet row = select.executeQuery("SELECT COUNT(*) FROM " + table)) {
            row.next();
            return row.getInt(1);
        }
    }
}
