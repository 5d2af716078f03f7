package dev.tether.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.Envelope.PayloadCase;
import dev.tether.protocol.v1.JobEvent;
import dev.tether.protocol.v1.JobFinished;
import dev.tether.protocol.v1.JobOutput;
import dev.tether.protocol.v1.JobStarted;
import dev.tether.server.testing.Api;
import dev.tether.server.testing.SseClient;
import dev.tether.server.testing.SseClient.Event;
import dev.tether.server.testing.TestAgent;
import dev.tether.server.testing.TestDatabase;
import dev.tether.server.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Job and command output: JSON pages, and server-sent events that follow a job or a command to its end. */
class OutputStreamTest {

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

    /** An agent driven by hand: its reliable seqs count from 1. */
    private final class Hand implements AutoCloseable {
        final TestAgent connection;
        long seq;

        Hand(String name) {
            connection = TestAgent.connect(server.port(), api.enrol(name).key());
            connection.hello();
        }

        String awaitJob() {
            Envelope request = connection.await(PayloadCase.COMMAND);
            return request.getCommand().getJobId();
        }

        void started(String job) {
            send(JobEvent.newBuilder().setJobId(job).setStarted(JobStarted.newBuilder().setPid(7)).build());
        }

        void output(String job, JobOutput.Stream stream, byte[] data) {
            send(JobEvent.newBuilder().setJobId(job).setOutput(JobOutput.newBuilder().setStream(stream)
                    .setData(ByteString.copyFrom(data))).build());
        }

        void stdout(String job, String text) {
            output(job, JobOutput.Stream.STDOUT, text.getBytes(StandardCharsets.UTF_8));
        }

        void finished(String job, JobFinished.Outcome outcome, int exitCode) {
            send(JobEvent.newBuilder().setJobId(job).setFinished(JobFinished.newBuilder().setOutcome(outcome)
                    .setExitCode(exitCode)).build());
        }

        void send(JobEvent event) {
            connection.send(Envelope.newBuilder().setSeq(++seq).setJobEvent(event).build());
        }

        @Override
        public void close() {
            connection.close();
        }
    }

    private SseClient follow(String path, String lastEventId) {
        SseClient client = SseClient.open(server.port(), TestServer.ADMIN_TOKEN, path, lastEventId);
        assertThat(client.status()).isEqualTo(200);
        return client;
    }

    @Test
    void followingAJobStreamsStoredOutputThenLiveOutputThenItsEnd() {
        try (Hand agent = new Hand("streamer")) {
            String command = api.exec(List.of("streamer"), "sh", "-c", "work").getString("id");
            String job = agent.awaitJob();
            agent.started(job);
            agent.stdout(job, "one\n");
            api.awaitJob(job, "running");
            try (SseClient stream = follow("/api/v1/jobs/" + job + "/output?follow=true", null)) {
                Event first = stream.next(WAIT);
                assertThat(first.type()).isEqualTo("output");
                assertThat(first.id()).isEqualTo("0");
                assertThat(first.json().getString("data")).isEqualTo("one\n");
                assertThat(first.json().getString("stream")).isEqualTo("stdout");

                agent.output(job, JobOutput.Stream.STDERR, "two\n".getBytes(StandardCharsets.UTF_8));
                Event second = stream.next(WAIT);
                assertThat(second.id()).isEqualTo("1");
                assertThat(second.json().getString("stream")).isEqualTo("stderr");
                assertThat(second.json().getLong("offset")).isEqualTo(4);

                agent.finished(job, JobFinished.Outcome.FAILED, 2);
                Event end = stream.next(WAIT);
                assertThat(end.type()).isEqualTo("end");
                assertThat(end.json().getString("state")).isEqualTo("failed");
                assertThat(end.json().getInteger("exit_code")).isEqualTo(2);
                assertThat(stream.awaitEnd(WAIT)).isTrue();
            }
            try (SseClient resumed = follow("/api/v1/commands/" + command + "/jobs/" + job + "/output?follow=true",
                    "0")) {
                assertThat(resumed.until("end", WAIT)).extracting(Event::type).containsExactly("output", "end");
            }
        }
    }

