package dev.tether.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.protocol.v1.ConfigUpdate;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.Hello;
import dev.tether.server.store.EventStore.NewEvent;
import dev.tether.server.testing.TestDatabase;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Connection epochs against a real database: a connection whose agent was taken over by a newer handshake (on
 * another node, here another {@link AgentSessionStore} with its own node name) can no longer apply, acknowledge
 * or read, and its end does not take the agent offline. Subclasses pick the database.
 */
abstract class FencingTest {

    @TempDir
    Path dir;
    Database db;
    AgentStore agents;
    String agentId;
    AgentSessionStore nodeA;
    AgentSessionStore nodeB;

    abstract TestDatabase database();

    @BeforeEach
    void openDatabase() {
        db = Database.open(database().freshJdbcUrl(dir), 4);
        db.migrate();
        agents = new AgentStore(db);
        agentId = agents.create("fenced", Map.of(), "hash-fenced", 1000).id();
        nodeA = new AgentSessionStore(db, "node-a");
        nodeB = new AgentSessionStore(db, "node-b");
    }

    @AfterEach
    void closeDatabase() {
        db.close();
    }

    private Fence handshake(AgentSessionStore node) {
        return node.beginSession(agentId, Hello.getDefaultInstance(), 2000).fence();
    }

    private void apply(Fence fence, long expected, long applied) {
        db.inTransaction("apply", connection -> {
            EventStore.insertIn(connection, agentId, List.of(new NewEvent(applied, "e" + applied, "{}", 1, 1)));
            AgentSessionStore.advanceAppliedIn(connection, fence, expected, applied, 0);
            return null;
        });
    }

    @Test
    void everyHandshakeTakesANewerEpochAndRecordsItsNodeAsHolder() {
        Fence first = handshake(nodeA);
        var second = nodeB.beginSession(agentId, Hello.getDefaultInstance(), 3000);

        assertThat(second.fence().epoch()).isGreaterThan(first.epoch());
        assertThat(second.previousHolder()).isEqualTo("node-a");
        assertThat(agents.find(agentId).orElseThrow().holderNode()).isEqualTo("node-b");
    }

    @Test
    void aConnectionThatWasTakenOverCannotApplyAndNothingOfItsTransactionIsKept() {
        Fence stale = handshake(nodeA);
        Fence current = handshake(nodeB);

        assertThatThrownBy(() -> apply(stale, 0, 1)).isInstanceOf(FencedException.class)
                .hasMessageContaining("held by node node-b");
        assertThat(new EventStore(db).list(agentId, null, 10, null).events()).isEmpty();

        apply(current, 0, 1);
        assertThat(new EventStore(db).list(agentId, null, 10, null).events()).hasSize(1);
    }

    @Test
    void aConnectionThatWasTakenOverCannotAcknowledgeNorReadTheOutbox() {
        Fence stale = handshake(nodeA);
        new ServerOutbox(db, agentId).append(List.of(config(1), config(2), config(3)));
        Fence current = handshake(nodeB);
        ServerOutbox staleOutbox = new ServerOutbox(db, stale);

        assertThat(staleOutbox.read(1, 10)).isEmpty();
        assertThatThrownBy(() -> staleOutbox.acknowledge(2)).isInstanceOf(FencedException.class);
        ServerOutbox currentOutbox = new ServerOutbox(db, current);
        assertThat(currentOutbox.read(1, 10)).hasSize(3);

        currentOutbox.acknowledge(2);
        assertThat(currentOutbox.read(1, 10)).extracting(Envelope::getSeq).containsExactly(3L);
    }

    @Test
    void theEndOfAConnectionThatWasTakenOverLeavesTheAgentWithItsNewHolder() {
        Fence stale = handshake(nodeA);
        Fence current = handshake(nodeB);

        assertThat(nodeA.release(stale)).isFalse();
        assertThat(agents.find(agentId).orElseThrow().holderNode()).isEqualTo("node-b");

        assertThat(nodeB.release(current)).isTrue();
        assertThat(agents.find(agentId).orElseThrow().holderNode()).isNull();
    }

    private static Envelope config(long version) {
        return Envelope.newBuilder().setConfigUpdate(ConfigUpdate.newBuilder().setVersion(version)).build();
    }
}
