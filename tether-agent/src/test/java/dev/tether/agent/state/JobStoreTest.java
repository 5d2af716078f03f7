package dev.tether.agent.state;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.agent.events.AgentEvents;
import dev.tether.agent.state.JobStore.State;
import dev.tether.protocol.v1.Envelope;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobStoreTest {

    @TempDir
    Path dir;

    private StateStore store;
    private JobStore jobs;

    @BeforeEach
    void open() {
        store = StateStore.open(dir);
        jobs = store.jobs();
    }

    @AfterEach
    void close() {
        store.close();
    }

    /** Any envelope will do as a report; the store does not look inside. */
    private static Envelope report(String name) {
        return AgentEvents.envelope(name, "{}", 0);
    }

    private List<String> outbox() {
        return store.outbox().read(1, 100).stream().map(e -> e.getAgentEvent().getType()).toList();
    }

    @Test
    void aJobIsAcceptedWithItsSeqInOneTransactionAndOnlyOnce() {
        assertThat(jobs.accept(4, "job-1", "cmd-1", "exec", 100)).isTrue();
        assertThat(jobs.accept(5, "job-1", "cmd-1", "exec", 200)).isFalse();

        assertThat(jobs.state("job-1")).isEqualTo(State.ACCEPTED);
        assertThat(store.state().appliedServerSeq()).isEqualTo(5);
    }

    @Test
    void aJobEndsOnceWhateverRacesToEndIt() {
        jobs.accept(1, "job-1", "cmd-1", "exec", 100);
        assertThat(jobs.markRunning("job-1", 42, 110, report("started"))).isTrue();

        assertThat(jobs.end(0, "job-1", State.FINISHED, 120, report("finished"))).isTrue();
        assertThat(jobs.end(2, "job-1", State.CANCELLED, 130, report("cancelled"))).isFalse();

        assertThat(jobs.state("job-1")).isEqualTo(State.FINISHED);
        assertThat(outbox()).containsExactly("started", "finished");
        assertThat(store.state().appliedServerSeq()).isEqualTo(2);
    }

    @Test
    void aJobCancelledWhileWaitingCannotBeMarkedRunning() {
        jobs.accept(1, "job-1", "cmd-1", "exec", 100);
        jobs.end(2, "job-1", State.CANCELLED, 110, report("cancelled"));

        assertThat(jobs.markRunning("job-1", 42, 120, report("started"))).isFalse();
        assertThat(outbox()).containsExactly("cancelled");
    }

    @Test
    void aCancelOfAnUnknownJobIsRememberedSoItsRequestIsANoOp() {
        assertThat(jobs.cancelUnknown(1, "job-1", 100, report("cancelled"))).isTrue();
        assertThat(jobs.cancelUnknown(2, "job-1", 100, report("cancelled"))).isFalse();

        assertThat(jobs.accept(3, "job-1", "cmd-1", "exec", 110)).isFalse();
        assertThat(jobs.state("job-1")).isEqualTo(State.CANCELLED);
        assertThat(outbox()).containsExactly("cancelled");
    }

    @Test
    void openJobsOfAnEarlierProcessAreEndedAndReportedTogether() {
        jobs.accept(1, "job-a", "cmd-1", "exec", 100);
        jobs.accept(2, "job-r", "cmd-1", "exec", 100);
        jobs.markRunning("job-r", 42, 110, report("started"));
        jobs.accept(3, "job-f", "cmd-1", "exec", 100);
        jobs.end(0, "job-f", State.FINISHED, 120, report("finished"));

        List<JobStore.OpenJob> open = jobs.endOpenJobs(200, id -> report("lost." + id));

        assertThat(open).extracting(JobStore.OpenJob::jobId).containsExactly("job-a", "job-r");
        assertThat(open.get(1).pid()).isEqualTo(42);
        assertThat(open.get(1).startedMs()).isEqualTo(110);
        assertThat(outbox()).containsExactly("started", "finished", "lost.job-a", "lost.job-r");
        assertThat(jobs.endOpenJobs(300, id -> report("again"))).isEmpty();
    }

    @Test
    void endedJobsAreForgottenAfterTheRetention() {
        jobs.accept(1, "job-old", "cmd-1", "exec", 0);
        jobs.end(0, "job-old", State.FINISHED, 1_000, report("finished"));

        jobs.endOpenJobs(1_000 + JobStore.RETENTION_MS + 1, id -> report("lost"));

        assertThat(jobs.state("job-old")).isNull();
    }

    @Test
    void aVersionOneDatabaseGainsTheJobTableAndKeepsItsState() throws Exception {
        store.close();
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("agent.db"));
                var s = c.createStatement()) {
            s.executeUpdate("DROP TABLE job");
            for (String column : java.util.List.of("applied_server_stamp", "acked_seq", "acked_stamp", "host_id")) {
                s.executeUpdate("ALTER TABLE agent DROP COLUMN " + column);
            }
            s.executeUpdate("ALTER TABLE outbox DROP COLUMN stamp");
            s.executeUpdate("UPDATE agent SET applied_server_seq = 9");
            s.executeUpdate("PRAGMA user_version = 1");
        }

        store = StateStore.open(dir);
        jobs = store.jobs();

        assertThat(store.state().appliedServerSeq()).isEqualTo(9);
        assertThat(jobs.accept(10, "job-1", "cmd-1", "exec", 100)).isTrue();
    }
}