    @Test
    void characterSplitAcrossTwoChunksArrivesWhole() {
        try (Hand agent = new Hand("unicode")) {
            api.exec(List.of("unicode"), "printf", "€");
            String job = agent.awaitJob();
            byte[] euro = "€\n".getBytes(StandardCharsets.UTF_8);
            agent.started(job);
            agent.output(job, JobOutput.Stream.STDOUT, Arrays.copyOf(euro, 1));
            agent.output(job, JobOutput.Stream.STDOUT, Arrays.copyOfRange(euro, 1, euro.length));
            agent.output(job, JobOutput.Stream.STDOUT, new byte[] {'!', (byte) 0xff, '\n'});
            agent.finished(job, JobFinished.Outcome.SUCCEEDED, 0);
            api.awaitJob(job, "succeeded");

            try (SseClient stream = follow("/api/v1/jobs/" + job + "/output?follow=true", null)) {
                String text = String.join("", stream.until("end", WAIT).stream().filter(e -> e.type().equals("output"))
                        .map(e -> e.json().getString("data")).toList());
                assertThat(text).isEqualTo("€\n!\uFFFD\n");
            }
            JsonObject json = api.get("/api/v1/jobs/" + job + "/output").json();
            assertThat(json.getBoolean("done")).isTrue();
            assertThat(json.getJsonArray("chunks").stream().map(c -> ((JsonObject) c).getString("data")).toList())
                    .containsExactly("", "€\n", "!\uFFFD\n");
        }
    }

    @Test
    void outputJsonIsPagedByChunk() {
        try (Hand agent = new Hand("pager")) {
            api.exec(List.of("pager"), "seq", "3");
            String job = agent.awaitJob();
            agent.started(job);
            for (String line : List.of("1\n", "2\n", "3\n")) {
                agent.stdout(job, line);
            }
            api.awaitJob(job, "running");

            JsonObject all = api.get("/api/v1/jobs/" + job + "/output").json();
            JsonObject rest = api.get("/api/v1/jobs/" + job + "/output?after=0").json();

            assertThat(all.getJsonArray("chunks")).hasSize(3);
            assertThat(all.getBoolean("done")).isFalse();
            assertThat(all.getLong("next_after")).isEqualTo(2);
            assertThat(all.getBoolean("more")).isFalse();
            assertThat(rest.getJsonArray("chunks").getJsonObject(0).getString("data")).isEqualTo("2\n");
            assertThat(rest.getJsonArray("chunks").getJsonObject(0).getLong("offset")).isEqualTo(2);
            assertThat(api.get("/api/v1/jobs/" + job + "/output?after=x").status()).isEqualTo(400);
            assertThat(api.get("/api/v1/jobs/" + job + "/output?follow=maybe").status()).isEqualTo(400);
        }
    }

    @Test
    void followingACommandStreamsEveryJobFromTheBeginningThenLiveAndEndsWhenAllAreFinal() {
        try (Hand early = new Hand("early"); Hand late = new Hand("late")) {
            String command = api.exec(List.of("early", "late"), "hostname").getString("id");
            String earlyJob = early.awaitJob();
            String lateJob = late.awaitJob();
            early.started(earlyJob);
            early.stdout(earlyJob, "early-host\n");
            early.finished(earlyJob, JobFinished.Outcome.SUCCEEDED, 0);
            late.started(lateJob);
            api.awaitJob(earlyJob, "succeeded");
            api.awaitJob(lateJob, "running");

            try (SseClient stream = follow("/api/v1/commands/" + command + "/output?follow=true", null)) {
                List<Event> replayed = List.of(stream.next(WAIT), stream.next(WAIT), stream.next(WAIT));
                assertThat(replayed).extracting(Event::type).containsExactly("output", "state", "state");
                assertThat(replayed.get(0).json().getString("agent_name")).isEqualTo("early");
                assertThat(replayed.get(0).json().getString("data")).isEqualTo("early-host\n");
                assertThat(replayed.get(1).json().getString("state")).isEqualTo("succeeded");
                assertThat(replayed.get(2).json().getString("job_id")).isEqualTo(lateJob);
                assertThat(replayed.get(2).json().getString("state")).isEqualTo("running");

                late.stdout(lateJob, "late-host\n");
                late.finished(lateJob, JobFinished.Outcome.FAILED, 1);
                List<Event> live = stream.until("end", WAIT);
                assertThat(live).extracting(Event::type).containsExactly("output", "state", "end");
                assertThat(live.get(0).json().getString("job_id")).isEqualTo(lateJob);
                assertThat(live.get(1).json().getInteger("exit_code")).isEqualTo(1);
                JsonObject counts = live.get(2).json().getJsonObject("counts");
                assertThat(counts.getLong("succeeded")).isEqualTo(1);
                assertThat(counts.getLong("failed")).isEqualTo(1);
                assertThat(stream.awaitEnd(WAIT)).isTrue();
            }
            JsonObject json = api.get("/api/v1/commands/" + command + "/output").json();
            assertThat(json.getJsonArray("output")).hasSize(2);
            assertThat(json.getJsonArray("jobs")).hasSize(2);
            assertThat(json.getBoolean("truncated")).isFalse();
        }
    }
}
