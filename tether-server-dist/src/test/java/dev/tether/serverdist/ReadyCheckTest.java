package dev.tether.serverdist;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Where {@code bin/tether-ready} looks when given no URL: the server's own settings. */
class ReadyCheckTest {

    @Test
    void asksReadyzOnLoopbackAtThePortOfTheListenSetting() throws Exception {
        assertThat(ReadyCheck.localUrl(Map.of())).isEqualTo(URI.create("http://127.0.0.1:8080/readyz"));
        assertThat(ReadyCheck.localUrl(Map.of("TETHER_LISTEN", "0.0.0.0:8443", "TETHER_TLS_CERT", "/etc/cert.pem")))
                .isEqualTo(URI.create("https://127.0.0.1:8443/readyz"));
        assertThat(ReadyCheck.localUrl(Map.of("TETHER_LISTEN", "[::]:9000")))
                .isEqualTo(URI.create("http://127.0.0.1:9000/readyz"));
    }

    @Test
    void aListenSettingWithoutAPortIsAnErrorOfItsOwn() {
        assertThat(ReadyCheck.run(new String[0], Map.of("TETHER_LISTEN", "0.0.0.0"))).isEqualTo(2);
        assertThat(ReadyCheck.run(new String[] {"http://127.0.0.1:1/readyz"}, Map.of())).isEqualTo(1);
    }
}
