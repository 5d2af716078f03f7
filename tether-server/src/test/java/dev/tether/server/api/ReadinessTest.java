package dev.tether.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.server.ServerConfig;
import dev.tether.server.cluster.Cluster;
import dev.tether.server.testing.Api.Response;
import dev.tether.server.testing.TestDatabase;
import dev.tether.server.testing.TestServer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /readyz} is what a load balancer acts on: a node that is merely busy must stay ready (marking it down
 * cuts its sessions and sends their agents into the same load elsewhere), and a node that cannot reach its
 * database must not. Against a real PostgreSQL, whose table locks stall exactly the work they cover.
 */
class ReadinessTest {

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
    void aNodeWhoseDatabaseWorkIsAllQueuedAnswersReadyAtOnce() throws Exception {
        ServerConfig config = TestServer.config(dir, TestDatabase.POSTGRESQL, Duration.ofSeconds(30));
        server = TestServer.start(config);
        try (Connection holder = DriverManager.getConnection(config.jdbcUrl());
                ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            holder.setAutoCommit(false);
            execute(holder, "LOCK TABLE agents IN ACCESS EXCLUSIVE MODE");
            // More than the node has database threads (at most 16): each of them waits on the lock, the rest queue.
            for (int i = 0; i < 64; i++) {
                callers.execute(() -> {
                    try {
                        server.api().get("/api/v1/agents");
                    } catch (IllegalStateException timedOut) {
                        // Expected while the lock is held.
                    }
                });
            }
            Thread.sleep(500);

            long started = System.nanoTime();
            Response ready = server.api().withToken(null).get("/readyz");
            Duration took = Duration.ofNanos(System.nanoTime() - started);

            holder.rollback();
            assertThat(ready.status()).as(ready.body()).isEqualTo(200);
            assertThat(took).as("a probe must not wait behind the node's queued database work")
                    .isLessThan(Duration.ofSeconds(2));
        }
    }

    @Test
    void aNodeThatCannotRenewItsLeaseIsNotReadyAndRecoversWhenTheDatabaseAnswersAgain() throws Exception {
        ServerConfig config = TestServer.config(dir, TestDatabase.POSTGRESQL, Duration.ofSeconds(30));
        server = TestServer.start(config);
        assertThat(server.api().withToken(null).get("/readyz").status()).isEqualTo(200);

        Response lapsed;
        try (Connection holder = DriverManager.getConnection(config.jdbcUrl())) {
            holder.setAutoCommit(false);
            execute(holder, "LOCK TABLE nodes IN ACCESS EXCLUSIVE MODE");
            lapsed = awaitStatus(503, Cluster.lease().plusSeconds(5));
            holder.rollback();
        }
        Response recovered = awaitStatus(200, Duration.ofSeconds(10));

        assertThat(lapsed.json().getString("error")).isEqualTo("not_ready");
        assertThat(lapsed.json().getString("message")).contains("has not renewed its cluster lease",
                "check the database");
        assertThat(recovered.status()).isEqualTo(200);
    }

    private Response awaitStatus(int status, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        Response last;
        do {
            last = server.api().withToken(null).get("/readyz");
            if (last.status() == status) {
                return last;
            }
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("/readyz did not answer " + status + " within " + within + "; last: "
                + last.status() + " " + last.body());
    }

    private static void execute(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }
}
