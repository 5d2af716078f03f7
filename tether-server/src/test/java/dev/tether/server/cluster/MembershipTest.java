package dev.tether.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.protocol.v1.Hello;
import dev.tether.server.cluster.NodeRegistry.Self;
import dev.tether.server.events.EventFilter;
import dev.tether.server.events.EventLog;
import dev.tether.server.events.ServerEvent;
import dev.tether.server.store.AgentSessionStore;
import dev.tether.server.store.AgentStore;
import dev.tether.server.store.Database;
import dev.tether.server.testing.TestDatabase;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Leases, sweeps and the housekeeping lock against a real PostgreSQL. */
class MembershipTest {

    @TempDir
    Path dir;
    Database db;
    NodeRegistry registry;
    final AtomicInteger leaseLost = new AtomicInteger();
    final AtomicInteger swept = new AtomicInteger();

    @BeforeEach
    void open() {
        db = Database.open(TestDatabase.POSTGRESQL.freshJdbcUrl(dir), null, 4, "tether/test");
        db.migrate();
        registry = new NodeRegistry(db);
    }

    @AfterEach
    void close() {
        db.close();
    }

    private Membership member(String name) {
        return new Membership(registry, new Self(name, name + "-" + System.nanoTime(), "http://" + name, "dev",
                Membership.LEASE.toMillis()), leaseLost::incrementAndGet, swept::incrementAndGet);
    }

    /** Moves a node's last renewal back, as if it had stalled that long. */
    private void stall(String name, long millis) {
        db.withConnection("stall", connection -> {
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE nodes SET renewed_at = renewed_at - ? WHERE name = ?")) {
                update.setLong(1, millis);
                update.setString(2, name);
                return update.executeUpdate();
            }
        });
    }

    @Test
    void aNodeWhoseLeaseExpiredHasItsAgentsTakenOfflineOnceAndLearnsItLostThemWhenItRenews() throws Exception {
        Membership a = member("a");
        Membership b = member("b");
        a.join();
        b.join();
        AgentStore agents = new AgentStore(db);
        String agentId = agents.create("held-by-a", Map.of(), "hash-a", 1).id();
        new AgentSessionStore(db, "a").beginSession(agentId, Hello.getDefaultInstance(), 2);

        stall("a", Membership.LEASE.toMillis() + 1000);
        b.sweep();
        b.sweep();

        assertThat(agents.find(agentId).orElseThrow().holderNode()).isNull();
        List<ServerEvent> offline = new EventLog(db).latest(new EventFilter(java.util.Set.of(ServerEvent.AGENT_OFFLINE),
                agentId), 10);
        assertThat(offline).hasSize(1);
        assertThat(offline.getFirst().payload()).contains("\"node\":\"a\"");
        assertThat(swept).hasValue(1);
        assertThat(registry.list()).filteredOn(n -> n.name().equals("a")).singleElement()
                .extracting(NodeRow::state).isEqualTo("expired");

        a.renew(0, false);
        assertThat(leaseLost).hasValue(1);
        assertThat(registry.list()).filteredOn(n -> n.name().equals("a")).singleElement()
                .extracting(NodeRow::state).isEqualTo("alive");
    }

    @Test
    void aSweepLeavesAnAgentThatReconnectedThroughAnotherNodeOnline() throws Exception {
        member("a").join();
        Membership b = member("b");
        b.join();
        AgentStore agents = new AgentStore(db);
        String agentId = agents.create("moved", Map.of(), "hash-m", 1).id();
        new AgentSessionStore(db, "a").beginSession(agentId, Hello.getDefaultInstance(), 2);
        new AgentSessionStore(db, "b").beginSession(agentId, Hello.getDefaultInstance(), 3);

        stall("a", Membership.LEASE.toMillis() + 1000);
        b.sweep();

        assertThat(agents.find(agentId).orElseThrow().holderNode()).isEqualTo("b");
        assertThat(new EventLog(db).latest(new EventFilter(java.util.Set.of(ServerEvent.AGENT_OFFLINE), agentId), 10))
                .isEmpty();
    }

    @Test
    void aSecondProcessWithTheNameOfALiveNodeIsRefusedAfterWaitingALease() throws Exception {
        Membership first = member("same");
        first.join();
        Thread renewing = Thread.ofVirtual().start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                first.renew(0, false);
                try {
                    Thread.sleep(Membership.RENEW_PERIOD.toMillis());
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        try {
            assertThatThrownBy(() -> member("same").join()).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("node name 'same' is held by a live node")
                    .hasMessageContaining("--node-name");
        } finally {
            renewing.interrupt();
        }
    }

    @Test
    void aRestartAfterACrashTakesItsNameOverOnceTheOldLeaseExpires() throws Exception {
        member("phoenix").join();
        stall("phoenix", Membership.LEASE.toMillis() - 1000);

        long start = System.nanoTime();
        member("phoenix").join();

        assertThat((System.nanoTime() - start) / 1_000_000).isBetween(500L, 4000L);
    }

    @Test
    void theHousekeepingLockIsHeldByOneNodeAtATimeAndMovesWhenItsSessionEnds() {
        Leadership one = new Leadership(db);
        Leadership two = new Leadership(db);
        one.check();
        two.check();
        assertThat(List.of(one.leader(), two.leader())).containsExactly(true, false);

        one.close();

        // The server releases the lock once the closed session's backend has exited; nodes check every second.
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5))
                .pollInterval(java.time.Duration.ofMillis(100)).until(() -> {
                    two.check();
                    return two.leader();
                });
        two.close();
    }
}
