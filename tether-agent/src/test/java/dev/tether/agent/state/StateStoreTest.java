package dev.tether.agent.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.agent.events.AgentEvents;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.DriverManager;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateStoreTest {

    @TempDir
    Path temp;

    private static String mode(Path path) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }

    @Test
    void aNewStateDirIsCreatedReadableByTheOwnerOnly() throws Exception {
        Path dir = temp.resolve("a/b/state");
        try (StateStore store = StateStore.open(dir)) {
            store.outbox().append(List.of(AgentEvents.stopping(0)));
            assertThat(mode(dir)).isEqualTo("rwx------");
            assertThat(mode(dir.resolve("agent.db"))).isEqualTo("rw-------");
            assertThat(mode(dir.resolve("agent.db-wal"))).isEqualTo("rw-------");
            assertThat(mode(dir.resolve("agent.lock"))).isEqualTo("rw-------");
        }
    }

    @Test
    void anExistingDatabaseWithAWiderModeIsNarrowed() throws Exception {
        try (StateStore store = StateStore.open(temp)) {
            store.recordSession("a", "b", "c");
        }
        Files.setPosixFilePermissions(temp.resolve("agent.db"), PosixFilePermissions.fromString("rw-r--r--"));
        StateStore.open(temp).close();
        assertThat(mode(temp.resolve("agent.db"))).isEqualTo("rw-------");
    }

    @Test
    void theDatabaseIsInWalMode() throws Exception {
        StateStore.open(temp).close();
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + temp.resolve("agent.db"));
                var s = c.createStatement();
                var r = s.executeQuery("PRAGMA journal_mode")) {
            r.next();
            assertThat(r.getString(1)).isEqualTo("wal");
        }
    }

    @Test
    void aFreshStoreHasNoIdentityConfigOrAppliedSeq() {
        try (StateStore store = StateStore.open(temp)) {
            assertThat(store.state()).isEqualTo(new StoredState(null, null, null, 0, null, 0, 0));
        }
    }

    @Test
    void theSessionAndBootsSurviveReopening() {
        try (StateStore store = StateStore.open(temp)) {
            store.recordSession("agent-7", "web-1", "session-9");
            for (int i = 0; i < 25; i++) {
                store.recordBoot("boot-" + i, "1.0", i);
            }
        }
        try (StateStore store = StateStore.open(temp)) {
            assertThat(store.state().agentId()).isEqualTo("agent-7");
            assertThat(store.state().agentName()).isEqualTo("web-1");
            assertThat(store.bootIds()).hasSize(20).startsWith("boot-24").endsWith("boot-5");
        }
    }

    @Test
    void aNoOpApplyRecordsTheSeqDurablyAndNeverMovesItBack() {
        try (StateStore store = StateStore.open(temp)) {
            store.applyNoOp(5, List.of());
            store.applyNoOp(3, List.of());
        }
        try (StateStore store = StateStore.open(temp)) {
            assertThat(store.state().appliedServerSeq()).isEqualTo(5);
        }
    }

    @Test
    void aSecondAgentOnTheSameStateDirIsRefused() {
        StateStore first = StateStore.open(temp);
        assertThatThrownBy(() -> StateStore.open(temp))
                .isInstanceOf(StateStoreException.class)
                .hasMessageContaining("another agent is already running with state dir");
        first.close();
        StateStore.open(temp).close();
    }

    @Test
    void aStateDirWrittenOnAnotherMachineIsRefusedWithWhatToDoUnlessTheMoveIsAccepted() {
        try (StateStore store = StateStore.open(temp)) {
            store.claimHost("machine-a", false);
        }
        try (StateStore store = StateStore.open(temp)) {
            store.claimHost("machine-a", false);
            assertThatThrownBy(() -> store.claimHost("machine-b", false))
                    .isInstanceOf(StateStoreException.class)
                    .hasMessageContaining("written on another machine (machine id machine-a, this one is machine-b)")
                    .hasMessageContaining("empty --state-dir")
                    .hasMessageContaining("--accept-moved-state");

            store.claimHost("machine-b", true);
            store.claimHost("machine-b", false);
            assertThatThrownBy(() -> store.claimHost("machine-a", false)).isInstanceOf(StateStoreException.class);
        }
    }

    @Test
    void aVersion2DatabaseKeepsItsPendingPayloadsAndGainsStamps() throws Exception {
        try (StateStore store = StateStore.open(temp)) {
            store.outbox().append(List.of(AgentEvents.envelope("old", "{}", 1)));
        }
        OlderSchema.downgrade(temp, 2);

        try (StateStore store = StateStore.open(temp)) {
            assertThat(store.outbox().read(1, 10)).extracting(e -> e.getAgentEvent().getType()).containsExactly("old");
            assertThat(store.outbox().stampAt(1)).as("stored before stamps: unknown").isZero();
            assertThat(store.outbox().append(List.of(AgentEvents.envelope("new", "{}", 2))).get(0).getStamp())
                    .isNotZero();
        }
    }

    @Test
    void aDatabaseFromANewerAgentIsRefused() throws Exception {
        StateStore.open(temp).close();
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + temp.resolve("agent.db"));
                var s = c.createStatement()) {
            s.executeUpdate("PRAGMA user_version = 9");
        }
        assertThatThrownBy(() -> StateStore.open(temp))
                .isInstanceOf(StateStoreException.class)
                .hasMessageContaining("written by a newer agent (schema 9");
    }

    @Test
    void aVersion2DatabaseGainsTheSpawnColumnsAndKeepsItsRunningJob() throws Exception {
        StateStore.open(temp).close();
        OlderSchema.downgrade(temp, 2);
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + temp.resolve("agent.db"));
                var s = c.createStatement()) {
            s.executeUpdate("INSERT INTO job (job_id, command_id, type, state, pid, accepted_ms, started_ms) "
                    + "VALUES ('job-old', 'cmd-1', 'exec', 'running', 42, 100, 110)");
        }
        try (StateStore store = StateStore.open(temp)) {
            assertThat(store.jobs().openJobs()).singleElement().satisfies(job -> {
                assertThat(job.pid()).isEqualTo(42);
                assertThat(job.startTicks()).isZero();
                assertThat(job.spawnToken()).isEmpty();
            });
        }
    }

    @Test
    void aDamagedDatabaseIsReportedWithItsPath() throws Exception {
        Files.writeString(temp.resolve("agent.db"), "this is not a database, just some text long enough ".repeat(20));
        assertThatThrownBy(() -> StateStore.open(temp))
                .isInstanceOf(StateStoreException.class)
                .hasMessageContaining("cannot open the agent state in " + temp);
    }

    @Test
    void aStateDirThatIsAFileIsRefused() throws Exception {
        Path file = Files.createFile(temp.resolve("file"));
        assertThatThrownBy(() -> StateStore.open(file)).hasMessageContaining("is not a directory");
    }

    @Test
    void aClosedStoreRefusesWork() {
        StateStore store = StateStore.open(temp);
        store.close();
        store.close();
        assertThatThrownBy(store::state).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }
}
