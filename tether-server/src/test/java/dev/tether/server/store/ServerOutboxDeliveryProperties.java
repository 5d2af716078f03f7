package dev.tether.server.store;

import dev.tether.protocol.Limits;
import dev.tether.protocol.MemoryOutbox;
import dev.tether.protocol.SimulatedTether;
import dev.tether.server.testing.TestDatabase;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * The exactly-once property of the reliable channel (see {@code ReliableDeliveryProperties} in the protocol's
 * tests) with the server end on its real outbox, {@link ServerOutbox}, on SQLite and on PostgreSQL, and the real
 * window of {@link Limits#RELIABLE_WINDOW}. Each try is a fresh agent in one database per run; a crash reopens
 * the outbox (it keeps nothing in memory). The agent end keeps an outbox in memory: its real store runs the
 * same property in the agent's tests.
 */
class ServerOutboxDeliveryProperties {

    private static Database sqlite;
    private static Database postgres;

    @BeforeContainer
    static void open() throws Exception {
        sqlite = Database.open(TestDatabase.SQLITE.freshJdbcUrl(Files.createTempDirectory("tether-property-")), 4);
        sqlite.migrate();
        postgres = Database.open(TestDatabase.POSTGRESQL.freshJdbcUrl(Files.createTempDirectory("tether-property-")),
                4);
        postgres.migrate();
    }

    @AfterContainer
    static void close() {
        sqlite.close();
        postgres.close();
    }

    @Property(tries = 40)
    void everyPayloadIsAppliedExactlyOnceInOrderOverTheServerOutboxOnSqlite(
            @ForAll @Size(min = 20, max = 300) List<@IntRange(min = 0, max = 1099) Integer> steps) throws Exception {
        run(sqlite, steps);
    }

    @Property(tries = 40)
    void everyPayloadIsAppliedExactlyOnceInOrderOverTheServerOutboxOnPostgresql(
            @ForAll @Size(min = 20, max = 300) List<@IntRange(min = 0, max = 1099) Integer> steps) throws Exception {
        run(postgres, steps);
    }

    private static void run(Database db, List<Integer> steps) throws Exception {
        String agentId = new AgentStore(db).create("property-" + UUID.randomUUID(), Map.of(),
                UUID.randomUUID().toString(), 1).id();
        MemoryOutbox agentDisk = new MemoryOutbox();
        SimulatedTether tether = new SimulatedTether(Limits.RELIABLE_WINDOW, () -> agentDisk,
                () -> new ServerOutbox(db, agentId));

        tether.runAll(steps);

        tether.assertEachPayloadAppliedOnceInOrder();
        tether.collectStatistics();
    }
}
