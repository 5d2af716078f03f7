package dev.tether.agent.connection;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.agent.metrics.HostMetrics;
import dev.tether.agent.testing.OwnThread;
import dev.tether.protocol.CloseCodes;
import dev.tether.protocol.MemoryOutbox;
import dev.tether.protocol.ReliableChannel;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.Hello;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How a session ends: it waits for the server's close only while a close
 * handshake can still happen. A link that failed under a write, or a close
 * frame that could not be sent, is cut at once, so the agent redials without
 * sitting out {@link Session#CLOSE_GRACE} (50 cuts of a link cost the
 * end-to-end test about 50 s of such waits before).
 */
class SessionEndTest {

    /** Far below {@link Session#CLOSE_GRACE}: a session that waited for a handshake cannot end this soon. */
    private static final Duration PROMPTLY = Session.CLOSE_GRACE.dividedBy(2);

    @TempDir
    Path stateDir;

    private final RecordingWebSocket socket = new RecordingWebSocket();

    @Test
    void aWriteThatFailsCutsTheLinkAtOnceInsteadOfWaitingForTheServersClose() throws Exception {
        socket.failSends = new IOException("Broken pipe");
        Session session = session();

        long started = System.nanoTime();
        SessionEnd end = runToEnd(session);

        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(PROMPTLY);
        assertThat(end).isInstanceOfSatisfying(SessionEnd.Failed.class,
                failed -> assertThat(failed.reason()).contains("write failed").contains("Broken pipe"));
        assertThat(socket.aborted).isTrue();
    }

    @Test
    void aCloseFrameThatCannotBeSentCutsTheLinkAtOnce() throws Exception {
        socket.failClose = new IOException("Output closed");
        Session session = session();
        CompletableFuture<SessionEnd> end = OwnThread.call(session::run);
        awaitHelloSent();

        long stopping = System.nanoTime();
        session.stop();
        end.get(10, TimeUnit.SECONDS);

        assertThat(Duration.ofNanos(System.nanoTime() - stopping)).isLessThan(PROMPTLY);
        assertThat(socket.closeCode).isEqualTo(CloseCodes.NORMAL);
        assertThat(socket.aborted).isTrue();
    }

    @Test
    void aCloseFrameThatWentOutWaitsForTheServersCloseAndNoLonger() throws Exception {
        Session session = session();
        CompletableFuture<SessionEnd> end = OwnThread.call(session::run);
        awaitHelloSent();

        session.stop();
        Thread.sleep(300);
        assertThat(end).as("still waiting for the server's close").isNotDone();
        socket.serverCloses(CloseCodes.NORMAL, "");
        end.get(10, TimeUnit.SECONDS);
        assertThat(socket.aborted).isTrue();

        RecordingWebSocket silent = new RecordingWebSocket();
        Session unanswered = new Session(silent, channel(),
                new IgnoringReceiver(), new QueuedShellTraffic(), new HostMetrics(stateDir), Clock.systemUTC(),
                hello(), new NoListener());
        CompletableFuture<SessionEnd> cut = OwnThread.call(unanswered::run);
        await(() -> !silent.sent.isEmpty());
        long stopping = System.nanoTime();
        unanswered.stop();
        cut.get(10, TimeUnit.SECONDS);
        assertThat(Duration.ofNanos(System.nanoTime() - stopping))
                .as("a server that never closes is cut after the grace").isGreaterThanOrEqualTo(Session.CLOSE_GRACE);
        assertThat(silent.aborted).isTrue();
    }

    private Session session() throws Exception {
        return new Session(socket, channel(), new IgnoringReceiver(), new QueuedShellTraffic(),
                new HostMetrics(stateDir), Clock.systemUTC(), hello(), new NoListener());
    }

    private static ReliableChannel channel() {
        return ReliableChannel.create(new MemoryOutbox(), 0, 64);
    }

    private static SessionEnd runToEnd(Session session) throws Exception {
        return OwnThread.call(session::run).get(10, TimeUnit.SECONDS);
    }

    private void awaitHelloSent() throws InterruptedException {
        await(() -> !socket.sent.isEmpty());
    }

    private static void await(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 10 s");
            }
            Thread.sleep(5);
        }
    }

    private static Envelope hello() {
        return Envelope.newBuilder().setHello(Hello.newBuilder().setAgentVersion("test").setHostname("h")).build();
    }
}
