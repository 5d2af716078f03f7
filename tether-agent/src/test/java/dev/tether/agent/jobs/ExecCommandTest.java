package dev.tether.agent.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.agent.process.ChildEnvironment;
import dev.tether.agent.state.StateStore;
import dev.tether.agent.testing.Commands;
import dev.tether.protocol.ReliableChannel;
import dev.tether.protocol.v1.CommandRequest;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExecCommandTest {

    private static final String KEY = "tak_secret";

    @TempDir
    Path dir;

    @Test
    void theAgentKeyNeverReachesAJobsEnvironment() {
        try (StateStore store = StateStore.open(dir)) {
            JobLedger ledger = new JobLedger(store, ReliableChannel.create(store.outbox(), 0), () -> { },
                    Clock.systemUTC());
            checkEnvironment(ledger);
        }
    }

    private static void checkEnvironment(JobLedger ledger) {
        Map<String, String> env = new HashMap<>(Map.of("PATH", "/usr/bin", "TETHER_AGENT_KEY", KEY,
                "COPY_OF_KEY", KEY, "HOME", "/root"));
        CommandRequest.Builder request = Commands.exec("job-1", "env");
        request.getExecBuilder().putEnv("EXTRA", "1").putEnv("TETHER_JOB_ID", "forged");

        new ExecCommand(null, ChildEnvironment.create(KEY)).environment(env, new LiveJob(request.build(), ledger));

        assertThat(env).doesNotContainKeys("TETHER_AGENT_KEY", "COPY_OF_KEY").doesNotContainValue(KEY)
                .containsEntry("EXTRA", "1")
                .containsEntry("TETHER_JOB_ID", "job-1")
                .containsEntry("TETHER_COMMAND_ID", "cmd-job-1")
                .containsEntry("HOME", "/root");
    }
}
