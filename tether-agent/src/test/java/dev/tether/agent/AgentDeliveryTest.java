package dev.tether.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tether.agent.testing.FakeTetherServer;
import dev.tether.protocol.Limits;
import dev.tether.protocol.v1.AgentEvent;
import dev.tether.protocol.v1.Envelope;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reliable delivery of events, against a fake server over a real socket. */
class AgentDeliveryTest {

    @TempDir
    Path stateDir;

    private FakeTetherServer server;
    private Agent agent;

    @BeforeEach
    void startServer() throws Exception {
        server = FakeTetherServer.start();
    }

    @AfterEach
    void stopAll() throws Exception {
        if (agent != null) {
            agent.close();
        }
        server.close();
    }

    private Agent startAgent() {
        agent = Agent.start(server.agentConfig(stateDir).build());
        return agent;
    }

    private static String payload(int i) {
        return "{\"i\":" + i + "}";
    }

    private List<String> payloadsOf(String type) {
        return server.appliedEvents().stream().filter(e -> e.getType().equals(type))
                .map(e -> e.getPayloadJson().toStringUtf8()).toList();
    }

    @Test
    void aThousandPublishedEventsArriveInOrderAndAreDeletedOnceAcknowledged() {
        startAgent();
        for (int i = 0; i < 1_000; i++) {
            agent.publishEvent("test.event", payload(i));
        }

        await().atMost(Duration.ofSeconds(30)).until(() -> payloadsOf("test.event").size() == 1_000);
        assertThat(payloadsOf("test.event"))
                .containsExactlyElementsOf(IntStream.range(0, 1_000).mapToObj(AgentDeliveryTest::payload).toList());
        assertThat(server.applied()).extracting(Envelope::getSeq)
                .containsExactlyElementsOf(IntStream.rangeClosed(1, 1_001).mapToObj(i -> (long) i).toList());
        await().until(() -> agent.outboxDepth() == 0);
        assertThat(server.problems()).isEmpty();
    }

    @Test
    void whatTheServerAcknowledgedIsDeletedFromTheFileWhenNoMoreEventsCome() throws Exception {
        startAgent();
        for (int i = 0; i < 20; i++) {
            agent.publishEvent("test.event", payload(i));
        }
        await().until(() -> server.appliedAgentSeq() == 21 && agent.outboxDepth() == 0);

        // No append follows the last acks to delete their rows: the session's timer does, while it is up.
        try (Connection file = DriverManager.getConnection("jdbc:sqlite:" + stateDir.resolve("agent.db"))) {
            await().atMost(Duration.ofSeconds(5)).until(() -> queryLong(file, "SELECT COUNT(*) FROM outbox") == 0);
            assertThat(queryLong(file, "SELECT acked_seq FROM agent WHERE id = 1")).isEqualTo(21);
        }
        assertThat(agent.connected()).isTrue();
    }

    @Test
    void eventsBeyondAFullWindowGoOutWhenTheServerAcknowledgesWithNothingElseToWakeTheWriter() {
        // No heartbeat (whose frame would wake the writer) within the test, and no publish after the batch.
        server.heartbeatIntervalMs(120_000);
        startAgent();
        await().until(() -> server.handshakes() == 1 && server.appliedAgentSeq() == 1);
        agent.publishEvents(IntStream.range(0, 3 * Limits.RELIABLE_WINDOW / 2)
                .mapToObj(i -> new Event("window.event", payload(i))).toList());

        await().atMost(Duration.ofSeconds(20))
                .until(() -> payloadsOf("window.event").size() == 3 * Limits.RELIABLE_WINDOW / 2);
        await().until(() -> agent.outboxDepth() == 0);
    }

