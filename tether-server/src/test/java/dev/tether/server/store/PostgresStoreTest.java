package dev.tether.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.server.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PostgresStoreTest extends StoreTest {

    @Override
    TestDatabase database() {
        return TestDatabase.POSTGRESQL;
    }

    @Test
    void transactionsPostgresAbortsToBreakADeadlockRunAgainAndBothCommit() throws Exception {
        String other = agents.create("other-agent", Map.of(), "hash-2", 1000).id();
        CountDownLatch bothLocked = new CountDownLatch(2);
        AtomicInteger attempts = new AtomicInteger();

        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            CompletableFuture<Void> first = CompletableFuture.runAsync(() -> db.inTransaction("first", connection ->
                    lockBoth(connection, agentId, other, bothLocked, attempts)), threads);
            CompletableFuture<Void> second = CompletableFuture.runAsync(() -> db.inTransaction("second", connection ->
                    lockBoth(connection, other, agentId, bothLocked, attempts)), threads);

            CompletableFuture.allOf(first, second).get(30, TimeUnit.SECONDS);
        } finally {
            threads.shutdownNow();
        }
        assertThat(attempts.get()).isEqualTo(3);
        assertThat(agents.find(agentId).orElseThrow().statusMessage()).isNotNull();
        assertThat(agents.find(other).orElseThrow().statusMessage()).isNotNull();
    }

    /** Locks {@code a}, waits until the other transaction locked its first row too, then locks {@code b}. */
    private static Void lockBoth(Connection connection, String a, String b, CountDownLatch bothLocked,
            AtomicInteger attempts) throws SQLException {
        attempts.incrementAndGet();
        touch(connection, a);
        bothLocked.countDown();
        try {
            bothLocked.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        touch(connection, b);
        return null;
    }

    private static void touch(Connection connection, String agentId) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE agents SET status_message = 'touched' WHERE id = ?")) {
            update.setString(1, agentId);
            update.executeUpdate();
        }
    }
}
