package dev.tether.agent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.tether.agent.state.ConfigFiles;
import dev.tether.agent.state.StateStore;
import dev.tether.agent.state.StateStoreException;
import dev.tether.protocol.v1.ConfigUpdate;
import dev.tether.protocol.v1.Envelope;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigApplierTest {

    @TempDir
    Path dir;

    private StateStore store;
    private ConfigListeners listeners;
    private ConfigApplier applier;
    private final List<String> heard = new CopyOnWriteArrayList<>();

    @BeforeEach
    void open() {
        store = StateStore.open(dir);
        listeners = new ConfigListeners();
        applier = new ConfigApplier(store, new ConfigFiles(dir), listeners, Clock.systemUTC());
        listeners.add((version, json) -> heard.add(version + " " + json), store::state);
    }

    @AfterEach
    void close() {
        listeners.close();
        store.close();
    }

    private static ConfigUpdate update(long version, String json) {
        return ConfigUpdate.newBuilder().setVersion(version).setConfigJson(ByteString.copyFromUtf8(json)).build();
    }

    private List<Envelope> outbox() {
        return store.outbox().read(1, 100);
    }

    @Test
    void aNewerConfigIsStoredWithItsSeqReportedAndWrittenToFiles() throws Exception {
        assertThat(applier.apply(7, update(3, "{\"level\":\"debug\"}"))).isTrue();

        assertThat(store.state().configVersion()).isEqualTo(3);
        assertThat(store.state().configJson()).isEqualTo("{\"level\":\"debug\"}");
        assertThat(store.state().appliedServerSeq()).isEqualTo(7);
        assertThat(outbox()).hasSize(2);
        assertThat(outbox().get(0).getConfigApplied().getVersion()).isEqualTo(3);
        assertThat(outbox().get(0).getConfigApplied().getOk()).isTrue();
        assertThat(outbox().get(1).getAgentEvent().getType()).isEqualTo("agent.config_applied");
        assertThat(outbox().get(1).getAgentEvent().getPayloadJson().toStringUtf8()).isEqualTo("{\"version\":3}");
        assertThat(Files.readString(dir.resolve("config.json"))).isEqualTo("{\"level\":\"debug\"}");
        assertThat(Files.readString(dir.resolve("config.version"))).isEqualTo("3\n");
        await().until(() -> heard.equals(List.of("3 {\"level\":\"debug\"}")));
    }

    @Test
    void theSameOrAnOlderVersionOnlyRecordsTheSeq() {
        applier.apply(1, update(3, "{\"v\":3}"));
        assertThat(applier.apply(2, update(3, "{\"v\":\"again\"}"))).isFalse();
        assertThat(applier.apply(3, update(2, "{\"v\":2}"))).isFalse();

        assertThat(store.state().configVersion()).isEqualTo(3);
        assertThat(store.state().configJson()).isEqualTo("{\"v\":3}");
        assertThat(store.state().appliedServerSeq()).isEqualTo(3);
        assertThat(outbox()).hasSize(2);
        await().until(() -> heard.size() == 1);
    }

    @Test
    void theConfigAndItsSeqArePersistedTogether() {
        applier.apply(11, update(5, "{\"x\":[1,2]}"));
        listeners.close();
        store.close();

        store = StateStore.open(dir);
        listeners = new ConfigListeners();
        assertThat(store.state().configVersion()).isEqualTo(5);
        assertThat(store.state().configJson()).isEqualTo("{\"x\":[1,2]}");
        assertThat(store.state().appliedServerSeq()).isEqualTo(11);
        assertThat(store.outbox().read(1, 10)).hasSize(2);
    }

    @Test
    void whenTheReportCannotBeStoredNeitherTheConfigNorTheSeqIsApplied() throws Exception {
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("agent.db"));
                var s = c.createStatement()) {
            s.executeUpdate("CREATE TRIGGER refuse BEFORE INSERT ON outbox "
                    + "BEGIN SELECT RAISE(ABORT, 'simulated disk full'); END");
        }
        assertThatThrownBy(() -> applier.apply(4, update(2, "{}"))).isInstanceOf(StateStoreException.class);

        assertThat(store.state().configVersion()).isZero();
        assertThat(store.state().appliedServerSeq()).isZero();
        assertThat(Files.exists(dir.resolve("config.json"))).isFalse();
    }

    @Test
    void aConfigInAWelcomeHasNoSeqToRecord() {
        applier.apply(0, update(1, "{}"));
        assertThat(store.state().configVersion()).isEqualTo(1);
        assertThat(store.state().appliedServerSeq()).isZero();
    }

    @Test
    void malformedJsonIsRefusedAndReportedButItsSeqIsApplied() {
        assertThat(applier.apply(9, update(4, "{\"a\": "))).isFalse();

        assertThat(store.state().configVersion()).isZero();
        assertThat(store.state().appliedServerSeq()).isEqualTo(9);
        assertThat(outbox()).singleElement().satisfies(e -> {
            assertThat(e.getConfigApplied().getVersion()).isEqualTo(4);
            assertThat(e.getConfigApplied().getOk()).isFalse();
            assertThat(e.getConfigApplied().getError()).startsWith("config version 4 is not well-formed JSON");
        });
        assertThat(Files.exists(dir.resolve("config.json"))).isFalse();
        assertThat(heard).isEmpty();
    }

    @Test
    void aListenerRegisteredLaterHearsTheCurrentConfigFirstThenNewOnesInOrder() {
        applier.apply(1, update(1, "{\"v\":1}"));
        List<Long> versions = new CopyOnWriteArrayList<>();
        listeners.add((version, json) -> versions.add(version), store::state);
        applier.apply(2, update(2, "{\"v\":2}"));
        applier.apply(3, update(5, "{\"v\":5}"));
        await().until(() -> versions.equals(List.of(1L, 2L, 5L)));
    }

    @Test
    void aFailingListenerDoesNotStopTheOthers() {
        listeners.add((version, json) -> {
            throw new IllegalStateException("listener bug");
        }, store::state);
        applier.apply(1, update(1, "{}"));
        applier.apply(2, update(2, "{}"));
        await().until(() -> heard.size() == 2);
    }
}
