package dev.tether.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.protocol.ReliableChannel;
import dev.tether.protocol.v1.ConfigUpdate;
import dev.tether.protocol.v1.Envelope;
import dev.tether.server.audit.AuditEntry;
import dev.tether.server.audit.AuditLog;
import dev.tether.server.store.EventStore.NewEvent;
import dev.tether.server.store.EventStore.Page;
import dev.tether.server.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The storage layer against a real database; subclasses pick which. */
abstract class StoreTest {

    @TempDir
    Path dir;
    String url;
    Database db;
    AgentStore agents;
    String agentId;

    abstract TestDatabase database();

    @BeforeEach
    void openDatabase() {
        url = database().freshJdbcUrl(dir);
        db = Database.open(url, 4);
        db.migrate();
        agents = new AgentStore(db);
        agentId = agents.create("store-agent", Map.of("k", "v"), "hash-1", 1000).id();
    }

    @AfterEach
    void closeDatabase() {
        db.close();
    }

    private static Envelope config(long version) {
        return Envelope.newBuilder().setConfigUpdate(ConfigUpdate.newBuilder().setVersion(version)).build();
    }

    private static List<Long> seqs(List<Envelope> envelopes) {
        return envelopes.stream().map(Envelope::getSeq).toList();
    }

    @Test
    void anErrorThrownInsideATransactionCommitsNothingOfItAndTheNextTransactionCommits() {
        assertThatThrownBy(() -> db.inTransaction("rename, then fail", connection -> {
            try (PreparedStatement rename = connection.prepareStatement("UPDATE agents SET name = ? WHERE id = ?")) {
                rename.setString(1, "renamed");
                rename.setString(2, agentId);
                rename.executeUpdate();
            }
            throw new OutOfMemoryError("thrown by the test after writing");
        })).isInstanceOf(OutOfMemoryError.class).hasMessage("thrown by the test after writing");

        assertThat(agents.find(agentId).orElseThrow().name()).isEqualTo("store-agent");
        assertThat(agents.create("after-the-error", Map.of(), "hash-after", 2000).name()).isEqualTo("after-the-error");
    }

    @Test
    void aFanOutBeyondOneStatementGivesEveryAgentItsNextSeqAndStoresEachRowAsGiven() {
        List<String> fleet = new ArrayList<>();
        // One statement of each size.
        for (int i = 0; i < MultiRow.MAX_ROWS + 111; i++) {
            fleet.add(agents.create("fleet-" + i, Map.of(), "fleet-hash-" + i, 1000).id());
        }
        new ServerOutbox(db, fleet.get(7)).append(List.of(config(1), config(2)));
        List<OutboxAppender.Addressed> requests = fleet.stream()
                .map(id -> new OutboxAppender.Addressed(id, config(id.hashCode()))).toList();

        List<Envelope> stored = appendAll(requests);

        for (int i = 0; i < fleet.size(); i++) {
            long expectedSeq = i == 7 ? 3 : 1;
            assertThat(stored.get(i).getSeq()).isEqualTo(expectedSeq);
            assertThat(new ServerOutbox(db, fleet.get(i)).read(expectedSeq, 10)).containsExactly(stored.get(i));
            assertThat(stored.get(i).getConfigUpdate().getVersion()).isEqualTo(fleet.get(i).hashCode());
        }
    }

    @Test
    void severalEnvelopesForOneAgentInOneFanOutGetConsecutiveSeqsInTheOrderGiven() {
        String other = agents.create("other-agent", Map.of(), "hash-2", 1000).id();

        List<Envelope> stored = appendAll(List.of(new OutboxAppender.Addressed(agentId, config(1)),
                new OutboxAppender.Addressed(other, config(10)), new OutboxAppender.Addressed(agentId, config(2)),
                new OutboxAppender.Addressed(agentId, config(3))));

        assertThat(seqs(stored)).containsExactly(1L, 1L, 2L, 3L);
        assertThat(new ServerOutbox(db, agentId).read(1, 10)).extracting(e -> e.getConfigUpdate().getVersion())
                .containsExactly(1L, 2L, 3L);
        assertThat(new ServerOutbox(db, other).lastSeq()).isEqualTo(1);
    }

