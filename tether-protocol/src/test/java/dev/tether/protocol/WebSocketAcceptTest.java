package dev.tether.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class WebSocketAcceptTest {

    @Test
    void theAcceptOfRfc6455sSampleKeyIsTheRfcsAnswer() {
        assertThat(WebSocketAccept.of("dGhlIHNhbXBsZSBub25jZQ==")).isEqualTo("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }
}
