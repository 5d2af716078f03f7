package dev.tether.server.shell;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.server.store.AgentStore;
import dev.tether.server.store.Database;
import dev.tether.server.testing.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a recording holds (input only with --record-input) and how long it is kept (--recording-retention). */
class RecordingsTest {

    private static final Duration RETENTION = Duration.ofDays(7);

    @TempDir
    Path dir;
    Database db;
    ShellSessionStore sessions;
    Recordings recordings;
    String agentId;
    final ExecutorService io = Executors.newSingleThreadExecutor();

    @BeforeEach
    void open() {
        db = Database.open(TestDatabase.SQLITE.freshJdbcUrl(dir), 2);
        db.migrate();
        sessions = new ShellSessionStore(db, "test");
        recordings = new Recordings(dir, RETENTION, sessions);
        agentId = new AgentStore(db).create("recorded", Map.of(), "hash-r", 1).id();
    }

    @AfterEach
    void close() throws Exception {
        recordings.close();
        io.shutdownNow();
        db.close();
    }

    private String record(boolean recordInput) throws Exception {
        Path file = dir.resolve(recordInput ? "with-input.cast" : "without-input.cast");
        Recorder recorder = Recorder.start(file, io, recordInput, 1 << 20,
                new Recorder.Header(80, 24, System.currentTimeMillis(), "xterm", List.of(), "test"));
        recorder.input("echo typed-secret\r".getBytes(StandardCharsets.UTF_8));
        recorder.output("printed\r\n".getBytes(StandardCharsets.UTF_8));
        recorder.close().get(5, TimeUnit.SECONDS);
        return Files.readString(file);
    }

    @Test
    void typedInputIsRecordedOnlyWithRecordInput() throws Exception {
        String without = record(false);
        String with = record(true);

        assertThat(without).contains("\"o\"").contains("printed").doesNotContain("typed-secret").doesNotContain("\"i\"");
        assertThat(with).contains("\"i\",\"echo typed-secret\\r\"").contains("printed");
    }

    @Test
    void recordingsOfSessionsThatStartedBeforeTheRetentionAreDeletedAndOthersKept() throws Exception {
        long now = System.currentTimeMillis();
        String old = session(now - RETENTION.toMillis() - 60_000, true);
        String recent = session(now - RETENTION.toMillis() + 60_000, true);
        String oldButRunning = session(now - RETENTION.toMillis() - 60_000, false);

        assertThat(recordings.deleteExpired(now)).isEqualTo(1);

        assertThat(Files.exists(dir.resolve("recordings").resolve(old + ".cast"))).isFalse();
        assertThat(sessions.get(old).recording()).isNull();
        assertThat(Files.exists(dir.resolve("recordings").resolve(recent + ".cast"))).isTrue();
        assertThat(Files.exists(dir.resolve("recordings").resolve(oldButRunning + ".cast"))).isTrue();
    }

    /** A stored session started at {@code startedAt}, ended or not, with a recording file. */
    private String session(long startedAt, boolean ended) throws Exception {
        String id = ShellId.random().hex();
        Files.createDirectories(dir.resolve("recordings"));
        Files.writeString(dir.resolve("recordings").resolve(id + ".cast"), "{}\n");
        sessions.insert(new ShellSessionRecord(id, agentId, "admin", "127.0.0.1", List.of(), "xterm", 24, 80,
                startedAt, null, 0, 0, null, null, null, id + ".cast", false));
        if (ended) {
            sessions.end(id, new ShellSessionRecord.End(startedAt + 1000, 0, 0, 0, null, "exited", false));
        }
        return id;
    }
}
