package dev.tether.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.protocol.ReliableChannel;
import dev.tether.protocol.v1.CancelJob;
import dev.tether.protocol.v1.ConfigUpdate;
import dev.tether.protocol.v1.Envelope;
import dev.tether.server.testing.TestDatabase;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The in-memory tail of an agent's outbox on SQLite: a session's channel sends from it only what was committed,
 * in order, once, whatever append, rewrite, renumbering or reconnect races with it. Each test drives a real
 * {@link ReliableChannel} over a real {@link ServerOutbox}, as a session does, and compares what it hands out
 * with what the database holds.
 */
class OutboxTailsTest {

    @TempDir
    Path dir;
    String url;
    Database db;
    OutboxTails tails;
    String agentId;

    @BeforeEach
    void openDatabase() {
        url = TestDatabase.SQLITE.freshJdbcUrl(dir);
        db = Database.open(url, 4);
        db.migrate();
        tails = db.outboxTails();
        agentId = new AgentStore(db).create("tail-agent", Map.of(), "hash-1", 1000).id();
    }

    @AfterEach
    void closeDatabase() {
        db.close();
    }

    @Test
    void whatATransactionAppendedIsInTheTailOnlyOnceItCommittedAndThenTheDatabaseIsNotAsked() {
        OutboxTails.Tail tail = tails.open(agentId);
        OutboxTails.Appends appends = tails.appends();
        List<Envelope> stored = db.inTransaction("append", connection ->
                ServerOutbox.appendIn(connection, appends, agentId, List.of(config(1), config(2)), 1000));

        assertThat(tail.read(1, 10)).as("appended, not yet handed over").isNull();
        appends.committed();
        deleteEveryRow();

        assertThat(tail.read(1, 10)).as("served from memory: the rows are gone from the database")
                .containsExactlyElementsOf(stored);
        assertThat(tail.read(3, 10)).as("the outbox ends at 2").isEmpty();
    }

    @Test
    void aChannelSendsTwoCommandsBackToBackFromTheTailEachOnceInOrder() throws Exception {
        ReliableChannel channel = session(tails.open(agentId));
        List<Envelope> first = appendCommitted(config(1), config(2));
        List<Envelope> sent = new ArrayList<>(drain(channel));
        List<Envelope> second = appendCommitted(config(3));
        sent.addAll(drain(channel));

        assertThat(sent).containsExactlyElementsOf(concat(first, second));
        assertThat(sent).containsExactlyElementsOf(fromDatabase(1));
    }

    @Test
    void aRewriteCommittedBeforeAnEarlierAppendReachedTheTailWinsTheOldPayloadIsNeverSent() throws Exception {
        ReliableChannel channel = session(tails.open(agentId));
        OutboxTails.Appends request = tails.appends();
        db.inTransaction("send a request", connection ->
                ServerOutbox.appendIn(connection, request, agentId, List.of(config(1)), 1000));
        // A cancel rewrites the row after the request's commit and before its envelopes were handed over.
        OutboxTails.Appends cancel = tails.appends();
        db.inTransaction("cancel it", connection -> ServerOutbox.rewriteIn(connection, cancel, agentId, 1,
                Envelope.newBuilder().setCancelJob(CancelJob.newBuilder().setJobId("job-1")).build()));
        cancel.committed();
        request.committed();

        List<Envelope> sent = drain(channel);

        assertThat(sent).singleElement().satisfies(envelope -> assertThat(envelope.hasCancelJob()).isTrue());
    }

    @Test
    void aRewriteEmptiesWhatTheTailAlreadyHeld() throws Exception {
        ReliableChannel channel = session(tails.open(agentId));
        appendCommitted(config(1), config(2));
        OutboxTails.Appends cancel = tails.appends();
        db.inTransaction("rewrite 2", connection -> ServerOutbox.rewriteIn(connection, cancel, agentId, 2,
                config(20)));
        cancel.committed();

        assertThat(drain(channel)).extracting(envelope -> envelope.getConfigUpdate().getVersion())
                .containsExactly(1L, 20L);
    }

    @Test
    void rowsCommittedBeforeTheTailOpenedAreReadFromTheDatabaseAndTheTailCarriesOnAfterThem() throws Exception {
        List<Envelope> before = appendCommitted(config(1), config(2));
        ReliableChannel channel = session(tails.open(agentId));
        List<Envelope> after = appendCommitted(config(3));

        assertThat(drain(channel)).containsExactlyElementsOf(concat(before, after));
    }

