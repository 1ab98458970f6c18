package io.weir.samples.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class S3FifoTest {
    /** Run {@code key} through the policy as a cache of its capacity would; true on a hit. */
    private static boolean access(S3Fifo p, long capacity, long key) {
        if (p.contains(key)) {
            p.hit(key);
            return true;
        }
        if (p.size() >= capacity) {
            p.evict(k -> true);
        }
        p.insert(key);
        return false;
    }

    @Test
    void aOneTimeScanDoesNotEvictTheWorkingSet() {
        int capacity = 100;
        S3Fifo p = new S3Fifo(capacity);
        for (int round = 0; round < 3; round++) {
            for (long k = 0; k < 50; k++) {
                access(p, capacity, k);
            }
        }
        for (long k = 1000; k < 11_000; k++) {
            access(p, capacity, k); // a scan a hundred times the cache
        }
        int hits = 0;
        for (long k = 0; k < 50; k++) {
            hits += access(p, capacity, k) ? 1 : 0;
        }
        assertEquals(50, hits, "every block of the working set survived the scan");
    }

    @Test
    void blocksSeenOnlyOnceLeaveThroughTheSmallQueueFirst() {
        S3Fifo p = new S3Fifo(10);
        for (long k = 0; k < 9; k++) {
            access(p, 10, k);
        }
        access(p, 10, 0); // 0 was hit: it moves to main when the small queue is evicted
        access(p, 10, 9);
        assertEquals(1, p.evict(k -> true), "the oldest block never hit goes first");
        assertTrue(p.contains(0), "the hit block was kept");
    }

    @Test
    void aBlockTheCallerCannotDropIsSkippedNotLost() {
        S3Fifo p = new S3Fifo(4);
        for (long k = 0; k < 4; k++) {
            access(p, 4, k);
        }
        assertEquals(-1, p.evict(k -> false), "nothing may be dropped");
        assertEquals(4, p.size());
        assertEquals(2, p.evict(k -> k == 2));
        assertEquals(3, p.size());
    }

    @Test
    void aBlockEvictedAndSoonRequestedAgainReturnsToTheMainQueue() {
        S3Fifo p = new S3Fifo(10);
        for (long k = 0; k < 10; k++) {
            access(p, 10, k);
        }
        long victim = p.evict(k -> true);
        p.insert(victim); // remembered as a ghost: straight into main
        for (long k = 100; k < 120; k++) {
            access(p, 10, k);
        }
        assertTrue(p.contains(victim), "a returning ghost is protected from the next scan");
    }
}
