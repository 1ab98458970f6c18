package io.weir.backend.memory;

import java.io.IOException;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import io.weir.backend.Backend;
import io.weir.filter.Capability;
import io.weir.filter.IoCallback;
import io.weir.filter.IoError;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;

/**
 * A disk held in memory, for tests, benchmarks and the certification kit.
 *
 * <p><b>Storage.</b> Contents live in {@value #PAGE_SIZE}-byte pages allocated on first write, so an
 * unwritten disk of any capacity costs next to nothing; UNMAP and WRITE_ZEROES release whole pages.
 *
 * <p><b>Modes.</b> {@link #durable(long)}: every completed write is durable; FLUSH and FUA cost nothing.
 * {@link #volatileCache(long, Random)}: the disk has a volatile write cache. A completed write is visible to
 * reads at once but stays in the cache until a FLUSH (which covers every write completed before it) or its
 * own FUA makes it durable. {@link #powerLoss()} then decides, independently for each write still in the
 * cache and with the given {@link Random}, whether it reached the medium or vanished; surviving writes are
 * applied in their completion order, so an older write never overwrites a newer one it overlapped. A durable
 * write is never lost, and a vanished write never damages any byte it did not cover. A full cache (see
 * {@link Builder#cacheLimit(long)}) writes its oldest entries back on its own, as real caches do.
 *
 * <p><b>Atomicity.</b> Each request is atomic with respect to every other request, whatever its size: a read
 * never sees part of a concurrent write, and of two overlapping concurrent writes one wins in full. After a
 * power loss each cached write survives or vanishes as a whole.
 *
 * <p><b>Threading.</b> Thread safe; pages are guarded by striped locks, so requests on different pages do
 * not contend. Without injected latency a request completes inline: its callback runs on the submitting
 * thread before {@link #submit} returns. With latency ({@link #setLatency}) it executes and completes later
 * on a scheduler thread of this handle.
 *
 * <p><b>Handles.</b> This object is one handle on the disk's contents; {@link #reopen()} gives another on the
 * same contents (for example after {@link #close()}, or to model a host that restarts after
 * {@link #powerLoss()}). Fault injection and latency belong to a handle.
 */
public final class MemoryBackend implements Backend {
    /** Size of the pages the contents are allocated in. */
    public static final int PAGE_SIZE = PageTable.PAGE_SIZE;

    /** Default bound of the bytes of non-durable writes held in a volatile cache. */
    public static final long DEFAULT_CACHE_LIMIT = 64L << 20;

    private final MemoryStore store;
    private final String name;
    private final Set<Capability> capabilities;
    private final CopyOnWriteArrayList<Fault> faults = new CopyOnWriteArrayList<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Object closeLock = new Object();
    private volatile boolean closed;
    private volatile long minLatencyNanos;
    private volatile long maxLatencyNanos;
    private ScheduledThreadPoolExecutor scheduler;

    private MemoryBackend(MemoryStore store, String name, Set<Capability> capabilities) {
        this.store = store;
        this.name = name;
        this.capabilities = Set.copyOf(capabilities);
    }

    /** A disk of {@code capacity} bytes whose completed writes are all durable. */
    public static MemoryBackend durable(long capacity) {
        return builder(capacity).build();
    }

    /** A disk of {@code capacity} bytes with a volatile write cache; {@code random} decides power-loss fates. */
    public static MemoryBackend volatileCache(long capacity, Random random) {
        return builder(capacity).volatileCache(random).build();
    }

    /** Describe a disk of {@code capacity} bytes; durable, named {@code memory}, all capabilities, no latency. */
    public static Builder builder(long capacity) {
        return new Builder(capacity);
    }

    /** Options of a {@link MemoryBackend}. */
    public static final class Builder {
        private final long capacity;
        private String name = "memory";
        private Random random;
        private long cacheLimit = DEFAULT_CACHE_LIMIT;
        private Set<Capability> capabilities = EnumSet.allOf(Capability.class);
        private Duration minLatency = Duration.ZERO;
        private Duration maxLatency = Duration.ZERO;

        private Builder(long capacity) {
            if (capacity < 0) {
                throw new IllegalArgumentException("negative capacity: " + capacity);
            }
            this.capacity = capacity;
        }

        /** The name used in error messages, normally the disk's id. */
        public Builder name(String diskName) {
            this.name = Objects.requireNonNull(diskName, "name");
            return this;
        }

