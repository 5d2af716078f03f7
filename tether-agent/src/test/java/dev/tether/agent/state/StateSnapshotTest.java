package dev.tether.agent.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.agent.events.AgentEvents;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code tether agent status} reads from {@code agent.db}, running or stopped, old or new. */
class StateSnapshotTest {

    @TempDir
    Path temp;

    @Test
    void aStoppedAgentsStateSaysWhoItIsWhatWaitsAndHowItsConnectionsEnded() {
        try (StateStore store = StateStore.open(temp)) {
            store.recordBoot("boot-1", "1.0.0", 1_000);
            store.recordBoot("boot-2", "1.1.0", 2_000);
            store.recordSession("agent-7", "web-1", "session-3");
            store.link().ended("connection to wss://a failed: cannot connect", 2_100);
            store.link().connected("wss://b/v1/agents/connect", 2_200);
            store.link().ended("the server closed the connection (close 1001)", 2_300);
            store.outbox().append(List.of(AgentEvents.envelope("backup.done", "{}", 2_250)));
        }

        StateSnapshot snapshot = StateSnapshot.read(temp);

        assertThat(snapshot.state().agentName()).isEqualTo("web-1");
        assertThat(snapshot.state().sessionId()).isEqualTo("session-3");
        assertThat(snapshot.outboxDepth()).isEqualTo(1);
        assertThat(snapshot.oldestPending()).isEqualTo(new StateSnapshot.Pending(1, "agent_event", "backup.done", 2_250L));
        assertThat(snapshot.link().server()).isEqualTo("wss://b/v1/agents/connect");
        assertThat(snapshot.link().connectedMs()).isEqualTo(2_200);
        assertThat(snapshot.link().disconnectedMs()).isEqualTo(2_300);
        assertThat(snapshot.link().errors()).extracting(LinkJournal.LinkError::message).containsExactly(
                "the server closed the connection (close 1001)", "connection to wss://a failed: cannot connect");
        assertThat(snapshot.boots()).extracting(StateSnapshot.Boot::version).containsExactly("1.1.0", "1.0.0");
    }

    @Test
    void theLastTenErrorsAreKeptPrintableAndBounded() {
        try (StateStore store = StateStore.open(temp)) {
            for (int i = 0; i < 25; i++) {
                store.link().ended("error " + i, i);
            }
            store.link().ended("evil\u0000\u001b[31mred\n" + "x".repeat(10_000), 99);

            List<LinkJournal.LinkError> errors = store.snapshot().link().errors();

            assertThat(errors).hasSize(10);
            assertThat(errors.getFirst().message()).startsWith("evil??[31mred?xxx").hasSize(300);
            assertThat(errors.get(1).message()).isEqualTo("error 24");
            assertThat(errors.getLast().message()).isEqualTo("error 16");
        }
    }

    @Test
    void aSessionThatDidNotEndWhenTheProcessDiedEndsAtTheNextStartOnly() {
        try (StateStore store = StateStore.open(temp)) {
            store.link().connected("wss://a", 100);
        }
        assertThat(StateSnapshot.read(temp).link().disconnectedMs()).as("killed: the end is unknown").isNull();
        try (StateStore store = StateStore.open(temp)) {
            store.link().ended(null, 500);
            store.link().ended(null, 900);
            assertThat(store.snapshot().link().disconnectedMs()).as("the first end counts").isEqualTo(500);
            assertThat(store.snapshot().link().errors()).as("no reason: not an error").isEmpty();
        }
    }

    @Test
    void anOlderAgentsStateIsReadAsItIsWithoutMigratingIt() throws Exception {
        try (StateStore store = StateStore.open(temp)) {
            store.recordBoot("boot-1", "0.9.0", 1_000);
        }
        OlderSchema.downgrade(temp, 4);

        StateSnapshot snapshot = StateSnapshot.read(temp);

        assertThat(snapshot.link().server()).isNull();
        assertThat(snapshot.boots()).extracting(StateSnapshot.Boot::version).containsExactly("0.9.0");
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + temp.resolve("agent.db"));
                var s = c.createStatement(); var r = s.executeQuery("PRAGMA user_version")) {
            assertThat(r.getInt(1)).isEqualTo(4);
        }
    }

    /**
     * The history is added without raising the schema version: an agent rolled back after a self-update (one that
     * knows schema 4 and refuses anything higher) must still open the state its successor wrote.
     */
    @Test
    void theHistoryIsAddedToASchema4FileWithoutRaisingItsVersion() throws Exception {
        StateStore.open(temp).close();
        assertThat(userVersion()).isEqualTo(4);
        OlderSchema.downgrade(temp, 4);

        try (StateStore store = StateStore.open(temp)) {
            store.link().connected("wss://a", 100);
        }

        assertThat(userVersion()).as("an agent that knows schema 4 still opens it").isEqualTo(4);
        assertThat(StateSnapshot.read(temp).link().server()).isEqualTo("wss://a");
    }

    private int userVersion() throws Exception {
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + temp.resolve("agent.db"));
                var s = c.createStatement(); var r = s.executeQuery("PRAGMA user_version")) {
            return r.getInt(1);
        }
    }

    @Test
    void noStateANewerStateOrAnUnreadableOneIsExplained() throws Exception {
        assertThatThrownBy(() -> StateSnapshot.read(temp.resolve("nowhere")))
                .isInstanceOf(StateStoreException.class).hasMessageContaining("not a directory")
                .hasMessageContaining("--state-dir");
        assertThatThrownBy(() -> StateSnapshot.read(temp))
                .isInstanceOf(StateStoreException.class).hasMessageContaining("has an agent ever run");
        assertThat(temp.resolve("agent.db")).as("reading creates nothing").doesNotExist();

        StateStore.open(temp).close();
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + temp.resolve("agent.db"));
                var s = c.createStatement()) {
            s.executeUpdate("PRAGMA user_version = 9");
        }
        assertThatThrownBy(() -> StateSnapshot.read(temp))
                .isInstanceOf(StateStoreException.class).hasMessageContaining("newer agent (schema 9");

        Files.writeString(temp.resolve("agent.db"), "this is not a database, it is a text file of some length ....");
        assertThatThrownBy(() -> StateSnapshot.read(temp)).isInstanceOf(StateStoreException.class);
    }
}
