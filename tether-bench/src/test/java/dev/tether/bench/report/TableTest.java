package dev.tether.bench.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TableTest {

    @Test
    void padsColumnsAndRightAlignsNumbers() {
        String text = Table.of("side", "agents", "KiB/agent")
                .row("Tether", 19_500, 3.5)
                .row("Mosquitto", 500, 0.74)
                .render();
        assertThat(text.lines()).containsExactly(
                "side       agents  KiB/agent",
                "---------  ------  ---------",
                "Tether     19,500       3.50",
                "Mosquitto     500       0.74");
    }

    @Test
    void showsMissingValuesAsADash() {
        assertThat(Table.cell(null)).isEqualTo("-");
        assertThat(Table.cell(Double.NaN)).isEqualTo("-");
        assertThat(Table.cell(1234.567)).isEqualTo("1,235");
    }

    @Test
    void rendersMarkdown() {
        assertThat(Table.of("a", "b").row("x", 1).markdown())
                .isEqualTo("| a | b |\n|---|---:|\n| x | 1 |\n");
    }

    @Test
    void refusesRowsOfTheWrongWidth() {
        assertThatThrownBy(() -> Table.of("a", "b").row("x")).hasMessageContaining("1 cells, the header 2");
    }
}