    @Test
    void anAppendStillRunningMakesTheEndUnknownSoTheNextReadAsksTheDatabase() {
        OutboxTails.Tail tail = tails.open(agentId);
        appendCommitted(config(1));
        OutboxTails.Appends running = tails.appends();
        db.inTransaction("append, not handed over", connection ->
                ServerOutbox.appendIn(connection, running, agentId, List.of(config(2)), 1000));

        assertThat(tail.read(1, 10)).extracting(Envelope::getSeq).containsExactly(1L);
        assertThat(tail.read(2, 10)).as("seq 2 may exist: ask the database").isNull();
    }

    @Test
    void aReconnectClosesTheEarlierSessionsTailAndTheNewSessionResumesFromWhatThePeerApplied() throws Exception {
        OutboxTails.Tail first = tails.open(agentId);
        ReliableChannel firstChannel = session(first);
        List<Envelope> appended = appendCommitted(config(1), config(2), config(3));
        assertThat(firstChannel.nextBatch(1)).extracting(Envelope::getSeq).containsExactly(1L);

        OutboxTails.Tail second = tails.open(agentId);
        firstChannel.end();
        ReliableChannel secondChannel = ReliableChannel.create(new ServerOutbox(db, Fence.unchecked(agentId), second),
                0);
        secondChannel.resume(0, 1);

        assertThat(first.read(2, 10)).as("closed: the earlier session reads the fenced database").isNull();
        assertThat(drain(secondChannel)).containsExactlyElementsOf(appended);
    }

    @Test
    void aRenumberingEmptiesTheTail() throws Exception {
        OutboxTails.Tail tail = tails.open(agentId);
        appendCommitted(config(1), config(2));
        new ServerOutbox(db, agentId).renumberAfter(5, 0);

        assertThat(tail.read(1, 10)).isNull();
        ReliableChannel channel = session(tail);
        assertThat(drain(channel)).extracting(Envelope::getSeq).containsExactly(6L, 7L);
    }

    @Test
    void anAppendBeyondTheBoundEmptiesTheTailAndTheDatabaseServesEveryRow() throws Exception {
        OutboxTails.Tail tail = tails.open(agentId);
        List<Envelope> many = new ArrayList<>();
        for (int i = 0; i <= OutboxTails.MAX_ENTRIES; i++) {
            many.add(config(i));
        }
        List<Envelope> stored = appendCommitted(many.toArray(Envelope[]::new));

        assertThat(tail.read(1, 10)).isNull();
        assertThat(tails.bytes()).isZero();
        ReliableChannel channel = session(tail);
        assertThat(drain(channel)).containsExactlyElementsOf(stored);
    }

    @Test
    void afterARestartTheTailsAreEmptyAndTheDatabaseHasEverything() throws Exception {
        tails.open(agentId);
        List<Envelope> stored = appendCommitted(config(1), config(2));
        db.close();
        db = Database.open(url, 4);

        OutboxTails.Tail tail = db.outboxTails().open(agentId);
        assertThat(tail.read(1, 10)).isNull();
        assertThat(drain(ReliableChannel.create(new ServerOutbox(db, Fence.unchecked(agentId), tail), 0)))
                .containsExactlyElementsOf(stored);
    }

    @Test
    void closingASessionReleasesEveryByteItsTailHeld() {
        OutboxTails.Tail tail = tails.open(agentId);
        appendCommitted(config(1), config(2));
        assertThat(tails.bytes()).isPositive();

        tails.close(tail);

        assertThat(tails.bytes()).isZero();
        assertThat(tail.read(1, 10)).isNull();
    }

    @Test
    void onPostgresqlNoTailEverAnswers() {
        OutboxTails postgres = OutboxTails.forDialect(Dialect.POSTGRESQL);
        OutboxTails.Tail tail = postgres.open(agentId);
        OutboxTails.Appends appends = postgres.appends();
        appends.appended(agentId, config(1).toBuilder().setSeq(1).build());
        appends.committed();

        assertThat(tail.read(1, 10)).isNull();
    }

    @Test
    void aReadOfTheDatabaseThatCameBackShortTellsTheEndSoTheNextTurnDoesNotAsk() {
        List<Envelope> stored = appendCommitted(config(1));
        OutboxTails.Tail tail = tails.open(agentId);
        ServerOutbox outbox = new ServerOutbox(db, Fence.unchecked(agentId), tail);
        assertThat(tail.read(1, 10)).as("a new tail knows nothing").isNull();

        assertThat(outbox.read(1, 10)).containsExactlyElementsOf(stored);
        assertThat(tail.read(2, 10)).as("the end, learnt from the read").isEmpty();
        List<Envelope> next = appendCommitted(config(2));
        assertThat(outbox.read(2, 10)).containsExactlyElementsOf(next);
    }

