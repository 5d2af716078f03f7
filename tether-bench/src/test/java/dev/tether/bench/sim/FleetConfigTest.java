package dev.tether.bench.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

class FleetConfigTest {

    private static final URI SERVER = URI.create("ws://127.0.0.1:8080/v1/agents/connect");

    @Test
    void loopbackRangeCountsFrom127002() {
        List<InetAddress> addresses = FleetConfig.loopbackRange(2, 3);
        assertThat(addresses).extracting(InetAddress::getHostAddress)
                .containsExactly("127.0.0.2", "127.0.0.3", "127.0.0.4");
        assertThat(FleetConfig.loopbackRange(255, 2)).extracting(InetAddress::getHostAddress)
                .containsExactly("127.0.0.255", "127.0.1.0");
    }

    @Test
    void refusesAnythingButLoopback() throws Exception {
        FleetConfig config = FleetConfig.defaults(SERVER);
        assertThatThrownBy(() -> config.withSourceAddresses(List.of(InetAddress.getByName("10.0.0.1"))))
                .hasMessageContaining("not loopback");
        assertThatThrownBy(() -> FleetConfig.defaults(URI.create("wss://example.com/v1/agents/connect")))
                .hasMessageContaining("loopback only");
    }

    @Test
    void theKeyIsNeverPrinted() {
        assertThat(new Credentials("a", "id", "tak_secret").toString()).doesNotContain("tak_secret");
    }
}
