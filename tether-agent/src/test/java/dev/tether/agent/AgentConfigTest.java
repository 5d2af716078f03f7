package dev.tether.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class AgentConfigTest {

    private static final String KEY = "tak_c2VjcmV0LWtleS1tYXRlcmlhbC10aGF0LW11c3Qtbm90LWxlYWs";

    private AgentConfig.Builder valid() {
        return AgentConfig.builder().server("https://tether.example.com").key(KEY).stateDir(Path.of("/tmp/x"));
    }

    @Test
    void aValidConfigKeepsItsValuesAndDefaultsTheBackoff() {
        AgentConfig config = valid().label("zone", "eu-1").build();
        assertThat(config.server()).isEqualTo(URI.create("https://tether.example.com"));
        assertThat(config.labels()).containsEntry("zone", "eu-1");
        assertThat(config.backoff()).isEqualTo(Backoff.defaults());
        assertThat(config.insecure()).isFalse();
    }

    @Test
    void toStringMasksTheKey() {
        AgentConfig config = valid().build();
        assertThat(config.toString()).doesNotContain(KEY).doesNotContain("tak_").contains("key=<masked>")
                .contains("https://tether.example.com");
    }

    @Test
    void plainWebSocketIsRefusedWithoutInsecure() {
        assertThatThrownBy(() -> valid().server("ws://tether.example.com").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("plain ws:// sends the agent key unencrypted; use https:// or pass --insecure");
        assertThatThrownBy(() -> valid().server("http://tether.example.com").build())
                .hasMessage("plain http:// sends the agent key unencrypted; use https:// or pass --insecure");
    }

    @Test
    void plainHttpIsAcceptedWithInsecure() {
        assertThat(valid().server("http://localhost:8080").insecure(true).build().connectUri())
                .isEqualTo(URI.create("ws://localhost:8080/v1/agents/connect"));
    }

    @Test
    void theConnectUrlMapsTheSchemeAndKeepsAPathPrefix() {
        assertThat(valid().server("https://example.com:8443/tether/").build().connectUri())
                .isEqualTo(URI.create("wss://example.com:8443/tether/v1/agents/connect"));
        assertThat(valid().server("wss://example.com").build().connectUri())
                .isEqualTo(URI.create("wss://example.com/v1/agents/connect"));
        assertThat(valid().server("http://[::1]:9000").insecure(true).build().connectUri())
                .isEqualTo(URI.create("ws://[::1]:9000/v1/agents/connect"));
    }

    @Test
    void otherSchemesAndMissingHostsAreRefused() {
        assertThatThrownBy(() -> valid().server("ftp://example.com").build())
                .hasMessageContaining("must start with https://");
        assertThatThrownBy(() -> valid().server("tether.example.com").build())
                .hasMessageContaining("must start with https://");
        assertThatThrownBy(() -> valid().server("https:///path").build()).hasMessageContaining("has no host");
        assertThatThrownBy(() -> valid().server((URI) null).build()).hasMessageContaining("--server");
    }

    @Test
    void credentialsInTheUrlAreRefusedWithoutEchoingThem() {
        assertThatThrownBy(() -> valid().server("https://admin:hunter2@example.com").build())
                .hasMessageContaining("must not contain a user or password")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void anEmptyKeyTellsWhereTheKeyComesFrom() {
        assertThatThrownBy(() -> valid().key("").build())
                .hasMessage("the agent key is empty: pass --key-file or set TETHER_AGENT_KEY");
        assertThatThrownBy(() -> valid().key(null).build()).hasMessageContaining("--key-file");
        assertThatThrownBy(() -> valid().key("   ").build()).hasMessageContaining("--key-file");
    }

    @Test
    void aKeyWithANewlineIsRefusedWithoutEchoingIt() {
        assertThatThrownBy(() -> valid().key(KEY + "\n").build())
                .hasMessageContaining("whitespace or control characters")
                .hasMessageNotContaining(KEY);
    }

    @Test
    void theStateDirIsRequired() {
        assertThatThrownBy(() -> valid().stateDir(null).build()).hasMessageContaining("--state-dir");
    }

    @Test
    void labelsMustHaveNamesAndValues() {
        assertThatThrownBy(() -> valid().label("", "x").build()).hasMessageContaining("label names");
        assertThatThrownBy(() -> valid().label("zone", null).build()).hasMessageContaining("'zone' has no value");
    }
}