    @Test
    void anAppendRunningWhileTheDatabaseIsReadLeavesTheEndUnknown() {
        OutboxTails.Tail tail = tails.open(agentId);
        ServerOutbox outbox = new ServerOutbox(db, Fence.unchecked(agentId), tail);
        OutboxTails.Appends appends = tails.appends();
        List<Envelope> stored = db.inTransaction("append", connection ->
                ServerOutbox.appendIn(connection, appends, agentId, List.of(config(1)), 1000));

        assertThat(outbox.read(1, 10)).as("committed, not yet handed to the tail").containsExactlyElementsOf(stored);
        assertThat(tail.read(2, 10)).as("no end taken while an append is unsettled").isNull();
        appends.committed();
        assertThat(tail.read(2, 10)).isEmpty();
    }

    @Test
    void anAppendThatStartedBeforeTheSessionOpenedItsTailEmptiesItOnCommitSoItIsSent() throws Exception {
        OutboxTails.Tail old = tails.open(agentId);
        OutboxTails.Appends appends = tails.appends();
        // The append runs while a new connection of the agent opens its tail and reads the database: the read
        // does not see the uncommitted row, and the new tail cannot see the append happen.
        List<Envelope> stored = db.inTransaction("append while the agent reconnects", connection ->
                ServerOutbox.appendIn(connection, appends, agentId, List.of(config(1)), 1000));
        OutboxTails.Tail tail = tails.open(agentId);
        ServerOutbox outbox = new ServerOutbox(db, Fence.unchecked(agentId), tail);
        tail.readToEnd(tail.version(), 1, List.of());
        assertThat(tail.read(1, 10)).as("what the read before the commit would have taught").isEmpty();

        appends.committed();

        assertThat(old.read(1, 10)).as("closed").isNull();
        assertThat(tail.read(1, 10)).as("the end is forgotten").isNull();
        assertThat(outbox.read(1, 10)).containsExactlyElementsOf(stored);
    }

    @Test
    void anAppendWithoutAnyTailOpenStillEmptiesOneOpenedBeforeItCommitted() {
        OutboxTails.Appends appends = tails.appends();
        db.inTransaction("append to an offline agent", connection ->
                ServerOutbox.appendIn(connection, appends, agentId, List.of(config(1)), 1000));
        OutboxTails.Tail tail = tails.open(agentId);
        tail.readToEnd(tail.version(), 1, List.of());

        appends.committed();

        assertThat(tail.read(1, 10)).isNull();
    }

    private ReliableChannel session(OutboxTails.Tail tail) throws Exception {
        ReliableChannel channel = ReliableChannel.create(new ServerOutbox(db, Fence.unchecked(agentId), tail), 0);
        channel.resume(0, 1);
        return channel;
    }

    /** What a session sends now: batches until the channel has nothing more. */
    private static List<Envelope> drain(ReliableChannel channel) throws Exception {
        if (!channel.inSession()) {
            channel.resume(0, 1);
        }
        List<Envelope> sent = new ArrayList<>();
        List<Envelope> batch;
        while (!(batch = channel.nextBatch(3)).isEmpty()) {
            sent.addAll(batch);
        }
        return sent;
    }

    private List<Envelope> appendCommitted(Envelope... envelopes) {
        OutboxTails.Appends appends = tails.appends();
        List<Envelope> stored = db.inTransaction("append", connection ->
                ServerOutbox.appendIn(connection, appends, agentId, List.of(envelopes), 1000));
        appends.committed();
        return stored;
    }

    private List<Envelope> fromDatabase(long fromSeq) {
        return new ServerOutbox(db, agentId).read(fromSeq, 1000);
    }

    private void deleteEveryRow() {
        db.inTransaction("delete", connection -> {
            try (PreparedStatement delete = connection.prepareStatement("DELETE FROM outbox")) {
                return delete.executeUpdate();
            }
        });
    }

    private static List<Envelope> concat(List<Envelope> first, List<Envelope> second) {
        List<Envelope> all = new ArrayList<>(first);
        all.addAll(second);
        return all;
    }

    private static Envelope config(long version) {
        return Envelope.newBuilder().setConfigUpdate(ConfigUpdate.newBuilder().setVersion(version)).build();
    }
}
