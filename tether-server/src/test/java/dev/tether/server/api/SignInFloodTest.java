package dev.tether.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.server.auth.SignInThrottle;
import dev.tether.server.testing.Api;
import dev.tether.server.testing.TestAgent;
import dev.tether.server.testing.TestDatabase;
import dev.tether.server.testing.TestServer;
import dev.tether.server.users.PasswordHasher;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Password guessing and sign-in floods: one throttle per address and per user name on both sign-ins, and
 * password hashing on a bounded pool of its own, so agents keep connecting meanwhile. Sources are distinct
 * loopback addresses (127.0.0.0/8 is all local on Linux).
 */
class SignInFloodTest {

    private static final Pattern RETRY_AFTER = Pattern.compile("(?im)^retry-after: *(\\d+)");
    private static final Duration HANDSHAKE_DEADLINE = Duration.ofSeconds(2);

    @TempDir
    Path dir;
    private TestServer server;

    @BeforeEach
    void startServer() throws Exception {
        server = TestServer.start(dir, TestDatabase.SQLITE, Duration.ofSeconds(30));
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    /** A reply to a raw sign-in: its status and Retry-After (null without one). */
    private record Reply(int status, String retryAfter) {
    }

    @Test
    void thirtyWrongLoginsFromOneAddressGet429WithRetryAfter() throws Exception {
        List<Reply> replies = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            replies.add(signIn(address("127.0.0.1"), "/api/v1/login", "guess-" + i));
        }

        assertThat(replies.subList(0, SignInThrottle.MAX_FAILURES_PER_ADDRESS)).extracting(Reply::status)
                .containsOnly(401);
        assertThat(replies.subList(SignInThrottle.MAX_FAILURES_PER_ADDRESS, 30)).allSatisfy(reply -> {
            assertThat(reply.status()).isEqualTo(429);
            assertThat(Long.parseLong(reply.retryAfter())).isBetween(1L, SignInThrottle.WINDOW.toSeconds());
        });
    }

    @Test
    void guessesAtOneUserFromManyAddressesAcrossBothSignInsGet429() throws Exception {
        List<Reply> replies = new ArrayList<>();
        for (int i = 0; i < SignInThrottle.MAX_FAILURES_PER_USER + 2; i++) {
            String path = i % 2 == 0 ? "/api/v1/login" : "/api/v1/session";
            replies.add(signIn(address("127.0.2." + (i + 1)), path, "alice"));
        }

        assertThat(replies.subList(0, SignInThrottle.MAX_FAILURES_PER_USER)).extracting(Reply::status)
                .containsOnly(401);
        assertThat(replies.get(SignInThrottle.MAX_FAILURES_PER_USER).status()).isEqualTo(429);
        assertThat(replies.get(SignInThrottle.MAX_FAILURES_PER_USER + 1).retryAfter()).isNotNull();
    }

    @Test
    void twoHundredParallelWrongLoginsLeaveAFreshAgentsHandshakeUnderTwoSeconds() throws Exception {
        Api.Enrolled agent = server.api().enrol("fresh-1");
        int logins = 200;
        CountDownLatch sent = new CountDownLatch(logins);
        List<Future<Reply>> replies = new ArrayList<>();
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < logins; i++) {
                InetAddress from = address("127.0.1." + (i + 1));
                String user = "flood-" + i;
                replies.add(clients.submit(() -> signIn(from, "/api/v1/login", user, sent)));
            }
            assertThat(sent.await(30, TimeUnit.SECONDS)).as("every login sent").isTrue();

            long start = System.nanoTime();
            try (TestAgent connection = TestAgent.connect(server.port(), agent.key())) {
                connection.hello();
            }
            Duration handshake = Duration.ofNanos(System.nanoTime() - start);

            assertThat(handshake).isLessThan(HANDSHAKE_DEADLINE);
            List<Reply> all = new ArrayList<>();
            for (Future<Reply> reply : replies) {
                all.add(reply.get(60, TimeUnit.SECONDS));
            }
            assertThat(all).extracting(Reply::status).containsOnly(401, 503);
            assertThat(all).filteredOn(reply -> reply.status() == 503).isNotEmpty()
                    .allSatisfy(reply -> assertThat(reply.retryAfter()).isEqualTo(
                            Long.toString(PasswordHasher.RETRY_AFTER.toSeconds())));
        }
    }

    private Reply signIn(InetAddress from, String path, String user) throws IOException {
        return signIn(from, path, user, new CountDownLatch(1));
    }

    /** A wrong password for {@code user}, sent from {@code from} over a socket of its own. */
    private Reply signIn(InetAddress from, String path, String user, CountDownLatch sent) throws IOException {
        String body = new JsonObject().put("user", user).put("password", "wrong-password-123").encode();
        try (Socket socket = new Socket()) {
            socket.bind(new InetSocketAddress(from, 0));
            socket.connect(new InetSocketAddress("127.0.0.1", server.port()));
            socket.setSoTimeout((int) Duration.ofSeconds(60).toMillis());
            socket.getOutputStream().write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Content-Type: application/json\r\nConnection: close\r\nContent-Length: "
                    + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.UTF_8));
            sent.countDown();
            InputStream in = socket.getInputStream();
            String reply = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            Matcher retryAfter = RETRY_AFTER.matcher(reply);
            return new Reply(Integer.parseInt(reply.split(" ", 3)[1]), retryAfter.find() ? retryAfter.group(1) : null);
        }
    }

    private static InetAddress address(String text) throws IOException {
        return InetAddress.getByName(text);
    }
}
