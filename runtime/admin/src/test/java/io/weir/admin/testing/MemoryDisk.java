package io.weir.admin.testing;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

import io.weir.filter.Capability;
import io.weir.filter.IoCallback;
import io.weir.filter.IoError;
import io.weir.filter.IoOp;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;
import io.weir.vscsi.DiskInfo;
import io.weir.vscsi.DiskSpec;
import io.weir.vscsi.DiskState;
import io.weir.vscsi.DiskStats;
import io.weir.vscsi.VirtualDisk;

/**
 * A test disk in memory that completes requests on threads of its own (or inline), with hooks to corrupt
 * reads, lose writes and fail requests, and a record of the deepest queue it saw.
 */
public final class MemoryDisk implements VirtualDisk {
    private final String id;
    private final int blockSize;
    private final byte[] data;
    private final ExecutorService completer;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger deepest = new AtomicInteger();
    private final AtomicLong flushes = new AtomicLong();
    private volatile long corruptReadAt = -1;
    private volatile long loseWritesAt = -1;
    private volatile Predicate<IoRequest> fail = r -> false;
    private volatile Set<Capability> capabilities = Set.of(Capability.FLUSH);

    /** Completes on two threads of its own when {@code inline} is false, else inside {@code submit}. */
    public MemoryDisk(String id, int capacity, int blockSize, boolean inline) {
        this.id = id;
        this.blockSize = blockSize;
        this.data = new byte[capacity];
        this.completer = inline ? null : Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "memory-disk-" + id);
            t.setDaemon(true);
            return t;
        });
    }

    /** Every read covering disk offset {@code offset} returns that byte flipped. */
    public void corruptReadsAt(long offset) {
        corruptReadAt = offset;
    }

    /** Writes covering the block at {@code offset} succeed but leave the data as it was (after the first). */
    public void loseWritesAt(long offset) {
        loseWritesAt = offset;
    }

    public void failWhen(Predicate<IoRequest> predicate) {
        fail = predicate;
    }

    public void capabilities(Set<Capability> caps) {
        capabilities = Set.copyOf(caps);
    }

    public int deepestQueue() {
        return deepest.get();
    }

    public long flushes() {
        return flushes.get();
    }

    public byte[] bytes() {
        return data;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public long capacity() {
        return data.length;
    }

    @Override
    public int blockSize() {
        return blockSize;
    }

    @Override
    public int maxRequestLength() {
        return 1 << 20;
    }

    @Override
    public int maxQueueDepth() {
        return 1024;
    }

    @Override
    public Set<Capability> capabilities() {
        return capabilities;
    }

    @Override
    public void submit(IoRequest request, IoCallback callback) {
        int now = inFlight.incrementAndGet();
        deepest.accumulateAndGet(now, Math::max);
        Runnable work = () -> {
            IoStatus status = execute(request);
            inFlight.decrementAndGet();
            callback.done(status);
        };
        if (completer == null) {
            work.run();
        } else {
            completer.execute(work);
        }
    }

    private IoStatus execute(IoRequest r) {
        if (r.op().hasRange() && (r.offset() % blockSize != 0 || r.length() % blockSize != 0 || r.end() > data.length)) {
            return IoStatus.failed(IoError.INVALID, "bad range " + r);
        }
        if (fail.test(r)) {
            return IoStatus.failed(IoError.IO, "injected failure of " + r);
        }
        synchronized (data) {
            if (r.op() == IoOp.READ) {
                ByteBuffer dst = r.data();
                dst.duplicate().put(data, (int) r.offset(), r.length());
                long c = corruptReadAt;
                if (c >= r.offset() && c < r.end()) {
                    int i = dst.position() + (int) (c - r.offset());
                    dst.put(i, (byte) ~dst.get(i));
                }
            } else if (r.op() == IoOp.WRITE) {
                long lose = loseWritesAt;
                boolean lost = lose >= r.offset() && lose < r.end() && data[(int) lose] != 0;
                if (!lost) {
                    r.data().duplicate().get(data, (int) r.offset(), r.length());
                }
            } else if (r.op() == IoOp.FLUSH) {
                flushes.incrementAndGet();
            }
        }
        return IoStatus.OK;
    }

    @Override
    public void stun(Duration timeout) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void unstun() {
        throw new UnsupportedOperationException();
    }

    @Override
    public DiskInfo info() {
        return new DiskInfo(new DiskSpec(id, data.length, blockSize, "memory", java.util.Map.of(), List.of()),
                DiskState.ONLINE, "", capabilities, List.of(), new DiskStats(0, 0, 0, inFlight.get(), 0, 0, 0));
    }

    public void close() {
        if (completer != null) {
            completer.shutdownNow();
        }
    }
}
