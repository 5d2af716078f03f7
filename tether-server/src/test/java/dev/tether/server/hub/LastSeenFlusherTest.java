package dev.tether.server.hub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.server.store.AgentSessionStore;
import dev.tether.server.store.AgentStore;
import dev.tether.server.store.Database;
import dev.tether.server.testing.TestDatabase;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code last_seen} reaches the database for every frame a flush could have seen, on a real SQLite store. */
class LastSeenFlusherTest {

    @TempDir
    Path dir;
    private Database db;
    private AgentStore agents;
    private final List<LiveConnection> live = new CopyOnWriteArrayList<>();
    private LastSeenFlusher flusher;

    @BeforeEach
    void open() {
        db = Database.open(TestDatabase.SQLITE.freshJdbcUrl(dir), 2);
        db.migrate();
        agents = new AgentStore(db);
        flusher = new LastSeenFlusher(new AgentSessionStore(db, "test"), Runnable::run, () -> live);
    }

    @AfterEach
    void close() {
        db.close();
    }

    private RecordingConnection connected(String name) {
        RecordingConnection connection = new RecordingConnection(agents.create(name, Map.of(), "h-" + name, 1).id(),
                System.nanoTime());
        live.add(connection);
        return connection;
    }

    private long lastSeen(RecordingConnection connection) {
        return agents.find(connection.agentId()).orElseThrow().lastSeen();
    }

    @Test
    void everyFrameAfterAFlushIsWrittenByTheNext() throws InterruptedException {
        RecordingConnection first = connected("first");
        RecordingConnection second = connected("second");
        first.lastSeenMillis = System.currentTimeMillis();
        second.lastSeenMillis = first.lastSeenMillis;
        flusher.flushNow();
        assertThat(lastSeen(first)).isEqualTo(first.lastSeenMillis);

        Thread.sleep(5);
        first.lastSeenMillis = System.currentTimeMillis();
        flusher.flushNow();
        Thread.sleep(5);
        second.lastSeenMillis = System.currentTimeMillis();
        flusher.flushNow();

        assertThat(lastSeen(first)).isEqualTo(first.lastSeenMillis);
        assertThat(lastSeen(second)).isEqualTo(second.lastSeenMillis);
    }

    @Test
    void aConnectionSeenFirstAfterAFlushIsWrittenWhenItsFrameCameAfterThatFlush() throws InterruptedException {
        connected("early").lastSeenMillis = System.currentTimeMillis();
        flusher.flushNow();
        Thread.sleep(5);

        RecordingConnection late = connected("late");
        late.lastSeenMillis = System.currentTimeMillis();
        flusher.flushNow();

        assertThat(lastSeen(late)).isEqualTo(late.lastSeenMillis);
    }

    @Test
    void aDepartedAgentsFinalValueIsWrittenOnce() {
        RecordingConnection leaving = connected("leaving");
        live.remove(leaving);
        flusher.departed(leaving.agentId(), 7_000);
        flusher.flushNow();
        assertThat(lastSeen(leaving)).isEqualTo(7_000);
    }
}
