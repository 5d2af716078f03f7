package dev.tether.agent.connection;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.tether.agent.connection.websocket.WebSocket;
import dev.tether.agent.connection.websocket.WebSocketClient;
import dev.tether.agent.events.AgentEvents;
import dev.tether.agent.metrics.HostMetrics;
import dev.tether.agent.state.StateStore;
import dev.tether.agent.testing.OwnThread;
import dev.tether.agent.testing.WebSocketFrames;
import dev.tether.protocol.Limits;
import dev.tether.protocol.MemoryOutbox;
import dev.tether.protocol.ReliableChannel;
import dev.tether.protocol.v1.ConfigUpdate;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.HeartbeatAck;
import dev.tether.protocol.v1.Hello;
import dev.tether.protocol.v1.Welcome;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's disk stalls while a payload is being stored: here another process holds {@code agent.db}'s write
 * lock (an operator's {@code sqlite3}, a backup tool), so the publish waits in SQLite's busy handler holding the
 * store, as it would in a hung fsync. Only the publisher may wait: the session keeps heartbeating over the real
 * socket, and the payload goes out once the store is free.
 */
class StalledDiskTest {

    private static final Duration HEARTBEAT = Duration.ofMillis(100);
    private static final byte[] HEARTBEAT_ACK =
            Envelope.newBuilder().setHeartbeatAck(HeartbeatAck.getDefaultInstance()).build().toByteArray();

    @TempDir
    Path stateDir;

    @Test
    void aPublishStalledOnTheStoreHoldsUpNeitherTheHeartbeatsNorThePayloadOnceTheStoreIsFree() throws Exception {
        try (StateStore store = StateStore.open(stateDir);
                ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            ReliableChannel channel = ReliableChannel.create(store.outbox(), 0);
            BlockingQueue<Envelope> received = new LinkedBlockingQueue<>();
            CompletableFuture<Void> server = OwnThread.call(() -> {
                serve(listener, received, List.of());
                return null;
            });
            WebSocket socket = new WebSocketClient(() -> null, Map.of("Authorization", "Bearer k"),
                    Limits.HANDSHAKE_TIMEOUT, Limits.WRITE_TIMEOUT, Limits.MAX_FRAME_BYTES)
                    .connect(URI.create("ws://127.0.0.1:" + listener.getLocalPort() + "/v1/agents/connect"));
            Session session = new Session(socket, channel, new IgnoringReceiver(), new QueuedShellTraffic(),
                    new HostMetrics(stateDir), Clock.systemUTC(), hello(), new NoListener());
            CompletableFuture<SessionEnd> ended = OwnThread.call(session::run);
            awaitFrame(received, Envelope::hasHeartbeat, "a first heartbeat");

            CompletableFuture<List<Envelope>> published;
            int heartbeatsWhileStalled;
            try (Connection holder = DriverManager.getConnection("jdbc:sqlite:" + stateDir.resolve("agent.db"));
                    Statement statement = holder.createStatement()) {
                statement.execute("BEGIN IMMEDIATE");
                published = OwnThread.call(() -> channel.publish(
                        List.of(AgentEvents.envelope("stalled", "{\"n\":1}", System.currentTimeMillis()))));
                Thread.sleep(300);
                assertThat(published).as("the publish waits for the store").isNotDone();
                received.clear();
                Thread.sleep(1_500);
                heartbeatsWhileStalled = (int) received.stream().filter(Envelope::hasHeartbeat).count();
                assertThat(published).as("still waiting for the store").isNotDone();
                statement.execute("ROLLBACK");
            }

            assertThat(heartbeatsWhileStalled).as("heartbeats every %d ms during 1.5 s of a stalled store",
                    HEARTBEAT.toMillis()).isGreaterThanOrEqualTo(5);
            assertThat(published.get(10, TimeUnit.SECONDS)).singleElement()
                    .satisfies(stored -> assertThat(stored.getSeq()).isEqualTo(1));
            awaitFrame(received, envelope -> envelope.getSeq() == 1, "the stored payload");
            Envelope beat = awaitFrame(received, Envelope::hasHeartbeat, "a heartbeat after the payload");
            assertThat(beat.getHeartbeat().getOutboxDepth()).as("stored, never acknowledged").isEqualTo(1);

            session.stop();
            assertThat(ended.get(10, TimeUnit.SECONDS)).isInstanceOf(SessionEnd.Stopped.class);
            server.get(10, TimeUnit.SECONDS);
        }
    }

    /**
     * A reliable payload whose apply waits for the disk past three heartbeat intervals: the server's frames wait in
     * the socket meanwhile, and the reader must find them there instead of calling the server dead.
     */
    @Test
    void aReaderHeldUpByItsOwnApplyPastTheDeadPeerDeadlineReadsWhatArrivedInsteadOfGivingUp() throws Exception {
        long applyMillis = 6 * HEARTBEAT.toMillis();
        ReliableChannel channel = ReliableChannel.create(new MemoryOutbox(), 0);
        Receiver slowDisk = new Receiver() {
            @Override
            public void welcomed(Welcome welcome) {
            }

            @Override
            public void apply(Envelope envelope, boolean unknownPayload) {
                try {
                    Thread.sleep(applyMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }

            @Override
            public void ignore(Envelope envelope, boolean unknownPayload) {
            }
        };
        Envelope config = Envelope.newBuilder().setSeq(1)
                .setConfigUpdate(ConfigUpdate.newBuilder().setVersion(1).setConfigJson(ByteString.copyFromUtf8("{}")))
                .build();
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            BlockingQueue<Envelope> received = new LinkedBlockingQueue<>();
            CompletableFuture<Void> server = OwnThread.call(() -> {
                serve(listener, received, List.of(config));
                return null;
            });
            WebSocket socket = new WebSocketClient(() -> null, Map.of("Authorization", "Bearer k"),
                    Limits.HANDSHAKE_TIMEOUT, Limits.WRITE_TIMEOUT, Limits.MAX_FRAME_BYTES)
                    .connect(URI.create("ws://127.0.0.1:" + listener.getLocalPort() + "/v1/agents/connect"));
            Session session = new Session(socket, channel, slowDisk, new QueuedShellTraffic(),
                    new HostMetrics(stateDir), Clock.systemUTC(), hello(), new NoListener());
            CompletableFuture<SessionEnd> ended = OwnThread.call(session::run);

            awaitFrame(received, envelope -> envelope.getAck() == 1, "ack of the slowly applied payload");
            received.clear();
            awaitFrame(received, Envelope::hasHeartbeat, "a heartbeat after it");
            assertThat(ended).as("the session goes on").isNotDone();

            session.stop();
            assertThat(ended.get(10, TimeUnit.SECONDS)).isInstanceOf(SessionEnd.Stopped.class);
            server.get(10, TimeUnit.SECONDS);
        }
    }

    /**
     * Completes the handshake and sends {@code then}; then answers each heartbeat and hands every envelope the
     * agent sends to {@code received} until its close.
     */
    private static void serve(ServerSocket listener, BlockingQueue<Envelope> received, List<Envelope> then)
            throws IOException {
        try (Socket socket = listener.accept()) {
            WebSocketFrames.Request request = WebSocketFrames.readRequest(socket.getInputStream());
            WebSocketFrames.writeSwitchingProtocols(socket.getOutputStream(),
                    request.headers().get("sec-websocket-key"));
            WebSocketFrames.readFrame(socket.getInputStream());
            Welcome welcome = Welcome.newBuilder().setProtocolVersion(1).setSessionId("stalled-disk")
                    .setHeartbeatIntervalMs((int) HEARTBEAT.toMillis()).setAppliedAgentSeq(0).setResumeServerSeq(1)
                    .build();
            WebSocketFrames.writeFrame(socket.getOutputStream(), WebSocketFrames.BINARY,
                    Envelope.newBuilder().setWelcome(welcome).build().toByteArray());
            for (Envelope envelope : then) {
                WebSocketFrames.writeFrame(socket.getOutputStream(), WebSocketFrames.BINARY, envelope.toByteArray());
            }
            while (true) {
                WebSocketFrames.Frame frame = WebSocketFrames.readFrame(socket.getInputStream());
                if (frame.opcode() == WebSocketFrames.CLOSE) {
                    WebSocketFrames.writeFrame(socket.getOutputStream(), WebSocketFrames.CLOSE, frame.payload());
                    return;
                }
                Envelope envelope = Envelope.parseFrom(frame.payload());
                received.add(envelope);
                if (envelope.hasHeartbeat()) {
                    // The agent counts a server that sends nothing for three intervals as dead.
                    WebSocketFrames.writeFrame(socket.getOutputStream(), WebSocketFrames.BINARY, HEARTBEAT_ACK);
                }
            }
        }
    }

    private static Envelope awaitFrame(BlockingQueue<Envelope> received, Predicate<Envelope> wanted, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            Envelope envelope = received.poll(100, TimeUnit.MILLISECONDS);
            if (envelope != null && wanted.test(envelope)) {
                return envelope;
            }
        }
        throw new AssertionError("no " + what + " within 10 s");
    }

    private static Envelope hello() {
        return Envelope.newBuilder().setHello(Hello.newBuilder().setAgentVersion("test").setHostname("h")).build();
    }
}
