package io.weir.backend.memory;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Random;
import java.util.concurrent.locks.ReentrantLock;

import io.weir.filter.IoRequest;

/**
 * The contents of one memory disk, shared by every {@link MemoryBackend} handle opened on it.
 *
 * <p><b>Locking.</b> Pages are guarded by {@value #STRIPES} striped locks (page number modulo the stripe
 * count). A request takes the stripes of every page it touches, in ascending stripe order, for its whole
 * duration: each request is therefore atomic with respect to every other request, whatever its size. In
 * volatile-cache mode the durable layer and the log of non-durable writes are guarded by {@link #logLock},
 * always taken after stripes, never before.
 *
 * <p><b>Volatile cache model.</b> {@link #current} is what reads see. Each completed write (WRITE,
 * WRITE_ZEROES, UNMAP) is also appended to {@link #log} in completion order (two overlapping writes share a
 * stripe, so their log order is the order in which they changed {@code current}). The durable layer holds
 * what survives a power loss for sure. FLUSH applies the whole log to it, in order; a FUA write is marked
 * durable in the log. A power loss replays the log over the durable layer in order, keeping each durable
 * record and each other record with probability one half, then makes the result the current contents.
 * When the log holds more than the cache limit, its oldest records are written back early, as a real
 * cache does on its own.
 */
final class MemoryStore {
    static final int STRIPES = 1024;
    private static final int RECORD_OVERHEAD = 64;

    private final ReentrantLock[] stripes = new ReentrantLock[STRIPES];
    private final Object growLock = new Object();
    private final boolean volatileCache;
    private volatile long capacity;
    private volatile PageTable current;
    private volatile long epoch;
    private volatile boolean written;

    private final Object logLock = new Object();
    private final PageTable durable;
    private final ArrayDeque<Record> log = new ArrayDeque<>();
    private final Random random;
    private final long cacheLimit;
    private long pendingBytes;

    /** A write that completed but may not be durable yet; {@code data == null} means zeros. */
    private record Record(long offset, long length, byte[] data, boolean durable) {
        long cost() {
            return RECORD_OVERHEAD + (data == null ? 0 : data.length);
        }
    }

