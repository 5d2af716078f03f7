package dev.tether.bench.report;

import java.util.Arrays;

/**
 * A log-linear histogram of non-negative values (microseconds, in practice),
 * for latency percentiles: values below {@value #SUB_BUCKETS} are exact, larger
 * ones fall in buckets of relative width 1/{@value #SUB_BUCKETS}, so any
 * percentile is within about 3 % of the true value. Fixed size (about 1,900
 * counters), mergeable, and printable as a compact sparse text for sending
 * between processes.
 *
 * <p>Not thread safe: each event loop records into its own and the owner
 * merges them.
 */
public final class Histogram {

    /** Sub-buckets per power of two; also the largest value recorded exactly. */
    static final int SUB_BUCKETS = 32;
    private static final int SHIFT = Integer.numberOfTrailingZeros(SUB_BUCKETS);
    /** Values up to 2^62 fit: ample for nanoseconds over a century. */
    private static final int BUCKETS = SUB_BUCKETS * (63 - SHIFT + 1);

    private final long[] counts = new long[BUCKETS];
    private long total;
    private long max;
    private double sum;

    /** Counts one value; negative values count as 0. */
    public void record(long value) {
        long v = Math.max(0, value);
        counts[index(v)]++;
        total++;
        sum += v;
        if (v > max) {
            max = v;
        }
    }

    /** Adds every value counted by {@code other}. */
    public void add(Histogram other) {
        for (int i = 0; i < BUCKETS; i++) {
            counts[i] += other.counts[i];
        }
        total += other.total;
        sum += other.sum;
        max = Math.max(max, other.max);
    }

    /**
     * What was recorded after {@code earlier} (an older copy of this
     * histogram): the difference of the counts. The maximum is the upper end of
     * the highest bucket left, capped at this histogram's maximum.
     */
    public Histogram since(Histogram earlier) {
        Histogram diff = new Histogram();
        for (int i = 0; i < BUCKETS; i++) {
            diff.counts[i] = counts[i] - earlier.counts[i];
            if (diff.counts[i] < 0) {
                throw new IllegalArgumentException("the earlier histogram is not an older copy of this one");
            }
            if (diff.counts[i] > 0) {
                diff.max = Math.min(max, i + 1 < BUCKETS ? lowest(i + 1) - 1 : Long.MAX_VALUE);
            }
        }
        diff.total = total - earlier.total;
        diff.sum = sum - earlier.sum;
        return diff;
    }

    public long count() {
        return total;
    }

    public long max() {
        return max;
    }

    public double mean() {
        return total == 0 ? 0 : sum / total;
    }

    /**
     * The value at quantile {@code q} (0 &lt; q &le; 1): the smallest bucket
     * holding the {@code ceil(q * count)}-th value, reported as its midpoint
     * (exact below {@value #SUB_BUCKETS}) and never above the maximum. 0 when empty.
     */
    public long percentile(double q) {
        if (!(q > 0 && q <= 1)) {
            throw new IllegalArgumentException("quantile must be in (0, 1], was " + q);
        }
        if (total == 0) {
            return 0;
        }
        long rank = (long) Math.ceil(q * total);
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return Math.min(max, midpoint(i));
            }
        }
        return max;
    }

    static int index(long v) {
        if (v < SUB_BUCKETS) {
            return (int) v;
        }
        int exponent = 63 - Long.numberOfLeadingZeros(v) - SHIFT;
        int mantissa = (int) (v >>> exponent);
        return SUB_BUCKETS * exponent + mantissa;
    }

    static long lowest(int index) {
        if (index < SUB_BUCKETS) {
            return index;
        }
        int exponent = index / SUB_BUCKETS - 1;
        long mantissa = index % SUB_BUCKETS + SUB_BUCKETS;
        return mantissa << exponent;
    }

    private static long midpoint(int index) {
        if (index < SUB_BUCKETS) {
            return index;
        }
        int exponent = index / SUB_BUCKETS - 1;
        return lowest(index) + ((1L << exponent) - 1) / 2;
    }

    /** Sparse text form {@code total;max;sum;index:count,...}, for {@link #parse}. */
    public String encode() {
        StringBuilder out = new StringBuilder().append(total).append(';').append(max).append(';')
                .append((long) sum).append(';');
        boolean first = true;
        for (int i = 0; i < BUCKETS; i++) {
            if (counts[i] != 0) {
                if (!first) {
                    out.append(',');
                }
                out.append(i).append(':').append(counts[i]);
                first = false;
            }
        }
        return out.toString();
    }

    public static Histogram parse(String text) {
        String[] parts = text.split(";", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("not a histogram: " + text);
        }
        Histogram h = new Histogram();
        h.total = Long.parseLong(parts[0]);
        h.max = Long.parseLong(parts[1]);
        h.sum = Long.parseLong(parts[2]);
        if (!parts[3].isEmpty()) {
            for (String cell : parts[3].split(",")) {
                int colon = cell.indexOf(':');
                h.counts[Integer.parseInt(cell.substring(0, colon))] = Long.parseLong(cell.substring(colon + 1));
            }
        }
        return h;
    }

    @Override
    public String toString() {
        return "Histogram[count=" + total + ", p50=" + percentile(0.5) + ", p99=" + percentile(0.99)
                + ", max=" + max + ", buckets=" + Arrays.stream(counts).filter(c -> c != 0).count() + "]";
    }
}
