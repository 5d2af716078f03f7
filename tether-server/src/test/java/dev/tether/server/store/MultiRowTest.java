package dev.tether.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Runs of any length are cut into chunks of a few fixed sizes, so multi-row statements have few SQL texts. */
class MultiRowTest {

    @Test
    void runsOfEveryLengthUpToTenThousandAndOneUseFourSizesAndCoverEveryRowOnce() {
        Set<Integer> sizes = new HashSet<>();
        for (int run = 1; run <= 10_001; run++) {
            int covered = 0;
            int statements = 0;
            while (covered < run) {
                int chunk = MultiRow.chunk(run - covered);
                assertThat(chunk).isBetween(1, Math.min(run - covered, MultiRow.MAX_ROWS));
                sizes.add(chunk);
                covered += chunk;
                statements++;
            }
            assertThat(statements).isLessThanOrEqualTo(run / MultiRow.MAX_ROWS + 27);
        }
        assertThat(sizes).containsExactlyInAnyOrder(1000, 100, 10, 1);
    }

    @Test
    void anEmptyRunIsAMistakeOfTheCaller() {
        assertThatThrownBy(() -> MultiRow.chunk(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("remaining rows must be positive");
    }
}
