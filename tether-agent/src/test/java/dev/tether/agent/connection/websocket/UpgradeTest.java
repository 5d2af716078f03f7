package dev.tether.agent.connection.websocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.agent.testing.OwnThread;
import dev.tether.agent.testing.WebSocketFrames;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The opening handshake against a scripted server: what is sent, and every answer that must be refused. */
class UpgradeTest {

    private final HostilePeer peer;
    private final WebSocketClient client = HostilePeer.client(1024);

    UpgradeTest() throws IOException {
        peer = new HostilePeer();
    }

    @AfterEach
    void close() throws IOException {
        peer.close();
    }

    /** Dials while the peer reads the request and writes {@code response}; returns what the dial threw. */
    private Throwable refusal(String response) throws Exception {
        CompletableFuture<Socket> accepted = peer.accept();
        CompletableFuture<Throwable> dial = HostilePeer.failure(() -> client.connect(peer.uri()));
        Socket socket = accepted.get(5, TimeUnit.SECONDS);
        WebSocketFrames.readRequest(socket.getInputStream());
        socket.getOutputStream().write(response.getBytes(StandardCharsets.ISO_8859_1));
        socket.getOutputStream().flush();
        return dial.get(10, TimeUnit.SECONDS);
    }

    private static String switching(String accept) {
        return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + (accept == null ? "" : "Sec-WebSocket-Accept: " + accept + "\r\n") + "\r\n";
    }

    @Test
    void theUpgradeRequestCarriesTheKeyTheAgentsHeadersAndVersion13() throws Exception {
        CompletableFuture<Socket> accepted = peer.accept();
        CompletableFuture<WebSocketFrames.Request> request = OwnThread.call(
                () -> HostilePeer.upgrade(accepted.get(5, TimeUnit.SECONDS)));
        client.connect(peer.uri()).abort();

        WebSocketFrames.Request seen = request.get(5, TimeUnit.SECONDS);
        assertThat(seen.line()).isEqualTo("GET /v1/agents/connect HTTP/1.1");
        assertThat(seen.headers()).containsEntry("authorization", "Bearer tak_test")
                .containsEntry("user-agent", "tether-agent/test").containsEntry("upgrade", "websocket")
                .containsEntry("connection", "Upgrade").containsEntry("sec-websocket-version", "13")
                .containsKey("sec-websocket-key").containsKey("host");
    }

    @Test
    void aRefusedUpgradeKeepsItsStatusAndRetryAfter() throws Exception {
        Throwable refused = refusal("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 7\r\nContent-Length: 2\r\n\r\n{}");

        assertThat(refused).isInstanceOfSatisfying(UpgradeRefused.class, e -> {
            assertThat(e.status()).isEqualTo(503);
            assertThat(e.header("retry-after")).isEqualTo("7");
        });
    }

    @Test
    void a101WithAWrongAcceptIsRefused() throws Exception {
        assertThat(refusal(switching("dGhlIHNhbXBsZSBub25jZQ=="))).isInstanceOf(HandshakeException.class)
                .hasMessageContaining("a wrong sec-websocket-accept");
        assertThat(refusal(switching(null))).isInstanceOf(HandshakeException.class)
                .hasMessageContaining("no sec-websocket-accept");
    }

    @Test
    void a101WithoutTheUpgradeHeadersIsRefused() throws Exception {
        assertThat(refusal("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n\r\n"))
                .isInstanceOf(HandshakeException.class).hasMessageContaining("no upgrade");
        assertThat(refusal("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: keep-alive\r\n\r\n"))
                .isInstanceOf(HandshakeException.class).hasMessageContaining("a wrong connection");
    }

    @Test
    void anEndlessHeaderLineIsRefusedAtTheLimitOfTheHead() throws Exception {
        Throwable refused = refusal("HTTP/1.1 101 Switching Protocols\r\nX-Endless: " + "a".repeat(100_000));

        assertThat(refused).isInstanceOf(HandshakeException.class)
                .hasMessage("the server's upgrade response head exceeds " + WebSocketProtocol.MAX_RESPONSE_HEAD_BYTES
                        + " bytes");
    }

    @Test
    void aNulByteInTheResponseIsRefused() throws Exception {
        assertThat(refusal("HTTP/1.1 101 Switching\0 Protocols\r\n\r\n")).isInstanceOf(HandshakeException.class)
                .hasMessage("the server's upgrade response holds the control byte 0x00");
    }

    @Test
    void anAnswerThatIsNotHttpIsRefused() throws Exception {
        assertThat(refusal("SSH-2.0-OpenSSH_9.2\r\n\r\n")).isInstanceOf(HandshakeException.class)
                .hasMessageContaining("did not answer the upgrade with HTTP: 'SSH-2.0-OpenSSH_9.2'");
    }

    @Test
    void aServerThatDripsItsAnswerIsCutAtTheHandshakeTimeout() throws Exception {
        WebSocketClient impatient = HostilePeer.client(() -> null, Duration.ofMillis(500), Duration.ofSeconds(5), 1024);
        CompletableFuture<Socket> accepted = peer.accept();
        long started = System.nanoTime();
        CompletableFuture<Throwable> dial = HostilePeer.failure(() -> impatient.connect(peer.uri()));
        Socket socket = accepted.get(5, TimeUnit.SECONDS);
        WebSocketFrames.readRequest(socket.getInputStream());
        for (int i = 0; i < 40 && !dial.isDone(); i++) {
            socket.getOutputStream().write('H');
            socket.getOutputStream().flush();
            Thread.sleep(100);
        }

        assertThat(dial.get(5, TimeUnit.SECONDS)).isInstanceOf(SocketTimeoutException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofMillis(1_500));
    }

    @Test
    void shutdownEndsADialInProgressAndRefusesLaterOnes() throws Exception {
        CompletableFuture<Socket> accepted = peer.accept();
        CompletableFuture<Throwable> dial = HostilePeer.failure(() -> client.connect(peer.uri()));
        WebSocketFrames.readRequest(accepted.get(5, TimeUnit.SECONDS).getInputStream());

        client.shutdown();

        assertThat(dial.get(2, TimeUnit.SECONDS)).isInstanceOf(SocketException.class)
                .hasMessage("the agent is stopping");
        assertThatThrownBy(() -> client.connect(peer.uri())).isInstanceOf(SocketException.class);
    }
}
