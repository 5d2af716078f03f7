package dev.tether.agent.connection;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.agent.connection.websocket.WebSocket;
import dev.tether.agent.connection.websocket.WebSocketClient;
import dev.tether.agent.events.AgentEvents;
import dev.tether.agent.metrics.HostMetrics;
import dev.tether.agent.testing.OwnThread;
import dev.tether.agent.testing.WebSocketFrames;
import dev.tether.protocol.Limits;
import dev.tether.protocol.MemoryOutbox;
import dev.tether.protocol.ReliableChannel;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.Hello;
import dev.tether.protocol.v1.Welcome;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server that completes the handshake and then never reads again (a hung process whose socket stays
 * open): the agent's writes fill the socket's buffers and block, and a blocking socket has no write
 * timeout of its own. The session's watchdog must end the session once a write has been blocked for the
 * write timeout, and nothing unacknowledged may leave the outbox.
 */
class StalledServerTest {

    private static final Duration WRITE_TIMEOUT = Duration.ofMillis(500);

    @TempDir
    Path stateDir;

    @Test
    void aServerThatStopsReadingEndsTheSessionOnceAWriteStallsAndTheOutboxKeepsEverything() throws Exception {
        ReliableChannel channel = ReliableChannel.create(new MemoryOutbox(), 0, Limits.RELIABLE_WINDOW);
        String bulky = "{\"data\":\"" + "x".repeat(256 * 1024) + "\"}";
        channel.publish(IntStream.range(0, 200).mapToObj(i -> AgentEvents.envelope("bulk", bulky, i)).toList());
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Socket> server = OwnThread.call(() -> welcomeThenStopReading(listener));
            WebSocket socket = new WebSocketClient(() -> null, Map.of("Authorization", "Bearer k"),
                    Limits.HANDSHAKE_TIMEOUT, WRITE_TIMEOUT, Limits.MAX_FRAME_BYTES)
                    .connect(URI.create("ws://127.0.0.1:" + listener.getLocalPort() + "/v1/agents/connect"));
            Session session = new Session(socket, channel, new IgnoringReceiver(), new QueuedShellTraffic(),
                    new HostMetrics(stateDir), Clock.systemUTC(), hello(), new NoListener());

            long started = System.nanoTime();
            SessionEnd end = OwnThread.call(session::run).get(30, TimeUnit.SECONDS);

            assertThat(end).isInstanceOfSatisfying(SessionEnd.Failed.class, failed -> assertThat(failed.reason())
                    .isEqualTo("a write did not complete within " + WRITE_TIMEOUT.toMillis() + " ms"));
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(WRITE_TIMEOUT)
                    .isLessThan(Duration.ofSeconds(15));
            assertThat(channel.depth()).as("nothing acknowledged, nothing dropped").isEqualTo(200);
            server.get(5, TimeUnit.SECONDS).close();
        }
    }

    private static Socket welcomeThenStopReading(ServerSocket listener) throws IOException {
        Socket socket = listener.accept();
        WebSocketFrames.Request request = WebSocketFrames.readRequest(socket.getInputStream());
        WebSocketFrames.writeSwitchingProtocols(socket.getOutputStream(), request.headers().get("sec-websocket-key"));
        WebSocketFrames.readFrame(socket.getInputStream());
        ReliableChannel serverSide = ReliableChannel.create(new MemoryOutbox(), 0);
        Welcome welcome = Welcome.newBuilder().setProtocolVersion(1).setSessionId("stalled")
                .setHeartbeatIntervalMs(60_000).setAppliedAgentSeq(0).setResumeServerSeq(serverSide.resumeSeq())
                .build();
        WebSocketFrames.writeFrame(socket.getOutputStream(), WebSocketFrames.BINARY,
                Envelope.newBuilder().setWelcome(welcome).build().toByteArray());
        return socket;
    }

    private static Envelope hello() {
        return Envelope.newBuilder().setHello(Hello.newBuilder().setAgentVersion("test").setHostname("h")).build();
    }
}
