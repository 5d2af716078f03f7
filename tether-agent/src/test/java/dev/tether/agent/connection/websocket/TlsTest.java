package dev.tether.agent.connection.websocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.agent.connection.websocket.WebSocket.Inbound;
import dev.tether.agent.testing.OwnThread;
import dev.tether.agent.tls.TrustedCa;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code wss://} against a TLS server on loopback whose certificate (made by the JDK's {@code keytool})
 * the agent trusts as its CA: the host name must match the certificate, and is sent as SNI.
 */
class TlsTest {

    private static final String PASSWORD = "changeit";

    @TempDir
    Path dir;

    @Test
    void aServerWhoseCertificateIsForAnotherHostIsRefusedThoughItsCaIsTrusted() throws Exception {
        SSLContext server = certificate("other.example", "dns:other.example");
        try (HostilePeer peer = new HostilePeer(listen(server))) {
            CompletableFuture<Throwable> serverSide = peer.accept().thenCompose(socket -> HostilePeer.failure(() -> {
                ((SSLSocket) socket).startHandshake();
                return socket;
            }));
            WebSocketClient client = client();

            assertThatThrownBy(() -> client.connect(peer.uri("wss"))).isInstanceOf(SSLHandshakeException.class)
                    .hasMessageContaining("No subject alternative names matching IP address 127.0.0.1");
            assertThat(serverSide.get(5, TimeUnit.SECONDS)).as("the agent ended the handshake")
                    .isInstanceOf(IOException.class);
        }
    }

    @Test
    void aServerWhoseCertificateNamesItsHostIsAcceptedAndGetsTheNameAsSni() throws Exception {
        SSLContext server = certificate("localhost", "dns:localhost");
        try (HostilePeer peer = new HostilePeer(listen(server))) {
            CompletableFuture<Socket> accepted = peer.accept();
            CompletableFuture<List<SNIServerName>> sni = OwnThread.call(() -> {
                Socket socket = accepted.get(5, TimeUnit.SECONDS);
                HostilePeer.upgrade(socket);
                socket.getOutputStream().write(HostilePeer.frame(0x82, "over tls".getBytes(StandardCharsets.UTF_8)));
                return ((ExtendedSSLSession) ((SSLSocket) socket).getSession()).getRequestedServerNames();
            });
            WebSocket socket = client().connect(peer.uri("wss", "localhost"));

            assertThat(socket.receive(TimeUnit.SECONDS.toNanos(5))).isInstanceOfSatisfying(Inbound.Message.class,
                    m -> assertThat(new String(m.data(), StandardCharsets.UTF_8)).isEqualTo("over tls"));
            assertThat(sni.get(5, TimeUnit.SECONDS)).singleElement()
                    .satisfies(name -> assertThat(new String(name.getEncoded(), StandardCharsets.US_ASCII))
                            .isEqualTo("localhost"));
            socket.abort();
        }
    }

    private WebSocketClient client() {
        SSLContext trusted = TrustedCa.sslContext(dir.resolve("cert.pem"));
        return HostilePeer.client(() -> trusted, Duration.ofSeconds(10), Duration.ofSeconds(5), 1024);
    }

    private static SSLServerSocket listen(SSLContext context) throws IOException {
        return (SSLServerSocket) context.getServerSocketFactory().createServerSocket(0, 50,
                InetAddress.getLoopbackAddress());
    }

    /** A self-signed certificate for {@code name} with this subject alternative name; its PEM in cert.pem. */
    private SSLContext certificate(String name, String alternativeName) throws Exception {
        Path store = dir.resolve("server.p12");
        keytool("-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
                "CN=" + name, "-ext", "SAN=" + alternativeName, "-validity", "2", "-keystore", store.toString(),
                "-storetype", "PKCS12", "-storepass", PASSWORD, "-keypass", PASSWORD);
        keytool("-exportcert", "-rfc", "-alias", "server", "-keystore", store.toString(), "-storepass", PASSWORD,
                "-file", dir.resolve("cert.pem").toString());
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = new FileInputStream(store.toFile())) {
            keys.load(in, PASSWORD.toCharArray());
        }
        KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        factory.init(keys, PASSWORD.toCharArray());
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(factory.getKeyManagers(), null, null);
        return context;
    }

    private static void keytool(String... arguments) throws Exception {
        List<String> command = new java.util.ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
    }
}
