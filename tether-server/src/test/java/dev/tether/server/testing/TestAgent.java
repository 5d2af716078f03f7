package dev.tether.server.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.tether.protocol.FrameCodec;
import dev.tether.protocol.Peer;
import dev.tether.protocol.ProtocolException;
import dev.tether.protocol.ProtocolVersion;
import dev.tether.protocol.v1.AgentEvent;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.Envelope.PayloadCase;
import dev.tether.protocol.v1.Heartbeat;
import dev.tether.protocol.v1.Hello;
import dev.tether.protocol.v1.Welcome;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.http.WebSocketFrameType;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A scripted agent for tests, speaking the real protocol over a real
 * WebSocket: every frame it sends is chosen by the test (including broken
 * ones), and it records what the server sends back, checked with the
 * agent-side codec, and how the connection was closed.
 */
public final class TestAgent implements AutoCloseable {

    private static final Vertx VERTX = Vertx.vertx();
    private static final WebSocketClient CLIENT = VERTX.createWebSocketClient(new WebSocketClientOptions()
            .setMaxConnections(10_000)
            .setMaxFrameSize(8 * 1024 * 1024)
            .setMaxMessageSize(8 * 1024 * 1024)
            .setClosingTimeout(2));
    private static final FrameCodec FROM_SERVER = FrameCodec.receivingFrom(Peer.SERVER);
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final WebSocket ws;
    private final BlockingQueue<Envelope> received = new LinkedBlockingQueue<>();
    private final CountDownLatch closeFrame = new CountDownLatch(1);
    private final CountDownLatch disconnected = new CountDownLatch(1);
    private volatile int closeCode = -1;
    private volatile String closeReason;
    private volatile String decodeFailure;
    private volatile long highestAck;

    private TestAgent(WebSocket ws) {
        this.ws = ws;
        ws.frameHandler(this::onFrame);
        ws.closeHandler(v -> {
            if (closeCode == -1) {
                closeCode = ws.closeStatusCode() == null ? 1006 : ws.closeStatusCode();
                closeReason = ws.closeReason();
            }
            closeFrame.countDown();
            disconnected.countDown();
        });
    }

    /** Upgrades with {@code key}; fails the test when the server refuses. */
    public static TestAgent connect(int port, String key) {
        try {
            return new TestAgent(upgrade(port, key).await(WAIT.toMillis(), TimeUnit.MILLISECONDS));
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("no answer to the upgrade", e);
        }
    }

    /** The HTTP status the server refused the upgrade with, and its body. */
    public static Rejection rejection(int port, String key) {
        try {
            WebSocket ws = upgrade(port, key).await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            ws.close();
            throw new AssertionError("the upgrade was accepted");
        } catch (UpgradeRejectedException e) {
            return new Rejection(e.getStatus(), e.getBody() == null ? "" : e.getBody().toString(),
                    e.getHeaders() == null ? null : e.getHeaders().get("Retry-After"));
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("no answer to the upgrade", e);
        }
    }

    /** Upgrades with {@code key}: the connected agent when accepted, else its {@link Rejection}. */
    public static Object attempt(int port, String key) {
        try {
            return new TestAgent(upgrade(port, key).await(WAIT.toMillis(), TimeUnit.MILLISECONDS));
        } catch (UpgradeRejectedException e) {
            return new Rejection(e.getStatus(), e.getBody() == null ? "" : e.getBody().toString(),
                    e.getHeaders() == null ? null : e.getHeaders().get("Retry-After"));
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("no answer to the upgrade", e);
        }
    }

    private static Future<WebSocket> upgrade(int port, String key) {
        WebSocketConnectOptions options = new WebSocketConnectOptions()
                .setHost("127.0.0.1").setPort(port).setURI("/v1/agents/connect");
        if (key != null) {
            options.addHeader("Authorization", "Bearer " + key);
        }
        return CLIENT.connect(options);
    }

    private void onFrame(WebSocketFrame frame) {
        if (frame.type() == WebSocketFrameType.CLOSE) {
            if (closeCode == -1) {
                closeCode = frame.closeStatusCode();
                closeReason = frame.closeReason();
            }
            closeFrame.countDown();
        } else if (frame.type() == WebSocketFrameType.BINARY) {
            try {
                Envelope envelope = FROM_SERVER.decode(frame.binaryData().getBytes()).envelope();
                highestAck = Math.max(highestAck, envelope.getAck());
                received.add(envelope);
            } catch (ProtocolException e) {
                decodeFailure = e.getMessage();
            }
        } else if (frame.type() == WebSocketFrameType.TEXT) {
            decodeFailure = "server sent a text frame";
        }
    }

