package dev.tether.cli.logging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class LogSettingsTest {

    private final Properties system = new Properties();

    @Test
    void unsetMeansTheHumanFormatAndTheAccessLogOn() {
        LogSettings.apply(Map.of(), system);

        assertThat(system.getProperty(LogSettings.ACCESS_LEVEL_PROPERTY)).isEqualTo("INFO");
    }

    @Test
    void theAccessLogCanBeTurnedOff() {
        LogSettings.apply(Map.of("TETHER_LOG_FORMAT", "json", "TETHER_ACCESS_LOG", "off"), system);

        assertThat(system.getProperty(LogSettings.ACCESS_LEVEL_PROPERTY)).isEqualTo("OFF");
    }

    @Test
    void anUnknownFormatIsRefusedNamingTheValidOnes() {
        assertThatThrownBy(() -> LogSettings.apply(Map.of("TETHER_LOG_FORMAT", "xml"), system))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("TETHER_LOG_FORMAT is 'xml'; use text or json (default text)");
        assertThatThrownBy(() -> LogSettings.apply(Map.of("TETHER_LOG_FORMAT", "JSON"), system))
                .hasMessageContaining("use text or json");
    }

    @Test
    void theLevelTakesLogbacksLevelsInAnyCaseAndRefusesAMisspeltOne() {
        LogSettings.apply(Map.of("TETHER_LOG_LEVEL", "DEBUG"), system);
        LogSettings.apply(Map.of("TETHER_LOG_LEVEL", "warn"), system);

        assertThatThrownBy(() -> LogSettings.apply(Map.of("TETHER_LOG_LEVEL", "DEBGU"), system))
                .hasMessage("TETHER_LOG_LEVEL is 'DEBGU'; use info, trace, debug, warn, error or off (default info)");
    }

    @Test
    void anEntryPointGetsOneLineNamingItselfAndFalse() {
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();

        boolean applied = LogSettings.applyOrExplain("tether-agent", Map.of("TETHER_LOG_FORMAT", "xml"),
                new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));

        assertThat(applied).isFalse();
        assertThat(err.toString(java.nio.charset.StandardCharsets.UTF_8)).isEqualTo(
                "tether-agent: TETHER_LOG_FORMAT is 'xml'; use text or json (default text)" + System.lineSeparator());
    }

    @Test
    void anEmptyValueMeansTheDefault() {
        LogSettings.apply(Map.of("TETHER_LOG_FORMAT", "", "TETHER_LOG_LEVEL", "", "TETHER_ACCESS_LOG", ""), system);

        assertThat(system.getProperty(LogSettings.ACCESS_LEVEL_PROPERTY)).isEqualTo("INFO");
    }

    @Test
    void aHostileValueIsShownPrintableAndCut() {
        assertThatThrownBy(() -> LogSettings.apply(Map.of("TETHER_ACCESS_LOG", "of\u0000f\n" + "x".repeat(100)),
                system))
                .hasMessage("TETHER_ACCESS_LOG is 'of?f?" + "x".repeat(35) + "...'; use on or off (default on)");
    }
}
