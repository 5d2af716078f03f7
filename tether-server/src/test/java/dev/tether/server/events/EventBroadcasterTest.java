package dev.tether.server.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.server.store.Database;
import dev.tether.server.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broadcaster over a real event log, its drains run at once on the caller's thread: without subscribers it
 * reads the end of the table only now and then, and a subscriber arriving meanwhile still gets every event after
 * the cursor it reads.
 */
class EventBroadcasterTest {

    @TempDir
    Path dir;
    Database db;
    EventLog log;

    @BeforeEach
    void openDatabase() {
        db = Database.open(TestDatabase.SQLITE.freshJdbcUrl(dir), 2);
        db.migrate();
        log = new EventLog(db);
    }

    @AfterEach
    void closeDatabase() {
        db.close();
    }

    @Test
    void withoutSubscribersTheCursorMovesOnlyOncePerInterval() {
        EventBroadcaster broadcaster = new EventBroadcaster(log, Runnable::run, Duration.ofHours(1));
        broadcaster.start();
        store(2);
        broadcaster.wake();
        long first = broadcaster.cursor();
        store(3);
        broadcaster.wake();

        assertThat(first).isEqualTo(log.lastId() - 3);
        assertThat(broadcaster.cursor()).as("not read again within the interval").isEqualTo(first);
    }

    @Test
    void aSubscriberArrivingWhileTheCursorLagsGetsEveryEventAfterTheCursorItReads() {
        java.util.ArrayDeque<Runnable> drains = new java.util.ArrayDeque<>();
        EventBroadcaster broadcaster = new EventBroadcaster(log, drains::add, Duration.ofHours(1));
        broadcaster.start();
        store(1);
        broadcaster.wake();
        runAll(drains);
        store(4);
        broadcaster.wake();
        runAll(drains);
        List<ServerEvent> live = new CopyOnWriteArrayList<>();

        assertThat(broadcaster.subscribe(live::add)).isTrue();
        long upTo = broadcaster.cursor();
        runAll(drains);

        List<Long> after = log.between(upTo, Long.MAX_VALUE, EventFilter.ALL, 100).stream().map(ServerEvent::id)
                .toList();
        assertThat(after).as("the cursor lagged behind the last commit").hasSize(4);
        assertThat(live.stream().map(ServerEvent::id).toList())
                .as("offered live, without waiting for another commit").containsExactlyElementsOf(after);
    }

    private static void runAll(java.util.Queue<Runnable> tasks) {
        Runnable task;
        while ((task = tasks.poll()) != null) {
            task.run();
        }
    }

    @Test
    void withASubscriberEveryCommitIsOfferedAtOnce() {
        EventBroadcaster broadcaster = new EventBroadcaster(log, Runnable::run, Duration.ofHours(1));
        broadcaster.start();
        List<ServerEvent> live = new CopyOnWriteArrayList<>();
        broadcaster.subscribe(live::add);
        store(2);
        broadcaster.wake();
        store(1);
        broadcaster.wake();

        assertThat(live).hasSize(3);
        assertThat(broadcaster.cursor()).isEqualTo(log.lastId());
    }

    private void store(int count) {
        List<ServerEvent> events = new java.util.ArrayList<>();
        for (int i = 0; i < count; i++) {
            events.add(ServerEvent.create(ServerEvent.AGENT_EVENT, null, new JsonObject().put("n", i), 1000));
        }
        log.append(events);
    }
}
