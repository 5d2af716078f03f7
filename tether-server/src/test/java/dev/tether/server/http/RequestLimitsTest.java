package dev.tether.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.server.testing.HostileHttpClient;
import dev.tether.server.testing.TestDatabase;
import dev.tether.server.testing.TestServer;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The server's request limits, attacked over raw sockets: bodies are bounded before they are read on every
 * endpoint (signed in or not), heads must arrive in time and within a size.
 */
class RequestLimitsTest {

    private static final long HUGE_BODY_BYTES = 256L * 1024 * 1024;
    /** Heap the server may keep while a huge body is being streamed at it: buffers, not the body. */
    private static final long HEAP_GROWTH_ALLOWED_BYTES = 8L * 1024 * 1024;

    @TempDir
    static Path dir;
    private static TestServer server;

    @BeforeAll
    static void startServer() throws Exception {
        server = TestServer.start(dir, TestDatabase.SQLITE, Duration.ofSeconds(30));
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    /** Each endpoint that takes a body, with and without credentials, and one that takes none. */
    static Stream<Arguments> bodyTakingEndpoints() {
        String admin = "Bearer " + TestServer.ADMIN_TOKEN;
        return Stream.of(
                Arguments.of("POST", "/v1/agents/enroll", "Bearer tet_a-guessed-token"),
                Arguments.of("POST", "/api/v1/login", null),
                Arguments.of("POST", "/api/v1/session", null),
                Arguments.of("POST", "/api/v1/commands", admin),
                Arguments.of("POST", "/api/v1/commands", null),
                Arguments.of("PUT", "/api/v1/agents/web-1/config", admin),
                Arguments.of("POST", "/healthz", null));
    }

    @ParameterizedTest(name = "{0} {1} with {2}")
    @MethodSource("bodyTakingEndpoints")
    void aChunkedBodyOf256MiBIsCutOffWithoutTheServersHeapGrowing(String method, String path, String auth)
            throws Exception {
        long before = usedHeapAfterGc();
        try (HostileHttpClient client = new HostileHttpClient(server.port())) {
            client.head(method, path, headers(auth, Map.of("Transfer-Encoding", "chunked")));
            AtomicBoolean allWritten = new AtomicBoolean();
            Thread writer = Thread.ofPlatform().start(() -> allWritten.set(client.streamChunked(HUGE_BODY_BYTES)));
            writer.join(Duration.ofSeconds(30));

            // Measured while the connection is still open: whatever the server buffered is still held.
            long growth = usedHeapAfterGc() - before;
            assertThat(writer.isAlive()).as("the server neither read nor refused the body").isFalse();
            assertThat(allWritten).as("the server read all 256 MiB").isFalse();
            assertThat(client.bytesSent()).isLessThan(HUGE_BODY_BYTES);
            int status = client.status();
            assertThat(status == -1 || status >= 400).as("refused, or closed, but answered " + status).isTrue();
            assertThat(growth).as("heap growth in bytes").isLessThan(HEAP_GROWTH_ALLOWED_BYTES);
        }
    }

    @ParameterizedTest(name = "{0} {1} with {2}")
    @MethodSource("bodyTakingEndpoints")
    void aDeclaredOversizeBodyGets413BeforeItIsSent(String method, String path, String auth) throws Exception {
        try (HostileHttpClient client = new HostileHttpClient(server.port())) {
            client.head(method, path, headers(auth, Map.of("Content-Length", Long.toString(HUGE_BODY_BYTES),
                    "Expect", "100-continue")));

            assertThat(client.status()).isEqualTo(413);
            assertThat(client.rest()).contains("payload_too_large").containsIgnoringCase("Connection: close");
        }
    }

    @Test
    void aClientTricklingItsRequestHeadIsDroppedWithinTheHeaderReadTimeout() throws Exception {
        try (HostileHttpClient client = new HostileHttpClient(server.port())) {
            long start = System.nanoTime();
            client.write("POST /api/v1/login HTTP/1.1\r\nHost: 127.0.0.1\r\n");
            boolean closed = false;
            int trickled = 0;
            for (char next : "X-Slow: one-byte-a-second-forever".toCharArray()) {
                try {
                    client.write(String.valueOf(next));
                    trickled++;
                } catch (java.io.IOException refused) {
                    closed = true;
                    break;
                }
                if (client.closedWithin(Duration.ofSeconds(1))) {
                    closed = true;
                    break;
                }
            }
            Duration took = Duration.ofNanos(System.nanoTime() - start);

            assertThat(closed).as("the server dropped the connection").isTrue();
            assertThat(trickled).as("bytes trickled before the drop").isGreaterThan(3);
            assertThat(took).isLessThan(HttpLimits.HEADER_READ_TIMEOUT.plusSeconds(3));
        }
    }

    @Test
    void requestHeadersOverTheServerWideCapAreRefusedAndUnderItServed() throws Exception {
        try (HostileHttpClient client = new HostileHttpClient(server.port())) {
            client.head("GET", "/healthz", Map.of("X-Big", "b".repeat(HttpLimits.MAX_HEADER_BYTES / 2)));
            assertThat(client.status()).isEqualTo(200);
        }
        try (HostileHttpClient client = new HostileHttpClient(server.port())) {
            client.head("GET", "/healthz", Map.of("X-Big", "b".repeat(HttpLimits.MAX_HEADER_BYTES + 1)));

            // 431, unless the close after it reset the connection before the client read it.
            assertThat(client.status()).isIn(431, -1);
            assertThat(client.closedWithin(Duration.ofSeconds(5))).isTrue();
        }
    }

    private static Map<String, String> headers(String auth, Map<String, String> more) {
        Map<String, String> headers = new LinkedHashMap<>(more);
        headers.put("Content-Type", "application/json");
        if (auth != null) {
            headers.put("Authorization", auth);
        }
        return headers;
    }

    private static long usedHeapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