    MemoryStore(long capacity, Random random, long cacheLimit) {
        if (capacity < 0) {
            throw new IllegalArgumentException("negative capacity: " + capacity);
        }
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new ReentrantLock();
        }
        this.capacity = capacity;
        this.current = new PageTable(capacity);
        this.volatileCache = random != null;
        this.random = random;
        this.durable = volatileCache ? new PageTable(capacity) : null;
        this.cacheLimit = cacheLimit;
    }

    boolean volatileCache() {
        return volatileCache;
    }

    long capacity() {
        return capacity;
    }

    /** Incremented by every power loss; lets delayed requests notice that one happened meanwhile. */
    long epoch() {
        return epoch;
    }

    long allocatedBytes() {
        return current.allocatedBytes();
    }

    int pendingWrites() {
        if (!volatileCache) {
            return 0;
        }
        synchronized (logLock) {
            return log.size();
        }
    }

    /**
     * Execute a request that lies inside the disk. Returns false, without touching anything, when
     * {@code expectedEpoch} is not negative and a power loss happened since it was read.
     */
    /** Whether any write, unmap or write-zeroes ever reached this store. */
    boolean written() {
        return written;
    }

    boolean execute(IoRequest request, long expectedEpoch) {
        if (!written && request.op().modifies()) {
            written = true;
        }
        switch (request.op()) {
            case FLUSH:
                if (volatileCache) {
                    synchronized (logLock) {
                        if (expectedEpoch >= 0 && expectedEpoch != epoch) {
                            return false;
                        }
                        writeBack(0);
                    }
                }
                return expectedEpoch < 0 || expectedEpoch == epoch;
            case READ:
            case WRITE:
            case UNMAP:
            case WRITE_ZEROES:
                break;
            default:
                throw new IllegalArgumentException("unknown operation " + request.op());
        }
        long offset = request.offset();
        int length = request.length();
        if (length == 0) {
            return expectedEpoch < 0 || expectedEpoch == epoch;
        }
        int first = lockRange(offset, length);
        try {
            if (expectedEpoch >= 0 && expectedEpoch != epoch) {
                return false;
            }
            PageTable pages = current;
            ByteBuffer data = request.data();
            switch (request.op()) {
                case READ:
                    pages.read(offset, data, data.position(), length);
                    break;
                case WRITE:
                    pages.write(offset, data, data.position(), length);
                    if (volatileCache) {
                        byte[] copy = new byte[length];
                        data.get(data.position(), copy, 0, length);
                        append(new Record(offset, length, copy, request.fua()));
                    }
                    break;
                default:
                    pages.zero(offset, length);
                    if (volatileCache) {
                        append(new Record(offset, length, null, request.fua()));
                    }
                    break;
            }
            return true;
        } finally {
            unlockRange(first, offset, length);
        }
    }

    /** Current contents of a range, as a read would return them. */
    byte[] peek(long offset, int length) {
        byte[] out = new byte[length];
        if (length == 0) {
            return out;
        }
        int first = lockRange(offset, length);
        try {
            current.read(offset, ByteBuffer.wrap(out), 0, length);
        } finally {
            unlockRange(first, offset, length);
        }
        return out;
    }

    /** Make every completed write durable. */
    void flush() {
        if (volatileCache) {
            synchronized (logLock) {
                writeBack(0);
            }
        }
    }

    void grow(long newCapacity) {
        synchronized (growLock) {
            if (newCapacity < capacity) {
                throw new IllegalArgumentException("cannot shrink from " + capacity + " to " + newCapacity);
            }
            current.ensureCapacity(newCapacity);
            if (volatileCache) {
                synchronized (logLock) {
                    durable.ensureCapacity(newCapacity);
                }
            }
            capacity = newCapacity;
        }
    }

    /** Lose the volatile cache: see the class comment. A no-op for durable stores apart from the epoch. */
    void powerLoss() {
        for (ReentrantLock stripe : stripes) {
            stripe.lock();
        }
        try {
            synchronized (logLock) {
                epoch++;
                if (!volatileCache) {
                    return;
                }
                for (Record r : log) {
                    if (r.durable || random.nextBoolean()) {
                        apply(r);
                    }
                }
                log.clear();
                pendingBytes = 0;
                current = durable.copy();
            }
        } finally {
            for (ReentrantLock stripe : stripes) {
                stripe.unlock();
            }
        }
    }

    private void append(Record r) {
        synchronized (logLock) {
            log.addLast(r);
            pendingBytes += r.cost();
            if (pendingBytes > cacheLimit) {
                writeBack(cacheLimit / 2);
            }
        }
    }

    /** Apply the oldest log records to the durable layer until at most {@code keep} bytes are pending. */
    private void writeBack(long keep) {
        while (pendingBytes > keep && !log.isEmpty()) {
            Record r = log.removeFirst();
            pendingBytes -= r.cost();
            apply(r);
        }
        if (log.isEmpty()) {
            pendingBytes = 0;
        }
    }

    private void apply(Record r) {
        if (r.data == null) {
            durable.zero(r.offset, r.length);
        } else {
            durable.write(r.offset, ByteBuffer.wrap(r.data), 0, r.data.length);
        }
    }

    /** Lock the stripes of every page in the range, ascending; returns the first stripe for unlocking. */
    private int lockRange(long offset, long length) {
        long firstPage = offset >>> PageTable.PAGE_SHIFT;
        long lastPage = (offset + length - 1) >>> PageTable.PAGE_SHIFT;
        if (lastPage - firstPage + 1 >= STRIPES) {
            for (ReentrantLock stripe : stripes) {
                stripe.lock();
            }
            return 0;
        }
        int from = (int) (firstPage & (STRIPES - 1));
        int to = (int) (lastPage & (STRIPES - 1));
        if (from <= to) {
            for (int i = from; i <= to; i++) {
                stripes[i].lock();
            }
        } else {
            for (int i = 0; i <= to; i++) {
                stripes[i].lock();
            }
            for (int i = from; i < STRIPES; i++) {
                stripes[i].lock();
            }
        }
        return from;
    }

    private void unlockRange(int from, long offset, long length) {
        long firstPage = offset >>> PageTable.PAGE_SHIFT;
        long lastPage = (offset + length - 1) >>> PageTable.PAGE_SHIFT;
        if (lastPage - firstPage + 1 >= STRIPES) {
            for (ReentrantLock stripe : stripes) {
                stripe.unlock();
            }
            return;
        }
        int to = (int) (lastPage & (STRIPES - 1));
        if (from <= to) {
            for (int i = from; i <= to; i++) {
                stripes[i].unlock();
            }
        } else {
            for (int i = 0; i <= to; i++) {
                stripes[i].unlock();
            }
            for (int i = from; i < STRIPES; i++) {
                stripes[i].unlock();
            }
        }
    }
}