    @Test
    void aFanOutNamingAnAgentThatDoesNotExistStoresNothing() {
        assertThatThrownBy(() -> appendAll(List.of(new OutboxAppender.Addressed(agentId, config(1)),
                new OutboxAppender.Addressed("no-such-agent", config(2)))))
                .hasMessageContaining("no agent no-such-agent");

        assertThat(new ServerOutbox(db, agentId).lastSeq()).isZero();
        assertThat(ServerOutbox.pendingTotal(db)).isZero();
    }

    private List<Envelope> appendAll(List<OutboxAppender.Addressed> requests) {
        return db.inTransaction("fan out", connection -> {
            try (OutboxAppender appender = new OutboxAppender(connection, db.dialect(),
                    db.outboxTails().appends())) {
                return appender.appendAll(requests, 1000);
            }
        });
    }

    @Test
    void migratingAgainChangesNothing() {
        db.migrate();

        assertThat(agents.find(agentId)).isPresent();
    }

    @Test
    void outboxAssignsConsecutiveSeqsFromOne() {
        ServerOutbox outbox = new ServerOutbox(db, agentId);

        assertThat(outbox.lastSeq()).isZero();
        assertThat(outbox.firstPendingSeq()).isEqualTo(1);
        assertThat(seqs(outbox.append(List.of(config(1), config(2))))).containsExactly(1L, 2L);
        assertThat(seqs(outbox.append(List.of(config(3))))).containsExactly(3L);
        assertThat(outbox.lastSeq()).isEqualTo(3);
    }

    @Test
    void outboxReadsPendingInOrderFromASeqUpToAMaximum() {
        ServerOutbox outbox = new ServerOutbox(db, agentId);
        outbox.append(List.of(config(1), config(2), config(3), config(4)));

        List<Envelope> read = outbox.read(2, 2);

        assertThat(seqs(read)).containsExactly(2L, 3L);
        assertThat(read.get(0).getConfigUpdate().getVersion()).isEqualTo(2);
    }

    @Test
    void acknowledgedSeqsAreDeletedButNeverReused() {
        ServerOutbox outbox = new ServerOutbox(db, agentId);
        outbox.append(List.of(config(1), config(2), config(3)));

        outbox.acknowledge(2);
        outbox.acknowledge(2);

        assertThat(outbox.firstPendingSeq()).isEqualTo(3);
        outbox.acknowledge(3);
        assertThat(outbox.firstPendingSeq()).isEqualTo(4);
        assertThat(seqs(outbox.append(List.of(config(4))))).containsExactly(4L);
    }

    @Test
    void rewritingAPendingRowKeepsItsSeqAndAnAcknowledgedRowIsLeftAlone() {
        ServerOutbox outbox = new ServerOutbox(db, agentId);
        outbox.append(List.of(config(1), config(2)));
        outbox.acknowledge(1);

        boolean rewritten = db.inTransaction("rewrite", connection -> ServerOutbox.rewriteIn(connection,
                db.outboxTails().appends(), agentId, 2, config(20)));
        boolean gone = db.inTransaction("rewrite", connection -> ServerOutbox.rewriteIn(connection,
                db.outboxTails().appends(), agentId, 1, config(10)));

        assertThat(rewritten).isTrue();
        assertThat(gone).isFalse();
        List<Envelope> pending = outbox.read(1, 10);
        assertThat(seqs(pending)).containsExactly(2L);
        assertThat(pending.get(0).getConfigUpdate().getVersion()).isEqualTo(20);
        assertThat(outbox.lastSeq()).isEqualTo(2);
    }

    @Test
    void payloadsQueuedBehindWhatTheAgentAppliedAreRenumberedToFollowItNotDropped() throws Exception {
        ReliableChannel channel = ReliableChannel.create(new ServerOutbox(db, agentId), 0);
        channel.publish(List.of(config(1), config(2), config(3)));

        ReliableChannel.Resumption resumption = channel.resume(40, 1);

        assertThat(resumption.renumbered()).isEqualTo(3);
        List<Envelope> sent = channel.nextBatch(10);
        assertThat(seqs(sent)).containsExactly(41L, 42L, 43L);
        assertThat(sent).extracting(e -> e.getConfigUpdate().getVersion()).containsExactly(1L, 2L, 3L);
        ServerOutbox reopened = new ServerOutbox(db, agentId);
        assertThat(reopened.lastSeq()).isEqualTo(43);
        assertThat(seqs(reopened.append(List.of(config(4))))).containsExactly(44L);
    }

