package dev.tether.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.tether.agent.testing.ShellHarness;
import dev.tether.agent.testing.ShellMessages;
import dev.tether.agent.testing.ShellRecorder;
import dev.tether.protocol.Limits;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.Envelope.PayloadCase;
import dev.tether.protocol.v1.ShellOutput;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Flow control: a flooding program is held to its credit and slows neither heartbeats nor other sessions. */
class AgentShellFlowTest {

    /** The fake server's heartbeat interval. */
    private static final long HEARTBEAT_MS = 200;
    private static final int SLOW_GRANT = 16 * 1024;

    @TempDir
    Path dir;

    private ShellHarness harness;
    private ShellRecorder shells;
    private final ScheduledExecutorService client = Executors.newSingleThreadScheduledExecutor();

    @BeforeEach
    void start() throws Exception {
        harness = ShellHarness.start(dir.resolve("state"));
        shells = harness.shells;
    }

    @AfterEach
    void stop() throws Exception {
        client.shutdownNow();
        harness.close();
    }

    private List<Envelope> heartbeatsSince(long sinceMs) {
        return harness.server.connection(1).received(PayloadCase.HEARTBEAT).stream()
                .filter(e -> e.getTsMs() >= sinceMs).toList();
    }

    private static void assertOnTime(List<Envelope> heartbeats) {
        assertThat(heartbeats.size()).isGreaterThanOrEqualTo(5);
        for (int i = 1; i < heartbeats.size(); i++) {
            assertThat(heartbeats.get(i).getTsMs() - heartbeats.get(i - 1).getTsMs())
                    .as("gap before heartbeat %d", i).isLessThan(HEARTBEAT_MS * Limits.MISSED_HEARTBEATS);
        }
    }

    @Test
    void aFloodIsHeldToTheCreditTheClientGrantsSlowly() throws Exception {
        ByteString id = ShellMessages.newId();
        long since = System.currentTimeMillis();
        harness.send(ShellMessages.envelope(ShellMessages.open(id, 24, 80, SLOW_GRANT,
                "head", "-c", "50000000", "/dev/zero")));
        AtomicInteger grants = new AtomicInteger();
        client.scheduleAtFixedRate(() -> {
            if (grants.incrementAndGet() <= 40) {
                try {
                    harness.send(ShellMessages.credit(id, SLOW_GRANT));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }, 50, 50, TimeUnit.MILLISECONDS);

        await().atMost(Duration.ofSeconds(10)).until(() -> grants.get() > 40);
        await().until(() -> shells.outputBytes(id) == 41L * SLOW_GRANT);
        await().during(Duration.ofMillis(300)).until(() -> shells.outputBytes(id) == 41L * SLOW_GRANT);

        assertThat(shells.violations()).isEmpty();
        long offset = 0;
        for (ShellOutput output : shells.outputs(id)) {
            assertThat(output.getOffset()).isEqualTo(offset);
            assertThat(output.getData().size()).isBetween(1, Limits.SHELL_CHUNK_BYTES);
            offset += output.getData().size();
        }
        List<Envelope> heartbeats = heartbeatsSince(since);
        assertOnTime(heartbeats);
        assertThat(heartbeats).allSatisfy(e -> assertThat(e.getHeartbeat().getShellBufferedPeakBytes())
                .isLessThanOrEqualTo(Limits.SHELL_WINDOW_BYTES));
        assertThat(harness.agent.connected()).isTrue();
    }

    @Test
    void aFastFloodDelaysNeitherHeartbeatsNorAnotherSession() throws Exception {
        long since = System.currentTimeMillis();
        ByteString flood = harness.open("yes", "flood-line");
        ByteString other = harness.open();
        await().until(() -> shells.outputBytes(flood) > 4 * Limits.SHELL_WINDOW_BYTES);

        long typed = System.nanoTime();
        harness.type(other, "echo pong-$((40+2))");
        await().atMost(Duration.ofSeconds(2)).until(() -> shells.text(other).contains("pong-42"));
        long roundTripMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - typed);

        await().during(Duration.ofMillis(1_500)).until(() -> harness.agent.connected());
        assertThat(harness.server.handshakes()).isEqualTo(1);
        assertThat(shells.outputBytes(flood)).isGreaterThan(8L * Limits.SHELL_WINDOW_BYTES);
        assertOnTime(heartbeatsSince(since));
        assertThat(heartbeatsSince(since)).anySatisfy(e -> assertThat(e.getHeartbeat().getShellBufferedPeakBytes())
                .isPositive().isLessThanOrEqualTo(Limits.SHELL_WINDOW_BYTES));
        assertThat(shells.violations()).isEmpty();
        assertThat(roundTripMs).as("echo round trip during the flood").isLessThan(2_000);

        harness.send(ShellMessages.close(flood, true));
        await().atMost(Duration.ofSeconds(5)).until(() -> shells.exit(flood) != null);
        assertThat(shells.exit(flood).getSignal()).isNotEmpty();
    }
}
