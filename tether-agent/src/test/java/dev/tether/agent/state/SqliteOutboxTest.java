package dev.tether.agent.state;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.agent.events.AgentEvents;
import dev.tether.protocol.ProtocolException;
import dev.tether.protocol.ReliableChannel;
import dev.tether.protocol.v1.Envelope;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link SqliteOutbox} against the {@link dev.tether.protocol.Outbox} contract, on a real SQLite file. */
class SqliteOutboxTest {

    @TempDir
    Path dir;

    private StateStore store;
    private SqliteOutbox outbox;

    @BeforeEach
    void open() {
        store = StateStore.open(dir);
        outbox = store.outbox();
    }

    @AfterEach
    void close() {
        store.close();
    }

    private static List<Envelope> events(int count) {
        return IntStream.range(0, count).mapToObj(i -> AgentEvents.envelope("e" + i, "{}", i)).toList();
    }

    private static List<Long> seqs(List<Envelope> envelopes) {
        return envelopes.stream().map(Envelope::getSeq).toList();
    }

    @Test
    void readingPastTheLastSeqFindsNothingAndSeesWhatIsAppendedNext() {
        outbox.append(events(3));
        assertThat(outbox.read(4, 10)).isEmpty();

        outbox.append(events(2));
        assertThat(seqs(outbox.read(4, 10))).containsExactly(4L, 5L);

        store.close();
        store = StateStore.open(dir);
        outbox = store.outbox();
        assertThat(seqs(outbox.read(5, 10))).containsExactly(5L);
        assertThat(outbox.read(6, 10)).isEmpty();
        outbox.renumberAfter(9, 0);
        assertThat(seqs(outbox.read(6, 10))).containsExactly(10L, 11L, 12L, 13L, 14L);
        assertThat(outbox.read(15, 10)).isEmpty();
        assertThat(seqs(outbox.append(events(1)))).containsExactly(15L);
        assertThat(seqs(outbox.read(15, 10))).containsExactly(15L);
    }

    @Test
    void anEmptyOutboxStartsBeforeSeqOne() {
        assertThat(outbox.lastSeq()).isZero();
        assertThat(outbox.firstPendingSeq()).isEqualTo(1);
        assertThat(outbox.read(1, 10)).isEmpty();
    }

    @Test
    void appendAssignsConsecutiveSeqsFromOne() {
        assertThat(seqs(outbox.append(events(3)))).containsExactly(1L, 2L, 3L);
        assertThat(seqs(outbox.append(events(2)))).containsExactly(4L, 5L);
        assertThat(outbox.lastSeq()).isEqualTo(5);
    }

    @Test
    void readReturnsPendingEnvelopesFromASeqInOrderUpToAMaximum() {
        List<Envelope> stored = outbox.append(events(5));
        assertThat(outbox.read(2, 2)).containsExactlyElementsOf(stored.subList(1, 3));
        assertThat(outbox.read(4, 100)).containsExactlyElementsOf(stored.subList(3, 5));
        assertThat(outbox.read(6, 100)).isEmpty();
        assertThat(outbox.read(1, 0)).isEmpty();
    }

    @Test
    void storedEnvelopesCarryTheirSeqAndNoAckOrTimestamp() {
        Envelope withJunk = AgentEvents.envelope("e", "{}", 0).toBuilder().setSeq(99).setAck(5).setTsMs(7).build();
        Envelope stored = outbox.append(List.of(withJunk)).get(0);
        assertThat(stored.getSeq()).isEqualTo(1);
        assertThat(outbox.read(1, 1).get(0)).isEqualTo(stored);
        assertThat(stored.getAck()).isZero();
        assertThat(stored.getTsMs()).isZero();
    }

    @Test
    void acknowledgeDeletesEverythingUpToTheSeqAndIsIdempotent() {
        outbox.append(events(5));
        outbox.acknowledge(3);
        assertThat(seqs(outbox.read(1, 10))).containsExactly(4L, 5L);
        assertThat(outbox.firstPendingSeq()).isEqualTo(4);
        outbox.acknowledge(3);
        outbox.acknowledge(2);
        assertThat(outbox.depth()).isEqualTo(2);
    }

    @Test
    void seqsAreNeverReusedAfterEverythingWasAcknowledged() {
        outbox.append(events(3));
        outbox.acknowledge(3);
        assertThat(outbox.firstPendingSeq()).isEqualTo(4);
        assertThat(seqs(outbox.append(events(1)))).containsExactly(4L);
    }

