package dev.tether.agent.state;

import dev.tether.protocol.Limits;
import dev.tether.protocol.MemoryOutbox;
import dev.tether.protocol.Outbox;
import dev.tether.protocol.SimulatedTether;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterTry;

/**
 * The exactly-once property of the reliable channel (see {@code ReliableDeliveryProperties} in the protocol's
 * tests) with the agent end on its real SQLite outbox, reopened from its file after every crash, and the real
 * window of {@link Limits#RELIABLE_WINDOW}. The server end keeps an outbox in memory: its real stores run the
 * same property in the server's tests.
 */
class SqliteOutboxDeliveryProperties {

    private final List<StateStore> opened = new ArrayList<>();
    private Path stateDir;

    @Property(tries = 60)
    void everyPayloadIsAppliedExactlyOnceInOrderOverTheAgentsSqliteOutbox(
            @ForAll @Size(min = 20, max = 300) List<@IntRange(min = 0, max = 1099) Integer> steps) throws Exception {
        stateDir = Files.createTempDirectory("tether-property-");
        Supplier<Outbox> reopened = () -> {
            closeAll();
            StateStore store = StateStore.open(stateDir);
            opened.add(store);
            return store.outbox();
        };
        MemoryOutbox serverDisk = new MemoryOutbox();
        SimulatedTether tether = new SimulatedTether(Limits.RELIABLE_WINDOW, reopened, () -> serverDisk);

        tether.runAll(steps);

        tether.assertEachPayloadAppliedOnceInOrder();
        tether.collectStatistics();
    }

    private void closeAll() {
        opened.forEach(StateStore::close);
        opened.clear();
    }

    @AfterTry
    void removeStateDir() throws Exception {
        closeAll();
        if (stateDir != null) {
            try (var files = Files.walk(stateDir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }
}
