package dev.tether.agent.connection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import dev.tether.agent.AgentConfig;
import dev.tether.agent.metrics.HostMetrics;
import dev.tether.agent.state.StateStore;
import dev.tether.agent.testing.FakeTetherServer;
import dev.tether.agent.testing.LogCapture;
import dev.tether.protocol.CloseCodes;
import dev.tether.protocol.ReliableChannel;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.Welcome;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The connection loop with several server URLs, against real sockets: two fake servers, or a fake and a
 * closed port. The loop's random is seeded so the order the agent tries them in is known.
 */
class ServerFailoverTest {

    /** With this seed an agent tries two servers in the order they were given (checked in each test). */
    private static final long GIVEN_ORDER_SEED = 1;
    private static final Duration FAILED_OVER = Duration.ofSeconds(10);

    @TempDir
    Path stateDir;
    private FakeTetherServer first;
    private FakeTetherServer second;
    private StateStore store;
    private ConnectionManager manager;

    @BeforeEach
    void start() throws Exception {
        first = FakeTetherServer.start();
        second = FakeTetherServer.start();
        store = StateStore.open(stateDir);
    }

    @AfterEach
    void stop() throws Exception {
        if (manager != null) {
            manager.close();
        }
        store.close();
        first.close();
        second.close();
    }

    @Test
    void aClosedPortTriedFirstIsSkippedAndTheAgentComesOnlineThroughTheNextServer() throws IOException {
        URI closed = closedPort();
        try (LogCapture log = LogCapture.of(ConnectionManager.class)) {
            connect(closed, second.url());

            await().atMost(FAILED_OVER).until(manager::connected);

            assertThat(second.handshakes()).isEqualTo(1);
            assertThat(log.messages(Level.WARN)).anySatisfy(m -> assertThat(m)
                    .startsWith("connection to " + connectUri(closed) + " failed: cannot connect")
                    .contains("reconnecting to " + connectUri(second.url()) + " in "));
            assertThat(log.messages(Level.INFO)).anySatisfy(m -> assertThat(m)
                    .startsWith("connected to " + connectUri(second.url()) + " as agent agent-1"));
        }
    }

    @Test
    void aLostConnectionReconnectsToTheOtherServerAndTheNextLossBackToTheFirst() {
        connect(first.url(), second.url());
        await().atMost(FAILED_OVER).until(() -> first.handshakes() == 1 && manager.connected());

        first.connection(1).drop();
        await().atMost(FAILED_OVER).until(() -> second.handshakes() == 1 && manager.connected());
        assertThat(first.handshakes()).isEqualTo(1);

        second.connection(1).drop();
        await().atMost(FAILED_OVER).until(() -> first.handshakes() == 2 && manager.connected());
        assertThat(second.handshakes()).isEqualTo(1);
    }

    @Test
    void aGoingAwayCloseFromADrainingServerMovesTheAgentToTheNextServer() throws IOException {
        connect(first.url(), second.url());
        await().atMost(FAILED_OVER).until(() -> first.handshakes() == 1 && manager.connected());

        try (LogCapture log = LogCapture.of(ConnectionManager.class)) {
            first.connection(1).close(CloseCodes.GOING_AWAY, "draining");

            await().atMost(FAILED_OVER).until(() -> second.handshakes() == 1 && manager.connected());
            assertThat(first.handshakes()).isEqualTo(1);
            assertThat(log.messages(Level.WARN)).anySatisfy(m -> assertThat(m)
                    .contains("close 1001 'draining'")
                    .contains("reconnecting to " + connectUri(second.url())));
        }
    }

    @Test
    void theOrderIsLoggedWhenTheLoopStarts() {
        try (LogCapture log = LogCapture.of(ConnectionManager.class)) {
            connect(first.url(), second.url());
            await().atMost(FAILED_OVER).until(manager::connected);

            assertThat(log.messages(Level.INFO)).contains("connecting to one of 2 servers, tried in this order: ["
                    + connectUri(first.url()) + ", " + connectUri(second.url()) + "]");
        }
    }

    /** Starts the loop on {@code servers}, tried in the order given. */
    private void connect(URI... servers) {
        List<URI> given = List.of(servers);
        assertThat(ServerRotation.shuffled(given, new SplittableRandom(GIVEN_ORDER_SEED)).order())
                .as("the seed keeps the order given").isEqualTo(given);
        AgentConfig config = first.agentConfig(stateDir).servers(given).build();
        ReliableChannel channel = ReliableChannel.create(store.outbox(), store.state().appliedServerSeq());
        manager = new ConnectionManager(config, AgentIdentity.detect("test", "boot-1", Map.of()), channel, () -> 0,
                List::of, new IgnoringReceiver(), new QueuedShellTraffic(), new HostMetrics(stateDir),
                new LinkStatus(LinkStatus.Journal.NONE, 0),
                Clock.systemUTC(), new SplittableRandom(GIVEN_ORDER_SEED));
        manager.start();
    }

    private static URI connectUri(URI server) {
        return AgentConfig.connectUri(server);
    }

    /** A loopback port nothing listens on: a dial there is refused at once. */
    private static URI closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return URI.create("http://127.0.0.1:" + socket.getLocalPort());
        }
    }
}
