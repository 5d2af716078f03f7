package dev.tether.bench.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.bench.sim.Credentials;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VerificationTest {

    @Test
    void countsDuplicatesMissingAndStrangers() {
        long[] counts = Verification.count(Map.of(1L, 1, 2L, 3, 4L, 1, 9L, 2), 4);
        assertThat(counts).containsExactly(2, 1, 2);
    }

    @Test
    void aCompleteOnceOnlySetIsClean() {
        assertThat(Verification.count(Map.of(1L, 1, 2L, 1, 3L, 1), 3)).containsExactly(0, 0, 0);
    }

    @Test
    void theSampleIsSpreadOverTheFleet() {
        List<Credentials> fleet = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            fleet.add(new Credentials("a" + i, "id" + i, "k"));
        }
        assertThat(Verification.sampleOf(fleet, 4)).extracting(Credentials::name)
                .containsExactly("a0", "a25", "a50", "a75");
        assertThat(Verification.sampleOf(fleet, 500)).hasSize(100);
    }
}