    @Test
    void payloadsPublishedBehindWhatTheServerAppliedAreRenumberedToFollowItAndSurviveReopening()
            throws ProtocolException {
        ReliableChannel channel = ReliableChannel.create(outbox, 0);
        channel.publish(events(3));

        channel.resume(40, 1);
        store.close();
        store = StateStore.open(dir);
        outbox = store.outbox();

        List<Envelope> pending = outbox.read(1, 10);
        assertThat(seqs(pending)).containsExactly(41L, 42L, 43L);
        assertThat(pending).extracting(e -> e.getAgentEvent().getType()).containsExactly("e0", "e1", "e2");
        assertThat(outbox.lastSeq()).isEqualTo(43);
        assertThat(seqs(outbox.append(events(1)))).containsExactly(44L);
    }

    @Test
    void aRestoredOutboxThatAppendedPastTheServersAppliedSeqIsCaughtByTheStampAndRenumbered()
            throws ProtocolException {
        List<Envelope> lostHistory = outbox.append(events(2));
        outbox.acknowledge(2);
        store.close();
        Path copy = dir.resolveSibling(dir.getFileName() + "-copy");
        store = StateStore.open(copy);
        outbox = store.outbox();
        outbox.append(events(4));
        ReliableChannel restored = ReliableChannel.create(outbox, 0);

        ReliableChannel.Resumption resumption = restored.resume(2, lostHistory.get(1).getStamp(), 1);

        assertThat(resumption.diverged()).isTrue();
        assertThat(seqs(outbox.read(1, 10))).containsExactly(3L, 4L, 5L, 6L);
    }

    @Test
    void acksBeforeAndAfterARenumberingDeleteWhatTheyCover() {
        outbox.append(events(5));
        outbox.acknowledge(3);
        outbox.acknowledge(2);
        assertThat(outbox.firstPendingSeq()).isEqualTo(4);
        // Rows 4 and 5 follow a server that applied 3 of another history: same seqs, fresh stamps.
        outbox.renumberAfter(3, 42);
        outbox.append(events(1));

        outbox.acknowledge(5);

        assertThat(outbox.depth()).isEqualTo(1);
        assertThat(outbox.firstPendingSeq()).isEqualTo(6);
    }

    @Test
    void whatIsReadFromMemoryAfterAppendsIsWhatTheFileHolds() {
        List<Envelope> stored = outbox.append(events(3));
        assertThat(outbox.read(1, 10)).containsExactlyElementsOf(stored);

        // Same seqs, fresh stamps: a renumbering that follows an applied point just below them.
        outbox.renumberAfter(0, 42);
        List<Envelope> read = outbox.read(1, 10);
        store.close();
        store = StateStore.open(dir);
        outbox = store.outbox();

        assertThat(read).as("not the payloads held before the renumbering")
                .containsExactlyElementsOf(outbox.read(1, 10));
        assertThat(read.get(0).getStamp()).isNotEqualTo(stored.get(0).getStamp());
    }

    @Test
    void theAcknowledgedPointKeepsItsStampAcrossReopening() {
        List<Envelope> stored = outbox.append(events(3));
        outbox.acknowledge(2);
        store.close();

        store = StateStore.open(dir);
        outbox = store.outbox();
        assertThat(outbox.stampAt(2)).isEqualTo(stored.get(1).getStamp()).isNotZero();
        assertThat(outbox.stampAt(3)).isEqualTo(stored.get(2).getStamp());
        assertThat(outbox.stampAt(1)).as("acknowledged before the point: forgotten").isZero();
    }

    @Test
    void everyStoredPayloadGetsItsOwnNonZeroStamp() {
        List<Envelope> stored = outbox.append(events(50));
        assertThat(stored).extracting(Envelope::getStamp).doesNotContain(0L).doesNotHaveDuplicates();
        assertThat(outbox.read(1, 50)).containsExactlyElementsOf(stored);
    }

    @Test
    void everythingSurvivesReopeningTheFile() {
        List<Envelope> stored = outbox.append(events(4));
        outbox.acknowledge(1);
        store.close();

        store = StateStore.open(dir);
        outbox = store.outbox();
        assertThat(outbox.read(1, 10)).containsExactlyElementsOf(stored.subList(1, 4));
        assertThat(outbox.lastSeq()).isEqualTo(4);
        assertThat(outbox.firstPendingSeq()).isEqualTo(2);
        assertThat(seqs(outbox.append(events(1)))).containsExactly(5L);
    }

