package dev.tether.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class AgentConfigTest {

    private static final String KEY = "tak_c2VjcmV0LWtleS1tYXRlcmlhbC10aGF0LW11c3Qtbm90LWxlYWs";

    private AgentConfig.Builder valid() {
        return AgentConfig.builder().server("https://tether.example.com").key(KEY).stateDir(Path.of("/tmp/x"));
    }

    @Test
    void aValidConfigKeepsItsValuesAndDefaultsTheBackoff() {
        AgentConfig config = valid().label("zone", "eu-1").build();
        assertThat(config.servers()).containsExactly(URI.create("https://tether.example.com"));
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
        assertThat(valid().server("http://localhost:8080").insecure(true).build().connectUris())
                .containsExactly(URI.create("ws://localhost:8080/v1/agents/connect"));
    }

    @Test
    void theConnectUrlMapsTheSchemeAndKeepsAPathPrefix() {
        assertThat(valid().server("https://example.com:8443/tether/").build().connectUris())
                .containsExactly(URI.create("wss://example.com:8443/tether/v1/agents/connect"));
        assertThat(valid().server("wss://example.com").build().connectUris())
                .containsExactly(URI.create("wss://example.com/v1/agents/connect"));
        assertThat(valid().server("http://[::1]:9000").insecure(true).build().connectUris())
                .containsExactly(URI.create("ws://[::1]:9000/v1/agents/connect"));
    }

    @Test
    void severalServersAreKeptInTheOrderGivenEachWithItsConnectUrl() {
        AgentConfig config = valid().servers(List.of(URI.create("https://a.example.com"),
                URI.create("https://b.example.com:8443/tether/"))).build();

        assertThat(config.servers()).containsExactly(URI.create("https://a.example.com"),
                URI.create("https://b.example.com:8443/tether/"));
        assertThat(config.connectUris()).containsExactly(URI.create("wss://a.example.com/v1/agents/connect"),
                URI.create("wss://b.example.com:8443/tether/v1/agents/connect"));
        assertThat(config.toString()).contains("https://a.example.com").contains("https://b.example.com:8443");
    }

    @Test
    void aBadUrlAmongSeveralIsRefusedNamingIt() {
        assertThatThrownBy(() -> valid().servers(List.of(URI.create("https://a.example.com"),
                URI.create("ftp://b.example.com"))).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'ftp://b.example.com' must start with https://");
        assertThatThrownBy(() -> valid().servers(List.of(URI.create("https://a.example.com"),
                URI.create("http://b.example.com"))).build())
                .hasMessage("plain http:// sends the agent key unencrypted; use https:// or pass --insecure");
        assertThatThrownBy(() -> valid().servers(List.of(URI.create("https://a.example.com"),
                URI.create("https://admin:hunter2@b.example.com"))).build())
                .hasMessageContaining("server URL #2 must not contain a user or password")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void theSameServerTwiceIsRefusedEvenWrittenDifferently() {
        assertThatThrownBy(() -> valid().servers(List.of(URI.create("https://a.example.com:8443"),
                URI.create("https://b.example.com"), URI.create("wss://a.example.com:8443/"))).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("server URL 'wss://a.example.com:8443/' names the same server as "
                        + "'https://a.example.com:8443': give each server once (--server URL, repeatable)");
    }

    @Test
    void anEmptyListOfServersIsRefused() {
        assertThatThrownBy(() -> valid().servers(List.of()).build())
                .hasMessage("a server URL is required (--server https://tether.example.com)");
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
