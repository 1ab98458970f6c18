package io.weir.vscsi.disk;

import static io.weir.vscsi.disk.DiskImplTest.pattern;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongUnaryOperator;

import io.weir.filter.IoRequest;
import io.weir.vscsi.VirtualDisk;

/**
 * Guest threads that each submit a run of writes at once (writer {@code w}'s {@code i}-th write has tag
 * {@code w * perWriter + i} and the tag's pattern as data), counting every completion and every failure, while a
 * test stuns or swaps the disk under them.
 */
final class ConcurrentWriters {
    final ConcurrentHashMap<Long, AtomicInteger> completions = new ConcurrentHashMap<>();
    final AtomicInteger failures = new AtomicInteger();
    private final AtomicInteger delivered = new AtomicInteger();
    private final List<Thread> threads = new ArrayList<>();
    private int expected;

    /** Start {@code writers} threads; {@code blockOf} maps a tag to the block it writes. */
    static ConcurrentWriters start(VirtualDisk disk, int writers, int perWriter, int blockSize, LongUnaryOperator blockOf) {
        ConcurrentWriters w = new ConcurrentWriters();
        w.expected = writers * perWriter;
        for (int n = 0; n < writers; n++) {
            int writer = n;
            Thread t = new Thread(() -> {
                for (int i = 0; i < perWriter; i++) {
                    long tag = (long) writer * perWriter + i;
                    w.completions.put(tag, new AtomicInteger());
                    try {
                        disk.submit(IoRequest.write(tag, blockOf.applyAsLong(tag) * blockSize,
                                pattern(blockSize, (int) tag), false), s -> {
                                    w.completions.get(tag).incrementAndGet();
                                    if (!s.isOk()) {
                                        w.failures.incrementAndGet();
                                    }
                                    w.delivered.incrementAndGet();
                                });
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            });
            w.threads.add(t);
            t.start();
        }
        return w;
    }

    /** Wait until every writer has submitted all its writes. */
    void join() throws InterruptedException {
        for (Thread t : threads) {
            t.join();
        }
    }

    /**
     * Wait until every submitted write's callback has returned. A drained disk has counted each request done, but
     * the guest's callback for the last ones may still be running on another thread.
     */
    void awaitCallbacks(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (delivered.get() < expected) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(delivered.get() + " of " + expected + " callbacks arrived within " + timeout);
            }
            Thread.sleep(1);
        }
    }
}
