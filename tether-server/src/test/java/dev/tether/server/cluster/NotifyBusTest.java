package dev.tether.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.server.store.Database;
import dev.tether.server.testing.TestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.PGConnection;

/** Wake-ups between two nodes' buses over a real PostgreSQL LISTEN/NOTIFY. */
class NotifyBusTest {

    @TempDir
    Path dir;
    Database db;
    NotifyBus sender;
    NotifyBus receiver;
    final Set<String> woken = ConcurrentHashMap.newKeySet();
    final AtomicInteger wakeAlls = new AtomicInteger();
    final AtomicInteger events = new AtomicInteger();

    @BeforeEach
    void start() {
        db = Database.open(TestDatabase.POSTGRESQL.freshJdbcUrl(dir), null, 4, "tether/test");
        db.migrate();
        sender = new NotifyBus(db, "node-a", new BusMessageTest.Recorded());
        receiver = new NotifyBus(db, "node-b", new BusMessage.Handler() {
            @Override
            public void wake(String agentId) {
                woken.add(agentId);
            }

            @Override
            public void wakeAll() {
                wakeAlls.incrementAndGet();
            }

            @Override
            public void revoke(String agentId) {
            }

            @Override
            public void takenOver(String agentId, long epoch, String byNode) {
            }

            @Override
            public void events() {
                events.incrementAndGet();
            }
        });
        sender.start();
        receiver.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.listening() && sender.listening());
    }

    @AfterEach
    void stop() {
        sender.close();
        receiver.close();
        db.close();
    }

    @Test
    void tenThousandWakeUpsFromOneNodeReachTheOtherInFewNotifyingCommits() throws Exception {
        List<String> ids = IntStream.range(0, 10_000).mapToObj(i -> UUID.randomUUID().toString()).toList();
        try (Connection spy = db.openDedicated()) {
            try (Statement listen = spy.createStatement()) {
                listen.execute("LISTEN " + NotifyBus.CHANNEL);
            }

            ids.forEach(sender::wake);

            await("every id woken on node-b").atMost(Duration.ofSeconds(10)).until(() -> woken.containsAll(ids));
            int payloads = 0;
            var notifications = spy.unwrap(PGConnection.class).getNotifications(1000);
            while (notifications != null && notifications.length > 0) {
                payloads += notifications.length;
                notifications = spy.unwrap(PGConnection.class).getNotifications(200);
            }
            // 10,000 ids of 36 characters fit in about 55 payloads; one per wake-up would be 10,000.
            assertThat(payloads).isBetween(50, 200);
        }
    }

    @Test
    void aListenerWhoseConnectionWasKilledReconnectsAndWakesEverythingSinceItMayHaveMissedNotices()
            throws Exception {
        try (Connection admin = db.openDedicated(); PreparedStatement kill = admin.prepareStatement(
                "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query LIKE 'LISTEN%'"
                        + " AND pid <> pg_backend_pid()")) {
            try (ResultSet row = kill.executeQuery()) {
                row.next();
                assertThat(row.getInt(1)).isEqualTo(2);
            }
        }

        await("re-listened and woke everything").atMost(Duration.ofSeconds(10)).until(() ->
                wakeAlls.get() == 1 && events.get() == 1 && receiver.listening());
        sender.wake("after-the-reconnect");
        await().atMost(Duration.ofSeconds(5)).until(() -> woken.contains("after-the-reconnect"));
    }
}
