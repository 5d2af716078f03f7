package dev.tether.server.hub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.protocol.Limits;
import dev.tether.protocol.v1.Heartbeat;
import dev.tether.server.metrics.ServerMetrics;
import dev.tether.server.store.AgentSessionStore;
import dev.tether.server.store.AgentStore;
import dev.tether.server.store.Database;
import dev.tether.server.testing.TestDatabase;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hub's registry and liveness rules, driven with fake connections and a chosen clock. */
class HubTest {

    private static final Duration INTERVAL = Duration.ofSeconds(1);
    private static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(15);
    private static final long NOW = 1_000_000_000_000L;

    @TempDir
    Path dir;
    private Vertx vertx;
    private Database db;
    private ServerMetrics metrics;
    private Hub hub;

    @BeforeEach
    void createHub() {
        vertx = Vertx.vertx();
        db = Database.open(TestDatabase.SQLITE.freshJdbcUrl(dir), 2);
        db.migrate();
        metrics = new ServerMetrics();
        hub = new Hub(vertx, "test", metrics, INTERVAL, HANDSHAKE_TIMEOUT, new AgentSessionStore(db, "test"),
                Runnable::run);
    }

    @AfterEach
    void closeAll() {
        hub.close();
        vertx.close().await();
        db.close();
    }

    private RecordingConnection tracked(String agentId) {
        RecordingConnection connection = new RecordingConnection(agentId, NOW);
        hub.track(connection);
        return connection;
    }

    private RecordingConnection registered(String agentId) {
        RecordingConnection connection = tracked(agentId);
        assertThat(hub.register(connection)).isTrue();
        return connection;
    }

    @Test
    void anAgentIsPresentOnlyOnceItsHandshakeCompleted() {
        RecordingConnection connecting = tracked("p1");
        connecting.established = false;
        assertThat(hub.register(connecting)).isTrue();

        assertThat(hub.presence("p1")).as("registered, Welcome not yet sent").isEmpty();
        connecting.established = true;
        assertThat(hub.presence("p1")).isPresent();
    }

    /** Runs the hub's tick every scan period from {@code fromNanos}; the first tick at which it was closed. */
    private long tickUntilClosed(RecordingConnection connection, long fromNanos, long untilNanos) {
        long period = hub.scanPeriod().toNanos();
        for (long now = fromNanos; now <= untilNanos; now += period) {
            hub.scan(now);
            if (!connection.closes().isEmpty()) {
                return now;
            }
        }
        return -1;
    }

    @Test
    void handshakeThatTakesTooLongIsClosedWith4004WithinATickOfTheTimeout() {
        RecordingConnection slow = tracked("a1");
        slow.established = false;

        long closedAt = tickUntilClosed(slow, NOW, NOW + HANDSHAKE_TIMEOUT.toNanos() * 2);

        assertThat(slow.closes()).containsExactly("4004 no handshake within 15000 ms");
        assertThat(closedAt - NOW).isGreaterThan(HANDSHAKE_TIMEOUT.toNanos())
                .isLessThanOrEqualTo(HANDSHAKE_TIMEOUT.toNanos() + hub.scanPeriod().toNanos());
    }

    @Test
    void connectionSilentForThreeIntervalsIsClosedAsDeadPeerWithinTheLastTickBeforeTheDeadline() {
        RecordingConnection silent = registered("a1");
        long deadline = NOW + INTERVAL.toNanos() * Limits.MISSED_HEARTBEATS;

        long closedAt = tickUntilClosed(silent, NOW, deadline * 2);

        assertThat(silent.closes()).hasSize(1).first().asString().startsWith("4005 no frame for");
        assertThat(closedAt).isGreaterThan(deadline - hub.scanPeriod().toNanos()).isLessThanOrEqualTo(deadline);
    }

    @Test
    void aConnectionSilentRightAfterItsHandshakeIsClosedAtTheDeadPeerDeadlineNotTheHandshakes() {
        RecordingConnection connection = tracked("a1");
        connection.established = false;
        hub.scan(NOW);
        connection.established = true;
        assertThat(hub.register(connection)).isTrue();

        long closedAt = tickUntilClosed(connection, NOW + hub.scanPeriod().toNanos(), NOW + HANDSHAKE_TIMEOUT.toNanos());

        assertThat(connection.closes()).hasSize(1).first().asString().startsWith("4005");
        assertThat(closedAt).isLessThanOrEqualTo(NOW + INTERVAL.toNanos() * Limits.MISSED_HEARTBEATS);
    }

    @Test
    void heartbeatsKeepAConnectionOpenAndTheWheelVisitsItRarely() {
        RecordingConnection alive = registered("a1");
        long period = hub.scanPeriod().toNanos();

        for (long now = NOW; now <= NOW + INTERVAL.toNanos() * 30; now += period) {
            if ((now - NOW) % INTERVAL.toNanos() == 0) {
                alive.lastFrameNanos = now;
            }
            hub.scan(now);
        }

        assertThat(alive.closes()).isEmpty();
        assertThat(alive.livenessChecks).as("about one check per dead-peer deadline, not one per tick (300 ticks)")
                .isBetween(10, 40);
    }

    @Test
    void recentFrameKeepsAConnectionAlive() {
        RecordingConnection alive = registered("a1");
        alive.lastFrameNanos = NOW + INTERVAL.toNanos() * 10;

        hub.scan(NOW + INTERVAL.toNanos() * 12);

        assertThat(alive.closes()).isEmpty();
    }

