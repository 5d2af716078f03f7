package dev.tether.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NodeAuthTest {

    private static final String SECRET = "0123456789abcdef0123456789abcdef-cluster";
    private static final String PATH = "/v1/cluster/shell/agent-1?rows=24&cols=80&session=ab&offset=711";
    private static final long NOW = 1_800_000_000_000L;
    private static final NodeAuth.Caller CALLER = new NodeAuth.Caller("a", "alice", false, "10.0.0.7:51000");

    private final NodeAuth auth = NodeAuth.of(SECRET);

    private Map<String, String> signed() {
        return new HashMap<>(auth.sign(CALLER, PATH, NOW));
    }

    @Test
    void aRequestSignedWithTheSharedSecretIsAcceptedWithTheCallerItVouchesFor() {
        NodeAuth.Verdict verdict = auth.verify(signed()::get, PATH, NOW + 59_000);

        assertThat(verdict.accepted()).isTrue();
        assertThat(verdict.caller()).isEqualTo(CALLER);
    }

    @Test
    void aRequestSignedWithAnotherSecretIsRefused() {
        Map<String, String> headers = new HashMap<>(NodeAuth.of(SECRET + "-other").sign(CALLER, PATH, NOW));

        NodeAuth.Verdict verdict = auth.verify(headers::get, PATH, NOW);

        assertThat(verdict.accepted()).isFalse();
        assertThat(verdict.refusal()).contains("same --cluster-secret-file");
    }

    @Test
    void aSignatureOlderOrNewerThanSixtySecondsIsRefusedWhateverItsMac() {
        assertThat(auth.verify(signed()::get, PATH, NOW + 61_000).refusal()).contains("clocks");
        assertThat(auth.verify(signed()::get, PATH, NOW - 61_000).refusal()).contains("clocks");
    }

    @Test
    void aTamperedQueryOrAnActorSwappedForAnAdminIsRefused() {
        assertThat(auth.verify(signed()::get, PATH.replace("offset=711", "offset=0"), NOW).accepted()).isFalse();
        Map<String, String> admin = signed();
        admin.put(NodeAuth.ADMIN, "true");
        assertThat(auth.verify(admin::get, PATH, NOW).accepted()).isFalse();
        Map<String, String> other = signed();
        other.put(NodeAuth.ACTOR, "bob");
        assertThat(auth.verify(other::get, PATH, NOW).accepted()).isFalse();
    }

    @Test
    void eachMissingHeaderIsRefusedNamingWhatToSend() {
        for (String header : signed().keySet()) {
            Map<String, String> headers = signed();
            headers.remove(header);

            NodeAuth.Verdict verdict = auth.verify(headers::get, PATH, NOW);

            assertThat(verdict.accepted()).as("without " + header).isFalse();
            assertThat(verdict.refusal()).as("without " + header).contains("missing node authentication");
        }
    }

    @Test
    void aSecretShorterThanTheClusterMinimumCannotSign() {
        assertThatThrownBy(() -> NodeAuth.of("short")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--cluster-secret-file");
        assertThat(auth.toString()).doesNotContain(SECRET);
    }
}
