package io.weir.samples.qos;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;
import io.weir.vscsi.standalone.StandaloneDisk;

/**
 * A closed-loop load on one disk: keeps {@code depth} requests of {@code size} bytes in flight, each new one
 * submitted from the completion of the last, until stopped. Records every completion by tag, so a test can
 * check each request completed exactly once and successfully.
 */
final class Load {
    private final StandaloneDisk disk;
    private final int depth;
    private final int size;
    private final boolean writes;
    private final AtomicLong nextTag = new AtomicLong(1);
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Map<Long, Integer> completions = new ConcurrentHashMap<>();
    private final Map<Long, IoStatus> failures = new ConcurrentHashMap<>();
    private final AtomicLong completed = new AtomicLong();
    private volatile boolean stopped;
    private final CountDownLatch drained = new CountDownLatch(1);

    Load(StandaloneDisk disk, int depth, int size, boolean writes) {
        this.disk = disk;
        this.depth = depth;
        this.size = size;
        this.writes = writes;
    }

    /** Put {@code depth} requests in flight. */
    Load start() {
        for (int i = 0; i < depth; i++) {
            submitOne();
        }
        return this;
    }

    long completed() {
        return completed.get();
    }

    /** Stop submitting and wait until everything in flight completed. */
    void stop() throws InterruptedException {
        stopped = true;
        if (inFlight.get() > 0 && !drained.await(30, TimeUnit.SECONDS)) {
            throw new AssertionError(disk.id() + ": " + inFlight.get() + " requests never completed");
        }
    }

    /** Tags completed more than once, and failures; both empty for a correct filter. */
    String problems() {
        StringBuilder sb = new StringBuilder();
        completions.forEach((tag, n) -> {
            if (n != 1) {
                sb.append("tag ").append(tag).append(" completed ").append(n).append(" times; ");
            }
        });
        failures.forEach((tag, s) -> sb.append("tag ").append(tag).append(" failed: ").append(s).append("; "));
        return sb.toString();
    }

    long submitted() {
        return nextTag.get() - 1;
    }

    private void submitOne() {
        long tag = nextTag.getAndIncrement();
        long blocks = disk.capacity() / size;
        long offset = (tag % blocks) * size;
        IoRequest request = writes ? IoRequest.write(tag, offset, ByteBuffer.allocate(size), false)
                : IoRequest.read(tag, offset, ByteBuffer.allocate(size));
        inFlight.incrementAndGet();
        try {
            disk.submit(request, status -> {
                completions.merge(tag, 1, Integer::sum);
                if (!status.isOk()) {
                    failures.put(tag, status);
                }
                completed.incrementAndGet();
                if (!stopped) {
                    submitOne();
                }
                if (inFlight.decrementAndGet() == 0 && stopped) {
                    drained.countDown();
                }
            });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            inFlight.decrementAndGet();
        }
    }
}
