package dev.tether.cli.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import org.junit.jupiter.api.Test;

/** Which spellings name the same server (a profile's token goes only there), and which URLs are refused. */
class ServerUrlTest {

    @Test
    void caseTheDefaultPortAndATrailingSlashDoNotMakeAnotherServer() {
        assertThat(same("https://tether.example.com", "HTTPS://Tether.Example.com:443/")).isTrue();
        assertThat(same("http://10.0.0.5", "http://10.0.0.5:80")).isTrue();
        assertThat(same("https://h/tether", "https://h/tether/")).isTrue();
    }

    @Test
    void anotherSchemeHostPortOrPathIsAnotherServer() {
        assertThat(same("https://tether.example.com", "http://tether.example.com")).isFalse();
        assertThat(same("https://tether.example.com", "https://tether.example.com.evil.test")).isFalse();
        assertThat(same("https://tether.example.com", "https://tether.example.com:8443")).isFalse();
        assertThat(same("http://127.0.0.1:8080", "http://localhost:8080")).isFalse();
        assertThat(same("https://h/a", "https://h/b")).isFalse();
    }

    @Test
    void aUrlThatIsNotAServersIsRefusedNamingWhereItCameFrom() {
        assertThatThrownBy(() -> ServerUrl.parse("127.0.0.1:8080", "--url"))
                .hasMessageContaining("--url '127.0.0.1:8080' is not a server URL");
        assertThatThrownBy(() -> ServerUrl.parse("ftp://h", "TETHER_URL"))
                .hasMessageContaining("TETHER_URL 'ftp://h' is not a server URL");
        assertThatThrownBy(() -> ServerUrl.parse("https://user:pw@h", "--url"))
                .hasMessageContaining("must not carry a user");
        assertThatThrownBy(() -> ServerUrl.parse("https://h/?token=x", "--url"))
                .hasMessageContaining("must not carry a user, a query or a fragment");
        assertThatThrownBy(() -> ServerUrl.parse("https://h h", "--url"))
                .hasMessageContaining("--url 'https://h h' is not a server URL (Illegal character in authority)");
    }

    private static boolean same(String a, String b) {
        URI first = ServerUrl.parse(a, "a");
        return ServerUrl.same(first, ServerUrl.parse(b, "b"));
    }
}
