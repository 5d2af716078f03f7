package dev.tether.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.tether.protocol.v1.AgentEvent;
import dev.tether.protocol.v1.Envelope;
import dev.tether.server.testing.Api;
import dev.tether.server.testing.JobAgent;
import dev.tether.server.testing.JobAgent.Script;
import dev.tether.server.testing.SseClient;
import dev.tether.server.testing.SseClient.Event;
import dev.tether.server.testing.TestAgent;
import dev.tether.server.testing.TestDatabase;
import dev.tether.server.testing.TestServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /api/v1/events}: what it reports, filters, resuming with Last-Event-ID, and slow clients. */
class EventStreamTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;
    private TestServer server;
    private Api api;

    @BeforeEach
    void startServer() throws Exception {
        server = TestServer.start(dir, TestDatabase.SQLITE, Duration.ofSeconds(30));
        api = server.api();
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    private SseClient events(String query, String lastEventId) {
        SseClient client = SseClient.open(server.port(), TestServer.ADMIN_TOKEN, "/api/v1/events" + query,
                lastEventId);
        assertThat(client.status()).isEqualTo(200);
        return client;
    }

    /** Events until one of {@code type} whose data contains {@code text}. */
    private static List<Event> until(SseClient stream, String type, String text) {
        List<Event> seen = new ArrayList<>();
        while (true) {
            Event event = stream.next(WAIT);
            seen.add(event);
            if (event.type().equals(type) && event.data().contains(text)) {
                return seen;
            }
        }
    }

    /** Reads until the peer closes the connection; false when it stays open for {@link #WAIT}. */
    private static boolean readsToTheEnd(Socket socket) throws IOException {
        socket.setSoTimeout((int) WAIT.toMillis());
        try {
            socket.getInputStream().readAllBytes();
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (SocketException e) {
            return true;
        }
    }

    private static void publish(TestAgent agent, long seq, String type, String json) {
        agent.send(Envelope.newBuilder().setSeq(seq).setAgentEvent(AgentEvent.newBuilder().setType(type)
                .setPayloadJson(ByteString.copyFromUtf8(json))).build());
    }

    @Test
    void streamReportsPresenceAgentEventsJobStatesAndCommandStatesWithIncreasingIds() {
        try (SseClient stream = events("", null)) {
            Api.Enrolled enrolled = api.enrol("reporter");
            JobAgent agent = JobAgent.connect(server.port(), enrolled.key(), request -> Script.fail(4));
            List<Event> seen = new ArrayList<>(until(stream, "agent.online", "reporter"));
            String command = api.exec(List.of("reporter"), "false").getString("id");
            seen.addAll(until(stream, "command.state", "\"completed\""));
            agent.close();
            seen.addAll(until(stream, "agent.offline", "reporter"));

            // "delivered" shows only when the agent's ack is applied before its started report.
            List<Event> shown = seen.stream().filter(event -> !(event.type().equals("job.state")
                    && event.json().getString("state").equals("delivered"))).toList();
            assertThat(shown).extracting(Event::type).containsExactly("agent.online", "command.state", "job.state",
                    "job.state", "command.state", "agent.offline");
            assertThat(seen).extracting(event -> Long.parseLong(event.id())).isSorted().doesNotHaveDuplicates();
            assertThat(shown.get(0).json().getString("agent_id")).isEqualTo(enrolled.id());
            assertThat(shown.get(1).json().getString("state")).isEqualTo("running");
            assertThat(shown.get(1).json().getInteger("job_count")).isEqualTo(1);
            assertThat(shown.subList(2, 4)).extracting(event -> event.json().getString("state"))
                    .containsExactly("running", "failed");
            assertThat(shown.get(3).json().getInteger("exit_code")).isEqualTo(4);
            assertThat(shown.get(3).json().getString("command_id")).isEqualTo(command);
            assertThat(shown.get(4).json().getJsonObject("counts").getLong("failed")).isEqualTo(1);
            assertThat(shown.get(5).json().getInteger("code")).isEqualTo(1000);
        }
    }

    @Test
    void agentsOwnEventsAreStreamedAsTheyAreApplied() {
        try (SseClient stream = events("?types=agent.event", null)) {
            TestAgent agent = server.connectNew("publisher");
            publish(agent, 1, "backup.completed", "{\"bytes\": 42}");

            Event event = stream.next(WAIT);

            assertThat(event.type()).isEqualTo("agent.event");
            assertThat(event.json().getString("type")).isEqualTo("backup.completed");
            assertThat(event.json().getJsonObject("payload").getInteger("bytes")).isEqualTo(42);
            assertThat(event.json().getLong("seq")).isEqualTo(1);
            agent.close();
        }
    }

    @Test
    void typesAndAgentFiltersLeaveOnlyMatchingEvents() {
        TestAgent wanted = server.connectNew("wanted");
        TestAgent other = server.connectNew("other");
        try (SseClient stream = events("?types=agent.event,agent.offline&agent=wanted", null)) {
            publish(other, 1, "noise.made", "{}");
            publish(wanted, 1, "signal.sent", "{}");
            await().atMost(WAIT).until(() -> other.highestAck() == 1 && wanted.highestAck() == 1);
            other.close();
            wanted.close();

            List<Event> seen = until(stream, "agent.offline", "wanted");

            assertThat(seen).extracting(Event::type).containsExactly("agent.event", "agent.offline");
            assertThat(seen.get(0).data()).contains("signal.sent");
        }
        assertThat(api.get("/api/v1/events?types=job.state,agent.exploded").status()).isEqualTo(400);
        assertThat(api.get("/api/v1/events?agent=nobody").status()).isEqualTo(404);
        assertThat(api.get("/api/v1/events?last_event_id=-4").status()).isEqualTo(400);
    }

    @Test
    void lastEventIdResumesFromTheStoredEventsThenGoesLive() {
        TestAgent agent = server.connectNew("resumer");
        String resumeAfter;
        try (SseClient first = events("?types=agent.event", null)) {
            publish(agent, 1, "step.one", "{}");
            resumeAfter = first.next(WAIT).id();
        }
        publish(agent, 2, "step.two", "{}");
        publish(agent, 3, "step.three", "{}");
        await().atMost(WAIT).until(() -> agent.highestAck() == 3);

        try (SseClient resumed = events("?types=agent.event", resumeAfter);
                SseClient byQuery = events("?types=agent.event&last_event_id=" + resumeAfter, null)) {
            publish(agent, 4, "step.four", "{}");
            for (SseClient stream : List.of(resumed, byQuery)) {
                List<Event> seen = until(stream, "agent.event", "step.four");
                assertThat(seen).extracting(event -> event.json().getString("type"))
                        .containsExactly("step.two", "step.three", "step.four");
                assertThat(Long.parseLong(seen.get(0).id())).isGreaterThan(Long.parseLong(resumeAfter));
            }
        }
        agent.close();
    }

    @Test
    void withoutFollowTheStreamSendsRecentEventsAndEnds() {
        TestAgent agent = server.connectNew("historian");
        for (long seq = 1; seq <= 3; seq++) {
            publish(agent, seq, "tick", "{\"n\": " + seq + "}");
        }
        await().atMost(WAIT).until(() -> agent.highestAck() == 3);

        try (SseClient stream = events("?follow=false&types=agent.event&limit=2", null)) {
            assertThat(stream.awaitEnd(WAIT)).isTrue();
            assertThat(stream.drain()).extracting(event -> event.json().getJsonObject("payload").getInteger("n"))
                    .containsExactly(2, 3);
        }
        agent.close();
    }

    @Test
    void slowClientIsDisconnectedWhenItsBufferOverflowsWhileAgentsCarryOn() throws Exception {
        TestAgent agent = server.connectNew("chatty");
        try (Socket slow = new Socket()) {
            slow.setReceiveBufferSize(4096);
            slow.connect(new InetSocketAddress("127.0.0.1", server.port()));
            OutputStream request = slow.getOutputStream();
            request.write(("GET /api/v1/events?types=agent.event HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                    + TestServer.ADMIN_TOKEN + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            request.flush();
            InputStream response = slow.getInputStream();
            assertThat(new String(response.readNBytes(15), StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 200 OK");
            await().atMost(WAIT).until(() -> api.get("/metrics").body().contains("tether_agents_connected 1.0"));

            String big = "{\"blob\": \"" + "x".repeat(60_000) + "\"}";
            for (long seq = 1; seq <= 300; seq++) {
                publish(agent, seq, "blob.sent", big);
            }

            await().atMost(Duration.ofSeconds(30)).until(() -> agent.highestAck() == 300);
            await().atMost(WAIT).until(() -> api.metric("tether_event_stream_overflows_total") == 1);
            assertThat(readsToTheEnd(slow)).as("the server closed the connection").isTrue();
        }
        agent.close();
    }
}
