package dev.tether.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class BusMessageTest {

    /** Records what a decoded payload asked for. */
    static final class Recorded implements BusMessage.Handler {
        final List<String> calls = new ArrayList<>();

        @Override
        public void wake(String agentId) {
            calls.add("wake " + agentId);
        }

        @Override
        public void wakeAll() {
            calls.add("wake all");
        }

        @Override
        public void revoke(String agentId) {
            calls.add("revoke " + agentId);
        }

        @Override
        public void takenOver(String agentId, long epoch, String byNode) {
            calls.add("taken over " + agentId + " " + epoch + " by " + byNode);
        }

        @Override
        public void events() {
            calls.add("events");
        }
    }

    private static BusMessage.Notices wakes(List<String> ids) {
        return new BusMessage.Notices(ids, false, List.of(), List.of(), false);
    }

    @Test
    void aThousandWakeUpsTravelInPayloadsUnderPostgresqlsLimitAndArriveEveryOneOnce() {
        List<String> ids = IntStream.range(0, 1000).mapToObj(i -> UUID.randomUUID().toString()).toList();

        List<String> payloads = BusMessage.encode("node-a", wakes(ids));

        assertThat(payloads).hasSizeBetween(2, 10).allSatisfy(payload ->
                assertThat(payload.getBytes(java.nio.charset.StandardCharsets.UTF_8).length)
                        .isLessThan(BusMessage.MAX_PAYLOAD + 1));
        Recorded received = new Recorded();
        payloads.forEach(payload -> BusMessage.decode(payload, "node-b", received));
        assertThat(received.calls).containsExactlyElementsOf(ids.stream().map(id -> "wake " + id).toList());
    }

    @Test
    void everyKindOfNoticeRoundTripsAndATakeoverReachesOnlyTheNodeItNames() {
        BusMessage.Notices notices = new BusMessage.Notices(List.of("w1"), false, List.of("r1"),
                List.of("node-b agent-1 7", "node-c agent-2 9"), true);
        String payload = BusMessage.encode("node-a", notices).getFirst();

        Recorded onB = new Recorded();
        BusMessage.decode(payload, "node-b", onB);

        assertThat(onB.calls).containsExactly("wake w1", "revoke r1", "taken over agent-1 7 by node-a", "events");
    }

    @Test
    void aNodeIgnoresItsOwnNoticesAndLinesItDoesNotKnow() {
        Recorded self = new Recorded();
        BusMessage.decode(BusMessage.encode("node-a", wakes(List.of("x"))).getFirst(), "node-a", self);
        assertThat(self.calls).isEmpty();

        Recorded other = new Recorded();
        BusMessage.decode("node-z\nQ something newer\nT node-b agent-1 not-a-number\nW *", "node-b", other);
        assertThat(other.calls).containsExactly("wake all");
    }
}
