package dev.tether.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ProtocolVersionTest {

    @Test
    void choosesTheHighestVersionBothSpeak() throws ProtocolException {
        assertThat(ProtocolVersion.negotiate(1, 99)).isEqualTo(ProtocolVersion.MAX);
        assertThat(ProtocolVersion.negotiate(ProtocolVersion.MIN, ProtocolVersion.MIN)).isEqualTo(ProtocolVersion.MIN);
    }

    @Test
    void refusesAPeerThatOnlySpeaksNewerVersions() {
        assertThatThrownBy(() -> ProtocolVersion.negotiate(ProtocolVersion.MAX + 1, ProtocolVersion.MAX + 5))
                .isInstanceOfSatisfying(ProtocolException.class, e -> {
                    assertThat(e.closeCode()).isEqualTo(CloseCodes.UNSUPPORTED_VERSION);
                    assertThat(e.getMessage()).contains("upgrade the older side");
                });
    }

    @Test
    void refusesAnEmptyRange() {
        assertThatThrownBy(() -> ProtocolVersion.negotiate(3, 2))
                .isInstanceOfSatisfying(ProtocolException.class,
                        e -> assertThat(e.closeCode()).isEqualTo(CloseCodes.PROTOCOL_ERROR));
    }
}