    private static long queryLong(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        }
    }

    @Test
    void aBatchOfEventsIsStoredAndDeliveredInOrder() {
        startAgent();
        agent.publishEvents(IntStream.range(0, 300).mapToObj(i -> new Event("batch.event", payload(i))).toList());

        await().until(() -> payloadsOf("batch.event").size() == 300);
        assertThat(payloadsOf("batch.event")).first().isEqualTo(payload(0));
        assertThat(payloadsOf("batch.event")).last().isEqualTo(payload(299));
    }

    @Test
    void afterADroppedConnectionTheUnacknowledgedEventsAreReplayedFromTheServersAppliedSeq() {
        server.applyUpTo(5);
        startAgent();
        await().until(() -> server.handshakes() == 1);
        for (int i = 0; i < 10; i++) {
            agent.publishEvent("test.event", payload(i));
        }
        // agent.started is seq 1, the events 2..11; the server applies up to 5 and then stalls.
        await().until(() -> server.connection(1).reliableSeqs().size() == 11);
        assertThat(server.appliedAgentSeq()).isEqualTo(5);

        server.applyUpTo(Long.MAX_VALUE);
        server.connection(1).drop();

        await().until(() -> server.handshakes() == 2 && server.connection(2).reliableSeqs().size() >= 6);
        assertThat(server.connection(2).hello().getResumeAgentSeq()).isLessThanOrEqualTo(6);
        assertThat(server.connection(2).reliableSeqs()).containsExactly(6L, 7L, 8L, 9L, 10L, 11L);
        assertThat(server.applied()).extracting(Envelope::getSeq)
                .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L);
        assertThat(payloadsOf("test.event"))
                .containsExactlyElementsOf(IntStream.range(0, 10).mapToObj(AgentDeliveryTest::payload).toList());
        await().until(() -> agent.outboxDepth() == 0);
    }

    @Test
    void eventsTheServerAppliedButNeverAcknowledgedAreNotSentAgain() {
        server.acknowledge(false);
        startAgent();
        for (int i = 0; i < 5; i++) {
            agent.publishEvent("test.event", payload(i));
        }
        await().until(() -> server.appliedAgentSeq() == 6);
        assertThat(agent.outboxDepth()).isEqualTo(6);

        server.acknowledge(true);
        server.connection(1).drop();

        await().until(() -> server.handshakes() == 2 && agent.outboxDepth() == 0);
        assertThat(server.connection(2).reliableSeqs()).isEmpty();
        assertThat(server.applied()).hasSize(6);
    }

    @Test
    void eventsPublishedWhileTheServerIsUnreachableSurviveARestartAndArriveOnce() {
        server.rejectWith(503);
        startAgent();
        agent.publishEvent("offline.event", payload(1));
        agent.publishEvent("offline.event", payload(2));
        agent.close();
        assertThat(server.applied()).isEmpty();

        server.rejectWith(0);
        agent = Agent.start(server.agentConfig(stateDir).build());

        await().until(() -> server.appliedEventTypes().size() == 5);
        assertThat(server.appliedEventTypes()).containsExactly("agent.started", "offline.event", "offline.event",
                "agent.stopping", "agent.started");
        assertThat(server.applied()).extracting(Envelope::getSeq).containsExactly(1L, 2L, 3L, 4L, 5L);
    }

    @Test
    void whenTheServerLostItsStateTheAgentReplaysWhatItStillHas() {
        server.acknowledge(false);
        startAgent();
        agent.publishEvent("test.event", payload(1));
        agent.publishEvent("test.event", payload(2));
        await().until(() -> server.appliedAgentSeq() == 3);

        server.restoreAppliedTo(1);
        server.acknowledge(true);
        server.connection(1).drop();

        await().until(() -> server.handshakes() == 2 && agent.outboxDepth() == 0);
        assertThat(server.connection(2).reliableSeqs()).containsExactly(2L, 3L);
        assertThat(server.applied()).extracting(Envelope::getSeq).containsExactly(1L, 2L, 3L);
    }

    @Test
    void anInvalidEventIsRefusedAndNothingOfItsBatchIsStored() {
        startAgent();
        await().until(() -> agent.outboxDepth() == 0);
        assertThatThrownBy(() -> agent.publishEvent("bad type", "{}")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> agent.publishEvent("good", "{oops")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> agent.publishEvents(List.of(new Event("good", "{}"), new Event("good", "[1,"))))
                .isInstanceOf(IllegalArgumentException.class);

        agent.publishEvent("marker", "{}");
        await().until(() -> server.appliedEventTypes().contains("marker"));
        assertThat(server.appliedEventTypes()).containsExactly("agent.started", "marker");
    }

    @Test
    void theStartedEventCarriesTheVersionAndTheBootIdOfTheHello() {
        startAgent();
        await().until(() -> !server.appliedEvents().isEmpty());
        AgentEvent started = server.appliedEvents().get(0);
        assertThat(started.getType()).isEqualTo("agent.started");
        assertThat(started.getPayloadJson().toStringUtf8()).isEqualTo("{\"version\":\"" + Agent.version()
                + "\",\"boot_id\":\"" + server.connection(1).hello().getBootId() + "\"}");
        assertThat(started.getOccurredMs()).isPositive();
    }
}
