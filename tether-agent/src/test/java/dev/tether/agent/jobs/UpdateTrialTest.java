package dev.tether.agent.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trial of a self-updated jar on real files: kept once connected, rolled back when not in time. */
class UpdateTrialTest {

    @TempDir
    Path dir;
    private Path jar;
    private final List<String> events = new CopyOnWriteArrayList<>();
    private final AtomicBoolean restarted = new AtomicBoolean();

    @BeforeEach
    void updated() throws Exception {
        jar = Files.writeString(dir.resolve("tether-agent.jar"), "new");
        Files.writeString(dir.resolve("tether-agent.jar.previous"), "old");
        UpdateTrial.begin(jar, "1.0.0", "1.1.0");
    }

    private UpdateTrial trial(String version) {
        return new UpdateTrial(jar, version, (type, json) -> events.add(type + " " + json));
    }

    @Test
    void anUpdateThatConnectsIsKept() {
        AtomicInteger polls = new AtomicInteger();
        trial("1.1.0").watch(() -> polls.incrementAndGet() > 2, () -> restarted.set(true), Duration.ofSeconds(10));

        assertThat(Files.exists(dir.resolve("tether-agent.jar.trial"))).isFalse();
        assertThat(jar).hasContent("new");
        assertThat(restarted).isFalse();
        assertThat(events).containsExactly("agent.update_confirmed {\"from\":\"1.0.0\",\"to\":\"1.1.0\"}");
    }

    @Test
    void anUpdateThatDoesNotConnectInTimeGoesBackAndTheOldAgentReportsIt() {
        trial("1.1.0").watch(() -> false, () -> restarted.set(true), Duration.ofMillis(500));

        assertThat(restarted).isTrue();
        assertThat(jar).as("the previous jar is back").hasContent("old");
        assertThat(dir.resolve("tether-agent.jar.previous")).doesNotExist();
        assertThat(dir.resolve("tether-agent.jar.trial")).doesNotExist();
        assertThat(events).isEmpty();

        UpdateTrial restored = trial("1.0.0");
        restored.reportRollback();
        assertThat(events).containsExactly("agent.update_rolled_back {\"from\":\"1.1.0\",\"to\":\"1.0.0\","
                + "\"reason\":\"version 1.1.0 did not reach a server within 0 s\"}");
        restored.reportRollback();
        assertThat(events).as("reported once").hasSize(1);
    }

    @Test
    void theLaunchersRollbackIsReportedWithTheVersionItLeft() throws Exception {
        Files.writeString(dir.resolve("tether-agent.jar.rolled-back"),
                "1.1.0\nthe updated agent did not start (2 tries)\n");
        trial("1.0.0").reportRollback();
        assertThat(events).containsExactly("agent.update_rolled_back {\"from\":\"1.1.0\",\"to\":\"1.0.0\","
                + "\"reason\":\"the updated agent did not start (2 tries)\"}");
    }

    @Test
    void aVersionWithALineBreakCannotForgeTheLaunchersLine() throws Exception {
        UpdateTrial.begin(jar, "1.0.0\nevil", "1.1.0");
        assertThat(Files.readAllLines(dir.resolve("tether-agent.jar.trial"))).containsExactly("1.0.0 evil", "1.1.0");
    }
}