    @Test
    void writesStalledBeyondTheWriteTimeoutCloseTheConnection() {
        RecordingConnection stalled = registered("a1");
        stalled.writeBlockedSinceNanos = NOW;
        stalled.lastFrameNanos = NOW + Limits.WRITE_TIMEOUT.toNanos();

        hub.scan(NOW + Limits.WRITE_TIMEOUT.toNanos() + 1);

        assertThat(stalled.closes()).hasSize(1).first().asString().contains("the agent is not reading");
    }

    @Test
    void writesThatBlockLaterAreWatchedEveryTickWhileTheConnectionKeepsHeartbeating() {
        RecordingConnection connection = registered("a1");
        long period = hub.scanPeriod().toNanos();
        hub.scan(NOW);
        long blockedAt = NOW + 5 * period;
        long closedAt = -1;
        for (long now = NOW + period; now <= blockedAt + Limits.WRITE_TIMEOUT.toNanos() * 2; now += period) {
            connection.lastFrameNanos = now;
            if (now == blockedAt) {
                connection.writeBlockedSinceNanos = blockedAt;
                hub.writesBlocked(connection);
            }
            hub.scan(now);
            if (!connection.closes().isEmpty()) {
                closedAt = now;
                break;
            }
        }

        assertThat(connection.closes()).hasSize(1).first().asString().contains("the agent is not reading");
        assertThat(closedAt - blockedAt).isGreaterThan(Limits.WRITE_TIMEOUT.toNanos())
                .isLessThanOrEqualTo(Limits.WRITE_TIMEOUT.toNanos() + period);
    }

    @Test
    void writesThatFlowAgainAreNoLongerWatched() {
        RecordingConnection connection = registered("a1");
        connection.writeBlockedSinceNanos = NOW;
        hub.writesBlocked(connection);
        hub.scan(NOW + 1);
        connection.writeBlockedSinceNanos = 0;
        connection.lastFrameNanos = NOW + Limits.WRITE_TIMEOUT.toNanos() * 2;

        hub.scan(NOW + Limits.WRITE_TIMEOUT.toNanos() * 2);

        assertThat(connection.closes()).isEmpty();
    }

    @Test
    void secondConnectionReplacesTheFirstAndCountsAsAReconnect() {
        RecordingConnection first = registered("a1");
        RecordingConnection second = registered("a1");

        assertThat(first.closes()).containsExactly("4001 replaced by a newer connection");
        assertThat(second.closes()).isEmpty();
        assertThat(metrics.scrape()).contains("tether_reconnects_total 1.0");

        hub.unregister(first);
        assertThat(hub.online("a1")).isTrue();
        hub.unregister(second);
        assertThat(hub.online("a1")).isFalse();
    }

    @Test
    void revokeClosesTheLiveConnectionAndRefusesOneStillHandshaking() {
        RecordingConnection live = registered("a1");

        hub.revoke("a1");

        assertThat(live.closes()).containsExactly("4002 agent key revoked");
        assertThat(hub.register(tracked("a1"))).isFalse();
    }

    @Test
    void presenceComesFromTheLiveConnection() {
        RecordingConnection live = registered("a1");
        live.lastSeenMillis = 1234;
        live.heartbeat = Heartbeat.newBuilder().setOutboxDepth(5).build();
        registered("a2").heartbeat = Heartbeat.newBuilder().setOutboxDepth(2).build();

        Presence presence = hub.presence("a1").orElseThrow();

        assertThat(presence.lastSeen()).isEqualTo(1234);
        assertThat(hub.reportedOutboxDepth()).isEqualTo(7);
        assertThat(hub.presence("nobody")).isEmpty();
        assertThat(hub.connectedCount()).isEqualTo(2);
    }

    @Test
    void wakeReachesOnlyTheAgentsLiveConnection() {
        RecordingConnection live = registered("a1");

        hub.wake("a1");
        hub.wake("a2");

        assertThat(live.wakes).isEqualTo(1);
    }

    @Test
    void scanPeriodIsATenthOfTheIntervalButNeverUnder50Ms() {
        assertThat(hub.scanPeriod()).isEqualTo(Duration.ofMillis(100));
        Hub fast = new Hub(vertx, "test", new ServerMetrics(), Duration.ofMillis(200), HANDSHAKE_TIMEOUT, null,
                Runnable::run);
        assertThat(fast.scanPeriod()).isEqualTo(Duration.ofMillis(50));
    }

    @Test
    void lastSeenOfConnectedAndDepartedAgentsIsWrittenOnClose() {
        AgentStore agents = new AgentStore(db);
        String stays = agents.create("stays", Map.of(), "h1", 1).id();
        String leaves = agents.create("leaves", Map.of(), "h2", 1).id();
        RecordingConnection staying = registered(stays);
        RecordingConnection leaving = registered(leaves);
        staying.lastSeenMillis = 5000;
        leaving.lastSeenMillis = 6000;
        hub.unregister(leaving);

        hub.close();

        assertThat(agents.find(stays).orElseThrow().lastSeen()).isEqualTo(5000);
        assertThat(agents.find(leaves).orElseThrow().lastSeen()).isEqualTo(6000);
    }

    @Test
    void heartbeatSamplingKeepsEachLiveAgentsLastHeartbeatOfTheMinute() {
        RecordingConnection live = registered("a1");
        live.heartbeat = Heartbeat.newBuilder().setCpuPercent(40).setOutboxDepth(7).build();
        long now = 1_000_000L * HeartbeatHistory.SLOT.toMillis();

        hub.sampleHeartbeats(now);
        hub.unregister(live);
        hub.sampleHeartbeats(now + HeartbeatHistory.SLOT.toMillis());

        assertThat(hub.history().samples("a1", now + HeartbeatHistory.SLOT.toMillis()))
                .containsExactly(new HeartbeatHistory.Sample(now, 40, 0, 0, 7));
    }
}
