package dev.tether.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import dev.tether.protocol.CloseCodes;
import dev.tether.protocol.v1.Welcome;
import dev.tether.server.testing.Api;
import dev.tether.server.testing.TestAgent;
import dev.tether.server.testing.TestDatabase;
import dev.tether.server.testing.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * An {@code Error} thrown in an agent's lane task ends that connection with 1011 and leaves the lane working,
 * so the agent's next connection completes its handshake. The Error comes from a real place one can come from:
 * a log appender that fails (here once, with a StackOverflowError) while the lane logs the agent connected.
 */
class LaneErrorTest {

    @TempDir
    Path dir;
    private TestServer server;
    private final Logger connectionLog = (Logger) LoggerFactory.getLogger(AgentConnection.class);
    private final FailingOnce appender = new FailingOnce("connected from");

    @BeforeEach
    void start() throws Exception {
        server = TestServer.start(dir, TestDatabase.SQLITE, Duration.ofSeconds(30));
        appender.start();
        connectionLog.addAppender(appender);
    }

    @AfterEach
    void stop() {
        connectionLog.detachAppender(appender);
        server.close();
    }

    @Test
    void anErrorInAHandshakeClosesItsConnectionWith1011AndTheAgentsNextConnectionCompletesItsHandshake() {
        Api.Enrolled agent = server.api().enrol("erring");

        try (TestAgent first = TestAgent.connect(server.port(), agent.key())) {
            first.hello();
            assertThat(first.awaitCloseCode()).isEqualTo(CloseCodes.INTERNAL_ERROR);
        }
        assertThat(appender.thrown).isTrue();

        try (TestAgent second = TestAgent.connect(server.port(), agent.key())) {
            Welcome welcome = second.hello();
            second.heartbeatAcked();

            assertThat(welcome.getAgentId()).isEqualTo(agent.id());
            await().atMost(Duration.ofSeconds(5)).until(() ->
                    "online".equals(server.api().get("/api/v1/agents/erring").json().getString("status")));
        }
    }

    /** Throws a StackOverflowError from the first log line containing {@code marker}. */
    private static final class FailingOnce extends AppenderBase<ILoggingEvent> {

        private final String marker;
        final AtomicBoolean thrown = new AtomicBoolean();

        FailingOnce(String marker) {
            this.marker = marker;
        }

        @Override
        protected void append(ILoggingEvent event) {
            if (event.getFormattedMessage().contains(marker) && thrown.compareAndSet(false, true)) {
                throw new StackOverflowError("thrown by the test's log appender");
            }
        }
    }
}
