package dev.tether.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.server.testing.TestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Transactions that write many agents' rows take them in agent id order, so that two of them never wait for
 * each other in a cycle: a fan-out to 57,000 agents on three nodes deadlocked with the heartbeats'
 * {@code last_seen} flush, which wrote in hash order, and the command was refused with a 500.
 *
 * <p>The test plays the fan-out by hand on a connection of its own, in id order: it holds the first agent's row
 * while a flush given the agents in descending order starts, then takes the last agent's row. A flush in id
 * order waits on the first row holding nothing, so the last is free; a flush in the order given holds every
 * other row by then, and the two deadlock. The hand-played side detects deadlocks first (a shorter
 * {@code deadlock_timeout}), so a deadlock fails the test instead of being retried away by the flush.
 */
class PostgresLockOrderTest {

    private static final int AGENTS = 20;

    @TempDir
    Path dir;
    private String url;
    private Database db;
    private List<String> ids;

    @BeforeEach
    void openDatabase() {
        url = TestDatabase.POSTGRESQL.freshJdbcUrl(dir);
        db = Database.open(url, 4);
        db.migrate();
        AgentStore agents = new AgentStore(db);
        ids = new ArrayList<>();
        for (int i = 0; i < AGENTS; i++) {
            ids.add(agents.create("agent-" + i, Map.of(), "hash-" + i, 1000).id());
        }
        ids.sort(Comparator.naturalOrder());
    }

    @AfterEach
    void closeDatabase() {
        db.close();
    }

    @Test
    void aLastSeenFlushGivenAgentsInAnyOrderTakesTheirRowsInIdOrder() throws Exception {
        Map<String, Long> descending = new LinkedHashMap<>();
        ids.reversed().forEach(id -> descending.put(id, 5_000L));
        AgentSessionStore sessions = new AgentSessionStore(db, "node-a");

        try (Connection fanout = DriverManager.getConnection(url);
                Connection observer = DriverManager.getConnection(url)) {
            fanout.setAutoCommit(false);
            try (Statement settings = fanout.createStatement()) {
                settings.execute("SET deadlock_timeout = '100ms'");
                settings.execute("SET lock_timeout = '10s'");
            }
            lock(fanout, ids.getFirst());
            CompletableFuture<Void> flush = CompletableFuture.runAsync(() -> sessions.flushLastSeen(descending));
            await().atMost(Duration.ofSeconds(10)).until(() -> waitingOnLocks(observer) > 0);

            lock(fanout, ids.getLast());
            fanout.commit();

            flush.get(10, TimeUnit.SECONDS);
        }
        try (Connection check = DriverManager.getConnection(url);
                Statement count = check.createStatement();
                ResultSet row = count.executeQuery("SELECT count(*) FROM agents WHERE last_seen = 5000")) {
            row.next();
            assertThat(row.getInt(1)).isEqualTo(AGENTS);
        }
    }

    private static void lock(Connection connection, String agentId) throws Exception {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT id FROM agents WHERE id = ? FOR UPDATE")) {
            select.setString(1, agentId);
            try (ResultSet row = select.executeQuery()) {
                assertThat(row.next()).isTrue();
            }
        }
    }

    private static int waitingOnLocks(Connection observer) throws Exception {
        try (Statement query = observer.createStatement();
                ResultSet row = query.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = "
                        + "'Lock' AND query LIKE 'UPDATE agents SET last_seen%'")) {
            row.next();
            return row.getInt(1);
        }
    }
}
