package dev.tether.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.server.cluster.NodeRegistry.Self;
import dev.tether.server.events.EventFilter;
import dev.tether.server.events.EventLog;
import dev.tether.server.events.ServerEvent;
import dev.tether.server.store.AgentStore;
import dev.tether.server.store.Database;
import dev.tether.server.testing.TestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sweeping a dead node's agents against a real PostgreSQL: in batches, never holding every row until the last
 * (the agents' handshakes on the surviving nodes would wait for it), each agent taken offline once, and a sweep
 * whose sweeper died finished by another node.
 */
class NodeSweepTest {

    @TempDir
    Path dir;
    Database db;
    NodeRegistry registry;
    AgentStore agents;
    final AtomicInteger swept = new AtomicInteger();

    @BeforeEach
    void open() {
        db = Database.open(TestDatabase.POSTGRESQL.freshJdbcUrl(dir), null, 6, "tether/test");
        db.migrate();
        registry = new NodeRegistry(db);
        agents = new AgentStore(db);
    }

    @AfterEach
    void close() {
        db.close();
    }

    private Membership member(String name) throws InterruptedException {
        Membership member = new Membership(registry, new Self(name, name + "-" + System.nanoTime(), "http://" + name,
                "dev", Membership.LEASE.toMillis()), () -> { }, swept::incrementAndGet);
        member.join();
        return member;
    }

    private List<String> heldBy(String node, int count) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ids.add(agents.create(node + "-agent-" + i, Map.of(), "hash-" + node + i, 1).id());
        }
        update("UPDATE agents SET holder_node = ? WHERE name LIKE ?", node, node + "-agent-%");
        return ids;
    }

    private void update(String sql, String... values) {
        db.withConnection("test update", connection -> {
            try (PreparedStatement update = connection.prepareStatement(sql)) {
                for (int i = 0; i < values.length; i++) {
                    update.setString(i + 1, values[i]);
                }
                return update.executeUpdate();
            }
        });
    }

    private void expire(String node) {
        db.withConnection("expire", connection -> {
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE nodes SET renewed_at = renewed_at - ? WHERE name = ?")) {
                update.setLong(1, Membership.LEASE.toMillis() + 1000);
                update.setString(2, node);
                return update.executeUpdate();
            }
        });
    }

    private int heldCount(String node) {
        return db.withConnection("count", connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT COUNT(*) FROM agents WHERE holder_node = ?")) {
                select.setString(1, node);
                try (ResultSet row = select.executeQuery()) {
                    row.next();
                    return row.getInt(1);
                }
            }
        });
    }

    private int offlineEvents(String agentId) {
        return new EventLog(db).latest(new EventFilter(Set.of(ServerEvent.AGENT_OFFLINE), agentId), 10).size();
    }

    @Test
    void aNodeHoldingMoreAgentsThanABatchHasEachOfThemTakenOfflineOnce() throws Exception {
        member("a");
        Membership b = member("b");
        List<String> ids = heldBy("a", NodeRegistry.SWEEP_BATCH * 2 + 1);

        expire("a");
        b.sweep();

        assertThat(heldCount("a")).isZero();
        assertThat(ids).allSatisfy(id -> assertThat(offlineEvents(id)).isEqualTo(1));
        assertThat(swept).hasValue(1);
    }

    @Test
    void anAgentWhoseHandshakeHoldsItsRowIsPassedOverThenLeftToTheNodeThatTookIt() throws Exception {
        member("a");
        Membership b = member("b");
        List<String> ids = heldBy("a", 20);
        String moving = ids.get(7);
        expire("a");

        CompletableFuture<Void> sweep;
        try (Connection handshake = db.openDedicated()) {
            handshake.setAutoCommit(false);
            // A handshake on node b taking the agent over: its row is locked until it commits.
            execute(handshake, "SELECT id FROM agents WHERE id = '" + moving + "' FOR UPDATE");
            sweep = CompletableFuture.runAsync(b::sweep);

            // Everything else goes offline without waiting for the handshake.
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> heldCount("a") == 1);
            assertThat(sweep).isNotDone();

            execute(handshake, "UPDATE agents SET holder_node = 'b' WHERE id = '" + moving + "'");
            handshake.commit();
        }
        sweep.get(10, TimeUnit.SECONDS);

        assertThat(agents.find(moving).orElseThrow().holderNode()).isEqualTo("b");
        assertThat(offlineEvents(moving)).isZero();
        assertThat(ids.stream().filter(id -> !id.equals(moving)).mapToInt(this::offlineEvents).sum())
                .isEqualTo(19);
    }

    @Test
    void aSweepWhoseSweeperDiedHalfwayIsFinishedByAnotherNode() throws Exception {
        member("a");
        Membership c = member("c");
        List<String> ids = heldBy("a", 5);
        // The sweeper marked node a expired, then died before taking its agents offline.
        update("UPDATE nodes SET expired = 1 WHERE name = ?", "a");

        for (int tick = 0; tick < Membership.UNFINISHED_CHECK_TICKS; tick++) {
            c.sweep();
        }

        assertThat(heldCount("a")).isZero();
        assertThat(ids).allSatisfy(id -> assertThat(offlineEvents(id)).isEqualTo(1));
        assertThat(swept).hasValue(1);
    }

    private static void execute(Connection connection, String sql) throws SQLException {
        try (var statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }
}
