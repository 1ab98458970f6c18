package io.weir.admin.load;

/**
 * A log-linear histogram of non-negative values (latencies in nanoseconds): exact below 256, above that
 * each power of two is split into 128 equal buckets, so a reported percentile is at most 0.8 % above the
 * true value. The maximum is exact. Fixed size (about 57 KiB), no allocation when recording.
 *
 * <p>Not thread-safe: the load generator records from its single driver thread. (HdrHistogram 2.2.2 is a
 * bundle, but it imports {@code javax.xml.bind} without marking it optional, which does not resolve on
 * Java 17, so the runtime carries this small one instead.)
 */
public final class LatencyHistogram {
    private static final int LINEAR_BITS = 8;               // values below 2^8 are exact
    private static final int LINEAR = 1 << LINEAR_BITS;     // 256
    private static final int HALF = LINEAR >> 1;            // 128 buckets per power of two above that
    private static final int BUCKETS = LINEAR + (63 - LINEAR_BITS + 1) * HALF;

    private final long[] counts = new long[BUCKETS];
    private long total;
    private long max;
    private long min = Long.MAX_VALUE;

    /** Record one value; negative values count as zero. */
    public void record(long value) {
        long v = Math.max(0, value);
        counts[index(v)]++;
        total++;
        if (v > max) {
            max = v;
        }
        if (v < min) {
            min = v;
        }
    }

    /** How many values were recorded. */
    public long count() {
        return total;
    }

    /** The largest value recorded, exactly; 0 when empty. */
    public long max() {
        return max;
    }

    /** The smallest value recorded, exactly; 0 when empty. */
    public long min() {
        return total == 0 ? 0 : min;
    }

    /**
     * The value at or below which {@code percentile} percent of recorded values fall, reported as the upper
     * bound of its bucket (never above {@link #max()}); 0 when empty.
     */
    public long percentile(double percentile) {
        if (total == 0) {
            return 0;
        }
        double p = Math.min(100.0, Math.max(0.0, percentile));
        long rank = Math.max(1, (long) Math.ceil(p / 100.0 * total));
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return Math.min(max, Math.max(min, upperBound(i)));
            }
        }
        return max;
    }

    static int index(long v) {
        if (v < LINEAR) {
            return (int) v;
        }
        int msb = 63 - Long.numberOfLeadingZeros(v);       // >= LINEAR_BITS
        int shift = msb - (LINEAR_BITS - 1);                // v >>> shift lies in [HALF, LINEAR)
        return LINEAR + (shift - 1) * HALF + (int) ((v >>> shift) - HALF);
    }

    /** The largest value that maps to bucket {@code i}. */
    static long upperBound(int i) {
        if (i < LINEAR) {
            return i;
        }
        int shift = (i - LINEAR) / HALF + 1;
        long top = (i - LINEAR) % HALF + HALF;
        long lower = top << shift;
        long upper = lower + (1L << shift) - 1;
        return upper < 0 ? Long.MAX_VALUE : upper;
    }
}
