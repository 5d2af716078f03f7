package dev.tether.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SecretsTest {

    @Test
    void agentKeysAndAdminTokensHaveTheirPrefixAnd256RandomBits() {
        String key = Secrets.newAgentKey();
        String token = Secrets.newAdminToken();

        assertThat(key).startsWith("tak_").hasSize(4 + 43).matches("tak_[A-Za-z0-9_-]{43}");
        assertThat(token).startsWith("tat_").hasSize(4 + 43);
        assertThat(Secrets.newAgentKey()).isNotEqualTo(key);
    }

    @Test
    void hashIsLowercaseHexSha256() {
        assertThat(Secrets.hash("abc"))
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    @Test
    void hashesCompareByValue() {
        assertThat(Secrets.hashesEqual(Secrets.hash("a"), Secrets.hash("a"))).isTrue();
        assertThat(Secrets.hashesEqual(Secrets.hash("a"), Secrets.hash("b"))).isFalse();
    }

    @Test
    void bearerCredentialIsTakenFromTheAuthorizationHeader() {
        assertThat(Secrets.bearer("Bearer tak_x")).isEqualTo("tak_x");
        assertThat(Secrets.bearer("bearer  tak_x ")).isEqualTo("tak_x");
        assertThat(Secrets.bearer("Basic dXNlcjpwYXNz")).isNull();
        assertThat(Secrets.bearer("Bearer ")).isNull();
        assertThat(Secrets.bearer(null)).isNull();
    }
}