    @Test
    void seqsAreNotReusedAfterAcknowledgingEverythingAndReopening() {
        outbox.append(events(3));
        outbox.acknowledge(3);
        store.close();

        store = StateStore.open(dir);
        outbox = store.outbox();
        assertThat(outbox.firstPendingSeq()).isEqualTo(4);
        assertThat(seqs(outbox.append(events(1)))).containsExactly(4L);
    }

    @Test
    void aBatchAppendIsOneTransaction() throws Exception {
        // A trigger refuses the third row: none of the batch may remain.
        try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("agent.db"));
                var s = c.createStatement()) {
            s.executeUpdate("CREATE TRIGGER refuse_third BEFORE INSERT ON outbox WHEN NEW.seq = 3 "
                    + "BEGIN SELECT RAISE(ABORT, 'simulated disk full'); END");
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> outbox.append(events(5)))
                .isInstanceOf(StateStoreException.class)
                .hasMessageContaining("simulated disk full");
        assertThat(outbox.read(1, 10)).isEmpty();
        assertThat(outbox.lastSeq()).isZero();
    }

    @Test
    void aThousandEventsAppendedInOneCallAreReadBackInOrder() {
        outbox.append(events(1_000));
        List<Envelope> all = outbox.read(1, 2_000);
        assertThat(all).hasSize(1_000);
        assertThat(seqs(all)).isSorted().startsWith(1L).endsWith(1_000L);
        assertThat(all.get(999).getAgentEvent().getType()).isEqualTo("e999");
    }

    @Test
    void anAcknowledgementCommitsNothingOfItsOwnAndTheNextAppendDeletesWhatItCovers() throws SQLException {
        outbox.append(events(5));
        try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("agent.db"))) {
            long before = dataVersion(other);

            outbox.acknowledge(3);

            assertThat(dataVersion(other)).as("no transaction committed by the ack").isEqualTo(before);
            assertThat(rowsInFile(other)).containsExactly(1L, 2L, 3L, 4L, 5L);
            assertThat(seqs(outbox.read(1, 10))).as("but no longer pending").containsExactly(4L, 5L);
            assertThat(outbox.firstPendingSeq()).isEqualTo(4);
            assertThat(outbox.depth()).isEqualTo(2);

            outbox.append(events(1));

            assertThat(rowsInFile(other)).containsExactly(4L, 5L, 6L);
            assertThat(Database.queryLong(other, "SELECT acked_seq FROM agent WHERE id = 1")).isEqualTo(3);
        }
    }

    @Test
    void anAcknowledgementNoAppendFollowsIsCarriedOutOnRequestAndAtClose() throws SQLException {
        outbox.append(events(5));
        outbox.acknowledge(2);
        outbox.deleteAcknowledged();
        try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("agent.db"))) {
            assertThat(rowsInFile(other)).containsExactly(3L, 4L, 5L);
        }

        outbox.acknowledge(4);
        store.close();
        try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("agent.db"))) {
            assertThat(rowsInFile(other)).containsExactly(5L);
            assertThat(Database.queryLong(other, "SELECT acked_seq FROM agent WHERE id = 1")).isEqualTo(4);
        }
    }

    @Test
    void payloadsAppendedInsideAnotherWriteAreReadyToSendOnceItCommits() {
        assertThat(outbox.lastSeqHint()).isZero();

        store.applyNoOp(1, events(2));

        assertThat(outbox.lastSeqHint()).isEqualTo(2);
        assertThat(seqs(outbox.read(1, 10))).containsExactly(1L, 2L);
        assertThat(seqs(outbox.append(events(1)))).containsExactly(3L);
        assertThat(outbox.lastSeqHint()).isEqualTo(3);
    }

    @Test
    void whileAnAppendWaitsForTheDiskTheSendersQuestionsAreAnsweredWithoutWaiting() throws Exception {
        outbox.append(events(3));
        outbox.acknowledge(1);

        List<Envelope> appended = duringAStalledAppend(2, () -> {
            assertThat(outbox.lastSeqHint()).isEqualTo(3);
            assertThat(seqs(outbox.read(2, 10))).containsExactly(2L, 3L);
            assertThat(outbox.read(4, 10)).isEmpty();
            outbox.deleteAcknowledged();
        });

        assertThat(seqs(appended)).containsExactly(4L, 5L);
        assertThat(seqs(outbox.read(4, 10))).containsExactly(4L, 5L);
        try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("agent.db"))) {
            assertThat(rowsInFile(other)).as("the append deleted what the ack covered").containsExactly(2L, 3L, 4L,
                    5L);
        }
    }

    /** A replay after a restart reads the file, not memory: that read must not wait behind a stalled append. */
    @Test
    void aReplayReadFromTheFileDoesNotWaitForAnAppendStalledOnTheDisk() throws Exception {
        outbox.append(events(3));
        store.close();
        store = StateStore.open(dir);
        outbox = store.outbox();
        assertThat(outbox.lastSeq()).isEqualTo(3);

        List<Envelope> appended = duringAStalledAppend(1,
                () -> assertThat(seqs(outbox.read(1, 10))).containsExactly(1L, 2L, 3L));

        assertThat(seqs(appended)).containsExactly(4L);
        assertThat(seqs(outbox.read(1, 10))).containsExactly(1L, 2L, 3L, 4L);
    }

    /** What the sender does meanwhile; it must not wait for the disk. */
    private interface WhileStalled {
        void run() throws Exception;
    }

    /**
     * Runs {@code whileStalled} within a second while an append of {@code count} events waits for agent.db's
     * lock, which another connection holds (as another process would: the append waits in SQLite holding the
     * store, as in a hung fsync); then frees the lock and returns what the append stored.
     */
    private List<Envelope> duringAStalledAppend(int count, WhileStalled whileStalled) throws Exception {
        CompletableFuture<List<Envelope>> appended;
        try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("agent.db"));
                Statement statement = other.createStatement()) {
            statement.execute("BEGIN IMMEDIATE");
            appended = CompletableFuture.supplyAsync(() -> outbox.append(events(count)),
                    command -> Thread.ofPlatform().start(command));
            Thread.sleep(200);
            assertThat(appended).as("waiting for the lock").isNotDone();

            long started = System.nanoTime();
            whileStalled.run();
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(1));
            assertThat(appended).as("still waiting").isNotDone();
            statement.execute("ROLLBACK");
        }
        return appended.get(10, TimeUnit.SECONDS);
    }

    @Test
    void aRenumberingNeverResendsPayloadsAcknowledgedButNotYetDeleted() {
        outbox.append(events(5));
        outbox.acknowledge(3);

        // The server applied 3 of another history (the stamp differs): only 4 and 5 are pending, and follow it.
        outbox.renumberAfter(3, 42);

        assertThat(seqs(outbox.read(1, 10))).containsExactly(4L, 5L);
        assertThat(outbox.read(1, 10)).extracting(e -> e.getAgentEvent().getType()).containsExactly("e3", "e4");
        assertThat(outbox.depth()).isEqualTo(2);
        assertThat(outbox.lastSeq()).isEqualTo(5);
    }

    @Test
    void payloadsAcknowledgedBeforeACrashAreNotSentAgainAfterIt() throws Exception {
        List<Envelope> stored = outbox.append(events(5));
        outbox.acknowledge(3);
        // A kill -9 now: the file holds every row, and the acknowledged point before the ack.
        Path crashed = dir.resolveSibling(dir.getFileName() + "-crashed");
        copyOpenStore(dir, crashed);
        store.close();
        store = StateStore.open(crashed);
        outbox = store.outbox();
        assertThat(outbox.depth()).as("the ack did not survive").isEqualTo(5);

        ReliableChannel channel = ReliableChannel.create(outbox, 0);
        ReliableChannel.Resumption resumption = channel.resume(3, stored.get(2).getStamp(), 1);

        assertThat(resumption.diverged()).isFalse();
        assertThat(seqs(channel.nextBatch(10))).containsExactly(4L, 5L);
        assertThat(outbox.depth()).isEqualTo(2);
    }

    /** The files of a store still open, as a crash would leave them (committed pages partly in the WAL). */
    private static void copyOpenStore(Path from, Path to) throws Exception {
        Files.createDirectories(to);
        try (var files = Files.list(from)) {
            for (Path file : files.toList()) {
                String name = file.getFileName().toString();
                // Not the WAL's shared-memory index: the first connection to open the copy rebuilds it.
                if (name.equals("agent.db") || name.equals("agent.db-wal")) {
                    Files.copy(file, to.resolve(file.getFileName()));
                }
            }
        }
    }

    private static long dataVersion(Connection c) throws SQLException {
        return Database.queryLong(c, "PRAGMA data_version");
    }

    private static List<Long> rowsInFile(Connection c) throws SQLException {
        try (var s = c.createStatement(); var r = s.executeQuery("SELECT seq FROM outbox ORDER BY seq")) {
            List<Long> seqs = new java.util.ArrayList<>();
            while (r.next()) {
                seqs.add(r.getLong(1));
            }
            return seqs;
        }
    }
}
