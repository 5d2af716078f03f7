package dev.tether.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.protocol.v1.Envelope.PayloadCase;
import dev.tether.server.testing.Api;
import dev.tether.server.testing.TestAgent;
import dev.tether.server.testing.TestDatabase;
import dev.tether.server.testing.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Limits on the agent endpoint: failed authentications are throttled, new handshakes are paced. */
class AdmissionTest {

    @TempDir
    Path dir;

    @Test
    void hammeringWithWrongKeysGets429WhileConnectedAgentsKeepTheirHeartbeats() throws Exception {
        try (TestServer server = TestServer.start(dir, TestDatabase.SQLITE, Duration.ofSeconds(30))) {
            TestAgent online = server.connectNew("steady");
            List<Integer> statuses = new ArrayList<>();
            TestAgent.Rejection last = null;
            for (int i = 0; i < AuthThrottle.MAX_FAILURES + 5; i++) {
                last = TestAgent.rejection(server.port(), "tak_wrong-" + i);
                statuses.add(last.status());
                online.heartbeatAcked();
            }

            assertThat(statuses.subList(0, AuthThrottle.MAX_FAILURES)).containsOnly(401);
            assertThat(statuses.subList(AuthThrottle.MAX_FAILURES, statuses.size())).containsOnly(429);
            assertThat(Long.parseLong(last.retryAfter())).isBetween(1L, 60L);
            assertThat(last.body()).contains("too many failed authentications");
            assertThat(online.isClosed()).isFalse();
            assertThat(server.api().metric("tether_handshake_failures_total{reason=\"throttled\"}")).isEqualTo(5);
        }
    }

    @Test
    void everyWayAHandshakeEndsGivesItsPlaceBack() throws Exception {
        try (TestServer server = TestServer.start(dir, TestDatabase.SQLITE, Duration.ofSeconds(30))) {
            TestAgent established = server.connectNew("established");
            TestAgent.rejection(server.port(), "tak_wrong-key");
            Api.Enrolled revoked = server.api().enrol("revoked");
            server.api().post("/api/v1/agents/" + revoked.id() + "/revoke", "{}");
            TestAgent.rejection(server.port(), revoked.key());
            TestAgent.connect(server.port(), server.api().enrol("silent").key()).close();

            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                    .until(() -> server.api().metric("tether_handshakes_in_flight") == 0);
            assertThat(established.isClosed()).isFalse();
        }
    }

    @Test
    void anAgentThatConnectedBeforePassesWhenItsAddressIsThrottled() throws Exception {
        try (TestServer server = TestServer.start(dir, TestDatabase.SQLITE, Duration.ofSeconds(30))) {
            Api.Enrolled agent = server.api().enrol("behind-nat");
            TestAgent first = TestAgent.connect(server.port(), agent.key());
            first.hello();
            first.close();
            for (int i = 0; i < AuthThrottle.MAX_FAILURES + 1; i++) {
                TestAgent.rejection(server.port(), "tak_wrong-" + i);
            }

            TestAgent again = TestAgent.connect(server.port(), agent.key());

            assertThat(again.hello().getAgentId()).isEqualTo(agent.id());
        }
    }

    @Test
    void aRevokedKeyThatConnectedBeforeIsThrottledLikeAnUnknownOne() throws Exception {
        try (TestServer server = TestServer.start(dir, TestDatabase.SQLITE, Duration.ofSeconds(30))) {
            Api.Enrolled agent = server.api().enrol("revoked-later");
            TestAgent first = TestAgent.connect(server.port(), agent.key());
            first.hello();
            first.close();
            assertThat(server.api().post("/api/v1/agents/" + agent.id() + "/revoke", "{}").status()).isEqualTo(200);

            List<Integer> statuses = new ArrayList<>();
            for (int i = 0; i < AuthThrottle.MAX_FAILURES + 2; i++) {
                statuses.add(TestAgent.rejection(server.port(), agent.key()).status());
            }

            assertThat(statuses.subList(0, AuthThrottle.MAX_FAILURES)).containsOnly(401);
            assertThat(statuses.subList(AuthThrottle.MAX_FAILURES, statuses.size())).containsOnly(429);
        }
    }

    @Test
    void handshakesBeyondTheAdmissionRateAreToldWhenToRetry() throws Exception {
        try (TestServer server = TestServer.start(TestServer.config(dir, TestDatabase.SQLITE, Duration.ofSeconds(30))
                .withMaxHandshakesPerSecond(3))) {
            List<Api.Enrolled> agents = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                agents.add(server.api().enrol("herd-" + i));
            }
            int admitted = 0;
            TestAgent.Rejection refused = null;
            for (Api.Enrolled agent : agents) {
                TestAgent.Rejection rejection = tryConnect(server, agent);
                if (rejection == null) {
                    admitted++;
                } else {
                    refused = rejection;
                }
            }

            assertThat(admitted).isBetween(3, 5);
            assertThat(refused.status()).isEqualTo(503);
            assertThat(Long.parseLong(refused.retryAfter())).isPositive();
            assertThat(refused.body()).contains("retry in");
        }
    }

    /** @return null when connected (and closed again), else the refusal */
    private static TestAgent.Rejection tryConnect(TestServer server, Api.Enrolled agent) {
        Object outcome = TestAgent.attempt(server.port(), agent.key());
        if (outcome instanceof TestAgent connected) {
            connected.hello();
            connected.close();
            return null;
        }
        return (TestAgent.Rejection) outcome;
    }
}
