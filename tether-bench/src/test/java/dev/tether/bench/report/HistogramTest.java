package dev.tether.bench.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class HistogramTest {

    @Test
    void smallValuesAreExact() {
        Histogram h = new Histogram();
        for (int v = 1; v <= 10; v++) {
            h.record(v);
        }
        assertThat(h.percentile(0.5)).isEqualTo(5);
        assertThat(h.percentile(0.9)).isEqualTo(9);
        assertThat(h.percentile(1.0)).isEqualTo(10);
        assertThat(h.count()).isEqualTo(10);
        assertThat(h.mean()).isEqualTo(5.5);
    }

    @Test
    void percentilesOfAUniformSpreadAreWithinThreePercent() {
        Histogram h = new Histogram();
        for (int v = 1; v <= 100_000; v++) {
            h.record(v);
        }
        assertThat((double) h.percentile(0.5)).isCloseTo(50_000, within(1_500.0));
        assertThat((double) h.percentile(0.99)).isCloseTo(99_000, within(3_000.0));
        assertThat((double) h.percentile(0.999)).isCloseTo(99_900, within(3_000.0));
        assertThat(h.max()).isEqualTo(100_000);
    }

    @Test
    void percentileUsesTheCeilingRank() {
        Histogram h = new Histogram();
        h.record(1);
        h.record(2);
        h.record(3);
        h.record(30);
        // rank ceil(0.75 * 4) = 3 -> the third value
        assertThat(h.percentile(0.75)).isEqualTo(3);
        assertThat(h.percentile(0.76)).isEqualTo(30);
    }

    @Test
    void aPercentileNeverExceedsTheMaximum() {
        Histogram h = new Histogram();
        h.record(1_000_001);
        assertThat(h.percentile(0.5)).isEqualTo(1_000_001);
    }

    @Test
    void bucketsCoverEveryValueWithoutGaps() {
        for (long v = 0; v < 5_000; v++) {
            int index = Histogram.index(v);
            assertThat(Histogram.lowest(index)).isLessThanOrEqualTo(v);
            assertThat(Histogram.lowest(index + 1)).isGreaterThan(v);
        }
        assertThat(Histogram.index(Long.MAX_VALUE)).isLessThan(2_000);
    }

    @Test
    void emptyHistogramReportsZero() {
        assertThat(new Histogram().percentile(0.99)).isZero();
    }

    @Test
    void rejectsQuantilesOutsideTheUnitInterval() {
        assertThatThrownBy(() -> new Histogram().percentile(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Histogram().percentile(1.5)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void mergedHistogramsEqualOneThatSawEverything() {
        Random random = new Random(7);
        Histogram a = new Histogram();
        Histogram b = new Histogram();
        Histogram all = new Histogram();
        for (int i = 0; i < 10_000; i++) {
            long v = (long) Math.abs(random.nextGaussian() * 5_000);
            (i % 2 == 0 ? a : b).record(v);
            all.record(v);
        }
        a.add(b);
        assertThat(a.encode()).isEqualTo(all.encode());
    }

    @Test
    void sinceKeepsOnlyWhatCameAfterTheCopy() {
        Histogram h = new Histogram();
        h.record(5);
        h.record(10);
        Histogram copy = Histogram.parse(h.encode());
        h.record(1_000);
        h.record(2_000);
        Histogram later = h.since(copy);
        assertThat(later.count()).isEqualTo(2);
        assertThat(later.percentile(0.5)).isBetween(970L, 1_030L);
        assertThat(later.max()).isEqualTo(2_000);
    }

    @Test
    void survivesItsTextForm() {
        Histogram h = new Histogram();
        for (long v : new long[] {0, 3, 31, 32, 33, 1_000, 123_456_789}) {
            h.record(v);
        }
        Histogram copy = Histogram.parse(h.encode());
        assertThat(copy.encode()).isEqualTo(h.encode());
        assertThat(copy.percentile(0.99)).isEqualTo(h.percentile(0.99));
        assertThat(Histogram.parse(new Histogram().encode()).count()).isZero();
    }
}