    @Test
    void aStampThatIsNotTheOneOfTheRowTheAgentAppliedRenumbersEveryPendingPayloadAfterIt() throws Exception {
        ServerOutbox outbox = new ServerOutbox(db, agentId);
        List<Envelope> stored = outbox.append(List.of(config(1), config(2), config(3), config(4)));
        ReliableChannel channel = ReliableChannel.create(outbox, 0);

        ReliableChannel.Resumption resumption = channel.resume(2, ~stored.get(1).getStamp(), 1);

        assertThat(resumption.diverged()).isTrue();
        List<Envelope> sent = channel.nextBatch(10);
        assertThat(seqs(sent)).containsExactly(3L, 4L, 5L, 6L);
        assertThat(sent).extracting(e -> e.getConfigUpdate().getVersion()).containsExactly(1L, 2L, 3L, 4L);
        assertThat(sent).extracting(Envelope::getStamp).doesNotContainAnyElementsOf(
                stored.stream().map(Envelope::getStamp).toList());
    }

    @Test
    void theAcknowledgedPointAndARewrittenRowKeepTheirStamps() throws Exception {
        ServerOutbox outbox = new ServerOutbox(db, agentId);
        List<Envelope> stored = outbox.append(List.of(config(1), config(2), config(3)));
        outbox.acknowledge(2);
        db.inTransaction("rewrite", connection -> ServerOutbox.rewriteIn(connection, db.outboxTails().appends(),
                agentId, 3, config(30)));

        assertThat(outbox.stampAt(2)).isEqualTo(stored.get(1).getStamp()).isNotZero();
        assertThat(outbox.stampAt(1)).isZero();
        assertThat(outbox.read(3, 1).get(0).getStamp()).isEqualTo(stored.get(2).getStamp());
        ReliableChannel channel = ReliableChannel.create(outbox, 0);
        assertThat(channel.resume(2, stored.get(1).getStamp(), 1).diverged()).isFalse();
        assertThat(seqs(channel.nextBatch(10))).containsExactly(3L);
    }

    @Test
    void outboxesOfDifferentAgentsAreIndependent() {
        String other = agents.create("other-agent", Map.of(), "hash-2", 1000).id();

        new ServerOutbox(db, agentId).append(List.of(config(1), config(2)));

        assertThat(seqs(new ServerOutbox(db, other).append(List.of(config(1))))).containsExactly(1L);
        assertThat(new ServerOutbox(db, other).read(1, 10)).hasSize(1);
    }

    @Test
    void pendingPayloadsSurviveReopeningTheDatabase() {
        new ServerOutbox(db, agentId).append(List.of(config(7)));
        db.close();

        db = Database.open(url, 2);

        assertThat(new ServerOutbox(db, agentId).read(1, 10)).extracting(e -> e.getConfigUpdate().getVersion())
                .containsExactly(7L);
    }

    @Test
    void reliableChannelOverTheOutboxReplaysWhatThePeerDidNotApply() throws Exception {
        ReliableChannel channel = ReliableChannel.create(new ServerOutbox(db, agentId), 0);
        channel.publish(List.of(config(1), config(2), config(3)));
        channel.resume(0, 1);
        assertThat(seqs(channel.nextBatch(10))).containsExactly(1L, 2L, 3L);
        channel.onAck(1);
        channel.end();

        ReliableChannel reconnected = ReliableChannel.create(new ServerOutbox(db, agentId), 0);
        reconnected.resume(2, 1);

        assertThat(seqs(reconnected.nextBatch(10))).containsExactly(3L);
        assertThat(reconnected.depth()).isEqualTo(1);
    }

    @Test
    void configPutStoresTheNextVersionAndQueuesItInOneStep() {
        ConfigStore configs = new ConfigStore(db);

        configs.put(agentId, "{\"a\":1}", 2000);
        ConfigStore.ConfigState state = configs.put(agentId, "{\"a\":2}", 3000);

        assertThat(state.version()).isEqualTo(2);
        assertThat(new ServerOutbox(db, agentId).read(1, 10))
                .extracting(e -> e.getConfigUpdate().getVersion()).containsExactly(1L, 2L);
    }

    @Test
    void takenNameIsReportedAsSuch() {
        assertThatThrownBy(() -> agents.create("store-agent", Map.of(), "hash-3", 1000))
                .isInstanceOf(NameTakenException.class)
                .hasMessageContaining("store-agent");
    }

