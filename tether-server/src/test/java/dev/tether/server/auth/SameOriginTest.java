package dev.tether.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SameOriginTest {

    @Test
    void originNamingTheHostAndPortMatches() {
        assertThat(SameOrigin.matches("http://127.0.0.1:8080", "127.0.0.1:8080", false)).isTrue();
        assertThat(SameOrigin.matches("http://Tether.Example.com", "tether.example.com", false)).isTrue();
        assertThat(SameOrigin.matches("http://[::1]:8080", "[::1]:8080", false)).isTrue();
        assertThat(SameOrigin.matches("https://tether.example.com", "tether.example.com:443", true)).isTrue();
    }

    @Test
    void aTlsTerminatingProxyInFrontOfPlainHttpMatchesByTheOriginsDefaultPort() {
        assertThat(SameOrigin.matches("https://tether.example.com", "tether.example.com", false)).isTrue();
    }

    @Test
    void anotherHostPortOrSchemeDoesNotMatch() {
        assertThat(SameOrigin.matches("https://evil.example", "tether.example.com", false)).isFalse();
        assertThat(SameOrigin.matches("http://127.0.0.1:9999", "127.0.0.1:8080", false)).isFalse();
        assertThat(SameOrigin.matches("http://localhost:8080", "127.0.0.1:8080", false)).isFalse();
        assertThat(SameOrigin.matches("http://tether.example.com", "tether.example.com", true))
                .as("plain http page against a TLS server").isFalse();
        assertThat(SameOrigin.matches("http://tether.example.com.evil.example", "tether.example.com", false)).isFalse();
    }

    @Test
    void missingOrMalformedOriginsDoNotMatch() {
        assertThat(SameOrigin.matches(null, "127.0.0.1:8080", false)).isFalse();
        assertThat(SameOrigin.matches("null", "127.0.0.1:8080", false)).isFalse();
        assertThat(SameOrigin.matches("file://", "127.0.0.1:8080", false)).isFalse();
        assertThat(SameOrigin.matches("http://127.0.0.1:8080/path", "127.0.0.1:8080", false)).isFalse();
        assertThat(SameOrigin.matches("http://user@127.0.0.1:8080", "127.0.0.1:8080", false)).isFalse();
        assertThat(SameOrigin.matches("http://127.0.0.1:8080", null, false)).isFalse();
        assertThat(SameOrigin.matches("http://127.0.0.1:8080", "127.0.0.1:8080/x", false)).isFalse();
        assertThat(SameOrigin.matches("http://%zz", "127.0.0.1:8080", false)).isFalse();
    }
}
