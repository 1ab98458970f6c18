package io.weir.admin.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class LatencyHistogramTest {
    @Test
    void smallValuesAreExact() {
        LatencyHistogram h = new LatencyHistogram();
        for (int i = 1; i <= 100; i++) {
            h.record(i);
        }
        assertEquals(50, h.percentile(50));
        assertEquals(99, h.percentile(99));
        assertEquals(100, h.percentile(100));
        assertEquals(100, h.max());
        assertEquals(1, h.min());
    }

    @Test
    void percentilesAreWithinOnePercentAboveTheTruth() {
        SplittableRandom random = new SplittableRandom(5);
        long[] values = new long[100_000];
        LatencyHistogram h = new LatencyHistogram();
        for (int i = 0; i < values.length; i++) {
            values[i] = (long) Math.exp(random.nextDouble(4, 22)); // 55 ns .. 3.6 s, log-uniform
            h.record(values[i]);
        }
        Arrays.sort(values);
        for (double p : new double[] {50, 90, 99, 99.9}) {
            long truth = values[(int) Math.ceil(p / 100 * values.length) - 1];
            long got = h.percentile(p);
            assertTrue(got >= truth && got <= truth * 1.01, "p" + p + ": got " + got + ", truth " + truth);
        }
        assertEquals(values[values.length - 1], h.max());
    }

    @Test
    void bucketsCoverEveryValueInOrderAndAreNarrow() {
        long previous = -1;
        for (long v : new long[] {0, 1, 255, 256, 257, 511, 512, 1000, 1L << 20, (1L << 40) + 12345, Long.MAX_VALUE}) {
            int i = LatencyHistogram.index(v);
            assertTrue(LatencyHistogram.upperBound(i) >= v, "bucket of " + v);
            assertTrue(i == 0 || LatencyHistogram.upperBound(i - 1) < v, "bucket below " + v);
            assertTrue(i >= previous, "buckets grow with the value");
            assertTrue(LatencyHistogram.upperBound(i) - v <= v / 128, "bucket of " + v + " is at most 1/128 wide");
            previous = i;
        }
    }

    @Test
    void emptyHistogramReportsZeros() {
        LatencyHistogram h = new LatencyHistogram();
        assertEquals(0, h.percentile(99));
        assertEquals(0, h.max());
        assertEquals(0, h.min());
    }
}
