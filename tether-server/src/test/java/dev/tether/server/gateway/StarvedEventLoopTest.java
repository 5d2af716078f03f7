package dev.tether.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.protocol.CloseCodes;
import dev.tether.server.testing.Api;
import dev.tether.server.testing.TestAgent;
import dev.tether.server.testing.TestDatabase;
import dev.tether.server.testing.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An agent's heartbeats that wait unread behind a busy event loop do not make it a dead peer: the hub's timer runs
 * elsewhere and sees an old last frame, but the connection judges that where it reads, after reading.
 */
class StarvedEventLoopTest {

    private static final Duration HEARTBEAT = Duration.ofMillis(200);
    /** Longer than the dead-peer deadline (3 intervals), the loop kept busy the whole time. */
    private static final Duration BUSY = HEARTBEAT.multipliedBy(6);
    private static final int AGENTS = 6;

    @TempDir
    Path dir;
    private TestServer server;
    private final ScheduledExecutorService beats = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stop() {
        beats.shutdownNow();
        if (server != null) {
            server.close();
        }
    }

    @Test
    @Timeout(60)
    void heartbeatsHeldUnreadByABusyEventLoopKeepTheAgentConnected() throws Exception {
        server = TestServer.start(dir, TestDatabase.SQLITE, HEARTBEAT);
        List<TestAgent> agents = new ArrayList<>();
        List<AgentSocket> sockets = new ArrayList<>();
        for (int i = 0; i < AGENTS; i++) {
            Api.Enrolled enrolled = server.api().enrol("busy-" + i);
            TestAgent agent = TestAgent.connect(server.port(), enrolled.key());
            agent.hello();
            agents.add(agent);
            sockets.add(((AgentConnection) server.hub().connection(enrolled.id()).orElseThrow()).socket());
        }
        beats.scheduleAtFixedRate(() -> agents.forEach(TestAgent::heartbeat), 0, HEARTBEAT.toMillis() / 2,
                TimeUnit.MILLISECONDS);

        // Agents are spread over the event loops; keeping each agent's loop busy in turn keeps every loop busy
        // once, while the hub's timer, on one of them, runs during the others' turns.
        for (AgentSocket socket : sockets) {
            CountDownLatch busy = new CountDownLatch(1);
            socket.onEventLoop(() -> {
                busy.countDown();
                sleep(BUSY);
            });
            busy.await();
            Thread.sleep(BUSY.toMillis() + HEARTBEAT.toMillis());
        }

        for (TestAgent agent : agents) {
            assertThat(agent.isClosed()).as("closed with %s", agent.isClosed() ? agent.awaitCloseCode() : 0)
                    .isFalse();
        }
        beats.shutdownNow();
        TestAgent silent = agents.getFirst();
        assertThat(silent.awaitCloseCode(HEARTBEAT.multipliedBy(10))).as("a silent agent is still a dead peer")
                .isEqualTo(CloseCodes.DEAD_PEER);
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