    @Test
    void keyHashFindsItsAgentAndRevocationKeepsTheFirstTime() {
        agents.revoke(agentId, 5000);
        agents.revoke(agentId, 6000);

        AgentStore.KeyOwner owner = agents.findByKeyHash("hash-1").orElseThrow();

        assertThat(owner.id()).isEqualTo(agentId);
        assertThat(owner.revoked()).isTrue();
        assertThat(agents.find(agentId).orElseThrow().revokedAt()).isEqualTo(5000);
        assertThat(agents.findByKeyHash("hash-unknown")).isEmpty();
    }

    @Test
    void eventsArePagedNewestFirstAndFilteredByType() {
        List<NewEvent> events = new ArrayList<>();
        for (long seq = 1; seq <= 5; seq++) {
            events.add(new NewEvent(seq, seq % 2 == 0 ? "even" : "odd", "{}", seq, seq));
        }
        db.inTransaction("insert", connection -> {
            EventStore.insertIn(connection, agentId, events);
            return null;
        });
        EventStore store = new EventStore(db);

        Page first = store.list(agentId, null, 2, null);
        Page second = store.list(agentId, null, 2, first.nextBefore());
        Page last = store.list(agentId, null, 2, second.nextBefore());
        Page odd = store.list(agentId, "odd", 10, null);

        assertThat(first.events()).extracting(EventStore.StoredEvent::agentSeq).containsExactly(5L, 4L);
        assertThat(second.events()).extracting(EventStore.StoredEvent::agentSeq).containsExactly(3L, 2L);
        assertThat(last.events()).extracting(EventStore.StoredEvent::agentSeq).containsExactly(1L);
        assertThat(last.nextBefore()).isNull();
        assertThat(odd.events()).extracting(EventStore.StoredEvent::agentSeq).containsExactly(5L, 3L, 1L);
    }

    @Test
    void appliedSeqCompareAndSetRollsBackTheEffectsOnMismatch() {
        assertThatThrownBy(() -> db.inTransaction("apply", connection -> {
            EventStore.insertIn(connection, agentId, List.of(new NewEvent(1, "lost", "{}", 1, 1)));
            AgentSessionStore.advanceAppliedIn(connection, Fence.unchecked(agentId), 7, 8, 0);
            return null;
        })).isInstanceOf(StoreException.class).hasMessageContaining("no longer 7");

        assertThat(new EventStore(db).list(agentId, null, 10, null).events()).isEmpty();
    }

    @Test
    void sameAgentSeqCannotBeStoredTwice() {
        NewEvent event = new NewEvent(1, "once", "{}", 1, 1);
        db.inTransaction("insert", connection -> {
            EventStore.insertIn(connection, agentId, List.of(event));
            return null;
        });

        assertThatThrownBy(() -> db.inTransaction("insert again", connection -> {
            EventStore.insertIn(connection, agentId, List.of(event));
            return null;
        })).isInstanceOf(StoreException.class);
    }

    @Test
    void lastSeenIsWrittenInOneBatchAndNeverMovesBack() {
        AgentSessionStore sessions = new AgentSessionStore(db, "test");
        String other = agents.create("other", Map.of(), "hash-4", 1000).id();

        sessions.flushLastSeen(Map.of(agentId, 9000L, other, 8000L));
        sessions.flushLastSeen(Map.of(agentId, 7000L));

        assertThat(agents.find(agentId).orElseThrow().lastSeen()).isEqualTo(9000);
        assertThat(agents.find(other).orElseThrow().lastSeen()).isEqualTo(8000);
    }

    @Test
    void auditEntriesGetIncreasingIdsInTheCallersTransaction() {
        AuditEntry.New entry = new AuditEntry.New(1_000, "admin", "agent.revoke", "agent_x", "127.0.0.1",
                new JsonObject().put("why", "test"));
        long first = db.inTransaction("audit", connection -> AuditLog.insert(connection, entry));
        long second = new AuditLog(db).record(entry);

        assertThat(first).isPositive();
        assertThat(second).isGreaterThan(first);
        assertThat(new AuditLog(db).list(new AuditEntry.Filter(null, null, null, null, null), 10, null).entries())
                .extracting(AuditEntry::id).containsExactly(second, first);
    }
}