        /** Every completed write is durable (the default). */
        public Builder durable() {
            this.random = null;
            return this;
        }

        /** Simulate a volatile write cache; {@code fates} decides which cached writes survive a power loss. */
        public Builder volatileCache(Random fates) {
            this.random = Objects.requireNonNull(fates, "random");
            return this;
        }

        /** Bytes of non-durable writes the volatile cache holds before writing its oldest back by itself. */
        public Builder cacheLimit(long bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("cache limit must be positive: " + bytes);
            }
            this.cacheLimit = bytes;
            return this;
        }

        /** The capabilities to offer; all of them by default. */
        public Builder capabilities(Set<Capability> offered) {
            this.capabilities = EnumSet.noneOf(Capability.class);
            this.capabilities.addAll(offered);
            return this;
        }

        /** Complete every request after {@code latency} instead of inline. */
        public Builder latency(Duration latency) {
            return latency(latency, latency);
        }

        /** Complete every request after a delay drawn uniformly from {@code [min, max]}. */
        public Builder latency(Duration min, Duration max) {
            checkLatency(min, max);
            this.minLatency = min;
            this.maxLatency = max;
            return this;
        }

        public MemoryBackend build() {
            MemoryBackend backend = new MemoryBackend(new MemoryStore(capacity, random, cacheLimit), name,
                    capabilities);
            backend.setLatency(minLatency, maxLatency);
            return backend;
        }
    }

    /** A failure to inject: matched against requests at submission. */
    private static final class Fault {
        final Predicate<IoRequest> match;
        final IoError error;
        final AtomicBoolean spent;

        Fault(Predicate<IoRequest> match, IoError error, boolean once) {
            this.match = Objects.requireNonNull(match, "match");
            this.error = Objects.requireNonNull(error, "error");
            this.spent = once ? new AtomicBoolean() : null;
        }
    }

    @Override
    public Set<Capability> capabilities() {
        return capabilities;
    }

    @Override
    public long capacity() {
        return store.capacity();
    }

    /** True until the first write, unmap or write-zeroes reaches the store (through any handle). */
    @Override
    public boolean blank() {
        return !store.written();
    }

    /** The name used in error messages. */
    public String name() {
        return name;
    }

    /** Whether this disk simulates a volatile write cache. */
    public boolean isVolatileCache() {
        return store.volatileCache();
    }

    /** Whether this handle was closed. */
    public boolean isClosed() {
        return closed;
    }

    @Override
    public void submit(IoRequest request, IoCallback callback) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(callback, "callback");
        inFlight.incrementAndGet();
        IoStatus early;
        if (closed) {
            early = IoStatus.failed(IoError.SHUTDOWN, "memory disk '" + name + "' is closed: " + request);
        } else if (request.op().hasRange() && request.end() > store.capacity()) {
            early = IoStatus.failed(IoError.OUT_OF_RANGE, "memory disk '" + name + "': " + request
                    + " ends beyond the capacity of " + store.capacity() + " bytes");
        } else {
            early = faults.isEmpty() ? null : injectedFault(request);
        }
        long delay = delayNanos();
        if (delay <= 0 || early != null && early.error() == IoError.SHUTDOWN) {
            complete(request, callback, early, -1);
            return;
        }
        long epoch = store.epoch();
        IoStatus decided = early;
        scheduler().schedule(() -> {
            try {
                complete(request, callback, decided, epoch);
            } catch (Throwable t) {
                Thread current = Thread.currentThread();
                current.getUncaughtExceptionHandler().uncaughtException(current, t);
            }
        }, delay, TimeUnit.NANOSECONDS);
    }

    private void complete(IoRequest request, IoCallback callback, IoStatus decided, long epoch) {
        IoStatus status = decided;
        try {
            if (status == null) {
                status = store.execute(request, epoch) ? IoStatus.OK
                        : IoStatus.failed(IoError.IO, "memory disk '" + name + "': power was lost before "
                                + request + " completed");
            }
        } catch (RuntimeException e) {
            status = IoStatus.failed(IoError.IO, "memory disk '" + name + "': " + request + " failed: " + e);
        }
        try {
            callback.done(status);
        } finally {
            if (inFlight.decrementAndGet() == 0 && closed) {
                synchronized (closeLock) {
                    closeLock.notifyAll();
                }
            }
        }
    }

    private IoStatus injectedFault(IoRequest request) {
        for (Fault f : faults) {
            if (f.match.test(request) && (f.spent == null || f.spent.compareAndSet(false, true))) {
                if (f.spent != null) {
                    faults.remove(f);
                }
                return IoStatus.failed(f.error, "memory disk '" + name + "': injected " + f.error + " on " + request);
            }
        }
        return null;
    }

    /** Fail the next request that matches {@code match} with {@code error}, without executing it. */
    public void failNext(Predicate<IoRequest> match, IoError error) {
        faults.add(new Fault(match, error, true));
    }

    /** Fail every request that matches {@code match} with {@code error}, until {@link #clearFaults()}. */
    public void failMatching(Predicate<IoRequest> match, IoError error) {
        faults.add(new Fault(match, error, false));
    }

    /** Remove every injected fault not yet spent. */
    public void clearFaults() {
        faults.clear();
    }

    /**
     * Execute and complete every later request after a delay drawn uniformly from {@code [min, max]}, on a
     * scheduler thread of this handle (so completions may come back in another order than submission).
     * Zero for both restores inline completion.
     */
    public void setLatency(Duration min, Duration max) {
        checkLatency(min, max);
        minLatencyNanos = min.toNanos();
        maxLatencyNanos = max.toNanos();
    }

    private static void checkLatency(Duration min, Duration max) {
        if (min.isNegative() || max.compareTo(min) < 0) {
            throw new IllegalArgumentException("latency range must satisfy 0 <= min <= max: " + min + ", " + max);
        }
    }

    private long delayNanos() {
        long min = minLatencyNanos;
        long max = maxLatencyNanos;
        return max <= min ? min : ThreadLocalRandom.current().nextLong(min, max + 1);
    }

    private ScheduledExecutorService scheduler() {
        synchronized (closeLock) {
            if (scheduler == null) {
                scheduler = new ScheduledThreadPoolExecutor(1, r -> {
                    Thread t = new Thread(r, "weir-memory-" + name + "-latency");
                    t.setDaemon(true);
                    return t;
                });
            }
            return scheduler;
        }
    }

    /**
     * Simulate a power loss under the disk: in volatile-cache mode each write not yet durable survives or
     * vanishes (see the class comment), and delayed requests not yet executed fail with {@link IoError#IO}
     * without taking effect. A durable disk keeps everything. Affects every handle on these contents.
     */
    public void powerLoss() {
        store.powerLoss();
    }

    /** A new, open handle on the same contents, without this handle's faults or latency. */
    public MemoryBackend reopen() {
        return new MemoryBackend(store, name, capabilities);
    }

    /** The current contents of a range, as a read would return them; for test assertions. */
    public byte[] peek(long offset, int length) {
        if (offset < 0 || length < 0 || offset + length > store.capacity()) {
            throw new IndexOutOfBoundsException("range " + offset + "+" + length + " outside capacity "
                    + store.capacity());
        }
        return store.peek(offset, length);
    }

    /** Bytes of memory held by allocated pages (the cache's copies of non-durable writes not included). */
    public long allocatedBytes() {
        return store.allocatedBytes();
    }

    /** How many completed writes the volatile cache holds that are not yet durable; 0 in durable mode. */
    public int pendingWrites() {
        return store.pendingWrites();
    }

    @Override
    public void grow(long newCapacity) throws IOException {
        if (closed) {
            throw new IOException("memory disk '" + name + "' is closed");
        }
        try {
            store.grow(newCapacity);
        } catch (IllegalArgumentException e) {
            throw new IOException("memory disk '" + name + "': " + e.getMessage(), e);
        }
    }

    /** Wait for requests in flight, make every completed write durable, and refuse further requests. */
    @Override
    public void close() throws IOException {
        ScheduledThreadPoolExecutor toStop;
        synchronized (closeLock) {
            closed = true;
            boolean interrupted = false;
            while (inFlight.get() > 0) {
                try {
                    closeLock.wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            toStop = scheduler;
            scheduler = null;
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        if (toStop != null) {
            toStop.shutdown();
        }
        store.flush();
    }

    @Override
    public String toString() {
        return "MemoryBackend[" + name + ", " + store.capacity() + " bytes, "
                + (store.volatileCache() ? "volatile cache" : "durable") + (closed ? ", closed" : "") + "]";
    }
}