    // ------------------------------------------------------------ handshake

    public static Hello.Builder defaultHello() {
        return Hello.newBuilder()
                .setAgentVersion("test-1.0")
                .setProtocolMin(ProtocolVersion.MIN)
                .setProtocolMax(ProtocolVersion.MAX)
                .setHostname("test-host")
                .setOs("linux")
                .setArch("amd64")
                .putLabels("role", "test")
                .addCapabilities("exec")
                .setAppliedServerSeq(0)
                .setResumeAgentSeq(1)
                .setBootId("boot-1");
    }

    public Welcome hello() {
        return hello(defaultHello());
    }

    public Welcome hello(Hello.Builder hello) {
        send(Envelope.newBuilder().setHello(hello).build());
        return await(PayloadCase.WELCOME).getWelcome();
    }

    // ------------------------------------------------------------ sending

    public void send(Envelope envelope) {
        sendBytes(envelope.toByteArray());
    }

    public void sendBytes(byte[] bytes) {
        ws.writeFrame(WebSocketFrame.binaryFrame(Buffer.buffer(bytes), true));
    }

    public void sendFrame(WebSocketFrame frame) {
        ws.writeFrame(frame);
    }

    public void sendText(String text) {
        ws.writeFinalTextFrame(text);
    }

    public void heartbeat() {
        send(Envelope.newBuilder().setHeartbeat(Heartbeat.newBuilder()
                .setCpuPercent(12.5).setMemUsedBytes(1000).setMemTotalBytes(4000)
                .setDiskUsedBytes(50).setDiskTotalBytes(100).setOutboxDepth(3).setUptimeS(42)).build());
    }

    /** A reliable AgentEvent with this seq, payload {@code {"n": seq}}. */
    public void event(long seq, String type) {
        send(Envelope.newBuilder().setSeq(seq).setTsMs(System.currentTimeMillis())
                .setAgentEvent(AgentEvent.newBuilder().setType(type)
                        .setPayloadJson(ByteString.copyFrom("{\"n\":" + seq + "}", StandardCharsets.UTF_8))
                        .setOccurredMs(System.currentTimeMillis()))
                .build());
    }

    // ------------------------------------------------------------ receiving

    /** The next envelope with this payload, skipping others; fails after a while. */
    public Envelope await(PayloadCase payload) {
        return await(payload, WAIT);
    }

    public Envelope await(PayloadCase payload, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (true) {
                Envelope envelope = received.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (envelope == null) {
                    throw new AssertionError("no " + payload + " within " + timeout
                            + (closeCode == -1 ? "" : "; closed " + closeCode + " " + closeReason));
                }
                if (envelope.getPayloadCase() == payload) {
                    return envelope;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** The next envelope of any payload, or null when none arrives within {@code timeout}. */
    public Envelope next(Duration timeout) {
        try {
            return received.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Envelopes received and not yet consumed by {@link #await}. */
    public List<Envelope> drain() {
        List<Envelope> out = new ArrayList<>();
        received.drainTo(out);
        return out;
    }

    /** Sends a heartbeat and waits for its HeartbeatAck. */
    public void heartbeatAcked() {
        heartbeat();
        await(PayloadCase.HEARTBEAT_ACK, Duration.ofSeconds(5));
    }

    /** The highest cumulative ack the server sent. */
    public long highestAck() {
        return highestAck;
    }

    /** Waits for the server's close frame (or the socket's end) and returns its code. */
    public int awaitCloseCode() {
        return awaitCloseCode(WAIT);
    }

    public int awaitCloseCode(Duration timeout) {
        try {
            assertThat(closeFrame.await(timeout.toMillis(), TimeUnit.MILLISECONDS))
                    .as("connection closed within %s", timeout).isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        return closeCode;
    }

    public String closeReason() {
        return closeReason;
    }

    public boolean isClosed() {
        return closeFrame.getCount() == 0;
    }

    /** A frame the server sent that the agent-side codec rejected, or null. */
    public String decodeFailure() {
        return decodeFailure;
    }

    /** Stops reading, as an agent that never reads: the server's writes back up once the socket buffers fill. */
    public void pauseReading() {
        ws.pause();
    }

    public void resumeReading() {
        ws.resume();
    }

    /** Closes with any code, as a hostile agent may. */
    public void close(int code, String reason) {
        ws.close((short) code, reason);
    }

    /** Closes with 1000, as a well-behaved agent does. */
    @Override
    public void close() {
        if (!isClosed()) {
            ws.close((short) 1000, "test done");
        }
    }

    /** @param retryAfter the Retry-After header, or null */
    public record Rejection(int status, String body, String retryAfter) {
    }
}
