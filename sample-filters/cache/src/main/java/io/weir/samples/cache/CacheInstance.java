package io.weir.samples.cache;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import io.weir.filter.Capability;
import io.weir.filter.ControlEvent;
import io.weir.filter.Filter;
import io.weir.filter.FilterContext;
import io.weir.filter.FilterRefusedException;
import io.weir.filter.IoChain;
import io.weir.filter.IoError;
import io.weir.filter.IoOp;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;
import io.weir.filter.StateHandoff;

/**
 * The cache on one disk. Every request is handed to the instance's serial executor, which owns all cache state
 * and does the cache file's I/O; requests for the layer below are submitted with the guest request's tag
 * (write-backs with tags of their own) and their completions come back to the same executor. Only a FLUSH in
 * write-through and write-around mode is passed straight down. See the module's README for the guarantees.
 */
final class CacheInstance implements Filter {
    static final String HANDOFF_KEY = "cache.index";
    private static final System.Logger LOG = System.getLogger("io.weir.samples.cache");
    private static final int HANDOFF_VERSION = 1;
    private static final int MAX_BATCH_BLOCKS = 256;
    private static final int MAX_BATCH_BYTES = 8 << 20;
    private static final Duration RETRY = Duration.ofMillis(100);

    /** A cached block. */
    private static final class Entry {
        final long block;
        final int slot;
        final int crc;
        boolean dirty;
        long version;
        /** The number of completed forces after which the slot may be overwritten. */
        long reusableAfter;

        Entry(long block, int slot, int crc, boolean dirty, long version) {
            this.block = block;
            this.slot = slot;
            this.crc = crc;
            this.dirty = dirty;
            this.version = version;
        }
    }

    /** Counts the parts of a guest request that went below, and finishes it when the last one is back. */
    private final class Parts {
        private final IoChain chain;
        private int left = 1;
        private IoStatus failure;
        private Runnable beforeFinish;

        Parts(IoChain chain) {
            this.chain = chain;
        }

        void add() {
            left++;
        }

        void done(IoStatus status) {
            if (!status.isOk() && failure == null) {
                failure = status;
            }
            if (--left == 0) {
                if (beforeFinish != null && failure == null) {
                    Runnable r = beforeFinish;
                    beforeFinish = null;
                    left = 1;
                    r.run();
                    return;
                }
                finish(chain, failure == null ? IoStatus.OK : failure);
            }
        }
    }

    private record Waiter(long version, Consumer<IoStatus> then) {
    }

    private final CacheFilterFactory factory;
    private final FilterContext context;
    private final Executor executor;
    private final CacheMode mode;
    private final boolean flushToBackend;
    private final Path path;
    private final boolean temporary;
    private final int cbs;
    private final long slotCount;
    private final long highBlocks;
    private final long lowBlocks;
    private final AtomicLong ownTags = new AtomicLong(0x4341434845L << 24);

    // Owned by the executor (and the control thread while the disk is stunned or before ATTACH returns).
    private CacheFile cache;
    private boolean relinquished;
    private final Map<Long, Entry> index = new HashMap<>();
    private final ArrayDeque<Integer> free = new ArrayDeque<>();
    private final ArrayDeque<long[]> quarantine = new ArrayDeque<>();
    private final S3Fifo policy;
    private final LinkedHashSet<Long> dirtyOrder = new LinkedHashSet<>();
    private final Map<Long, Long> fillTokens = new HashMap<>();
    private final Map<Long, int[]> inflight = new HashMap<>();
    private final List<long[]> activeRanges = new ArrayList<>();
    private final List<Waiter> waiters = new ArrayList<>();
    private final ArrayDeque<Runnable> waitingForRoom = new ArrayDeque<>();
    private final ByteBuffer blockBuffer;
    private long versions;
    private long fills;
    private boolean writeBackRunning;
    private boolean draining;
    private boolean retryScheduled;
    private boolean belowFlush = true;

    // Read by metrics from any thread; written by the executor.
    private volatile String failure;
    private volatile long hits;
    private volatile long misses;
    private volatile long cachedBlocks;
    private volatile long dirtyBlocks;
    private volatile long writtenBack;
    private volatile long evictions;
    private volatile long recoveredBlocks;
    private volatile long attachedAt = System.nanoTime();

    CacheInstance(CacheFilterFactory factory, FilterContext context, CacheMode mode, boolean flushToBackend,
                  Path path, boolean temporary, int cacheBlockSize, long slots, int highPercent, int lowPercent) {
        this.factory = factory;
        this.context = context;
        this.executor = context.executor();
        this.mode = mode;
        this.flushToBackend = flushToBackend;
        this.path = path;
        this.temporary = temporary;
        this.cbs = cacheBlockSize;
        this.slotCount = slots;
        this.highBlocks = Math.max(1, slots * highPercent / 100);
        this.lowBlocks = Math.min(highBlocks - 1, slots * lowPercent / 100);
        this.policy = new S3Fifo(slots);
        this.blockBuffer = ByteBuffer.allocate(cacheBlockSize);
        context.metrics(() -> metrics().asMap());
    }

    String diskId() {
        return context.diskId();
    }

    CacheMetrics metrics() {
        double seconds = Math.max(1e-9, (System.nanoTime() - attachedAt) / 1e9);
        return new CacheMetrics(context.diskId(), mode, path.toString(), hits, misses, recoveredBlocks * cbs,
                cachedBlocks * cbs,
                dirtyBlocks * cbs, writtenBack, writtenBack / seconds, evictions, failure);
    }

    @Override
    public Set<Capability> capabilities(Set<Capability> below) {
        belowFlush = below.contains(Capability.FLUSH);
        return below;
    }

    // ------------------------------------------------------------------ requests

    @Override
    public void handle(IoRequest request, IoChain chain) {
        if (request.op() == IoOp.FLUSH && mode != CacheMode.WRITE_BACK) {
            chain.pass(); // every completed write already reached the layer below
            return;
        }
        executor.execute(() -> {
            try {
                switch (request.op()) {
                    case READ -> read(request, chain);
                    case WRITE -> write(request, chain);
                    case FLUSH -> flush(chain);
                    default -> rangeOp(request, chain);
                }
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "cache on disk '" + context.diskId() + "': " + request + " failed", e);
                try {
                    chain.fail(IoError.FILTER_FAULT, "cache: " + e);
                } catch (IllegalStateException already) {
                    // the request had been disposed of before the fault
                }
            }
        });
    }

    private boolean usable() {
        return cache != null && !relinquished && failure == null;
    }

    private String fileName() {
        return "cache file " + path;
    }

    private void read(IoRequest r, IoChain chain) {
        long cap = context.capacity();
        long first = r.offset() / cbs;
        long last = (r.end() - 1) / cbs;
        List<Long> missing = new ArrayList<>();
        for (long b = first; b <= last; b++) {
            Entry e = index.get(b);
            if (e != null && cache != null) {
                try {
                    if (readEntry(e, blockBuffer.clear())) {
                        copyOverlap(blockBuffer.flip(), b * cbs, r);
                        policy.hit(b);
                        continue;
                    }
                    if (e.dirty) {
                        chain.fail(IoError.IO, fileName() + ": dirty cache block " + b + " (disk offset " + b * cbs
                                + ") fails its checksum; its data is lost");
                        return;
                    }
                    drop(e);
                } catch (IOException x) {
                    deviceFailed(x);
                    if (e.dirty) {
                        chain.fail(IoError.IO, fileName() + " cannot be read for dirty cache block " + b
                                + " (disk offset " + b * cbs + "): " + x.getMessage());
                        return;
                    }
                }
            }
            missing.add(b);
        }
        if (missing.isEmpty()) {
            hits++;
            chain.complete();
            return;
        }
        misses++;
        Parts parts = new Parts(chain);
        int chunk = Math.max(cbs, context.maxRequestLength() / cbs * cbs);
        int i = 0;
        while (i < missing.size()) {
            int j = i;
            while (j + 1 < missing.size() && missing.get(j + 1) == missing.get(j) + 1) {
                j++;
            }
            long from = missing.get(i) * cbs;
            long to = Math.min((missing.get(j) + 1) * cbs, cap);
            for (long at = from; at < to; at += chunk) {
                readBelow(r, parts, at, Math.min(at + chunk, to), cap);
            }
            i = j + 1;
        }
        parts.done(IoStatus.OK);
    }

    private void readBelow(IoRequest r, Parts parts, long from, long to, long cap) {
        ByteBuffer buf = ByteBuffer.allocate((int) (to - from));
        long id = ++fills;
        List<Long> fillable = new ArrayList<>();
        if (usable()) {
            for (long b = from / cbs; (b + 1) * cbs <= Math.min(to, cap); b++) {
                if (!inflight.containsKey(b) && !overlapsActiveRange(b * cbs, (b + 1) * cbs)) {
                    fillTokens.put(b, id);
                    fillable.add(b);
                }
            }
        }
        parts.add();
        below(IoRequest.read(r.tag(), from, buf), status -> {
            if (status.isOk()) {
                copyOverlap(buf.duplicate().clear(), from, r);
            }
            for (long b : fillable) {
                if (fillTokens.remove(b, id) && status.isOk()) {
                    fill(b, buf.slice((int) (b * cbs - from), cbs));
                }
            }
            parts.done(status);
        });
    }

    private void fill(long b, ByteBuffer data) {
        if (!usable() || index.containsKey(b) || inflight.containsKey(b)) {
            return;
        }
        int slot = allocate();
        if (slot < 0) {
            return;
        }
        int crc = CacheFile.crc(data);
        try {
            cache.writeSlot(slot, data.duplicate());
        } catch (IOException x) {
            free.add(slot);
            deviceFailed(x);
            return;
        }
        index.put(b, new Entry(b, slot, crc, false, 0));
        cachedBlocks = index.size();
        policy.insert(b);
    }

    /** Copy the part of {@code src} (disk bytes from {@code srcOffset}) that {@code r} asked for into its buffer. */
    private static void copyOverlap(ByteBuffer src, long srcOffset, IoRequest r) {
        long from = Math.max(srcOffset, r.offset());
        long to = Math.min(srcOffset + src.remaining(), r.end());
        if (from >= to) {
            return;
        }
        ByteBuffer dst = r.data();
        dst.put(dst.position() + (int) (from - r.offset()), src, src.position() + (int) (from - srcOffset),
                (int) (to - from));
    }

    /** Read {@code e}'s slot into {@code into}; false when the data fails its checksum. */
    private boolean readEntry(Entry e, ByteBuffer into) throws IOException {
        cache.readSlot(e.slot, into);
        into.flip();
        boolean ok = CacheFile.crc(into) == e.crc;
        into.position(into.limit());
        return ok;
    }

    private void write(IoRequest r, IoChain chain) {
        long cap = context.capacity();
        long first = r.offset() / cbs;
        long last = (r.end() - 1) / cbs;
        for (long b = first; b <= last; b++) {
            fillTokens.remove(b);
        }
        if (mode != CacheMode.WRITE_BACK || !usable()) {
            for (long b = first; b <= last; b++) {
                Entry e = index.get(b);
                if (e != null && e.dirty) {
                    chain.fail(IoError.IO, fileName() + " failed (" + failure + ") and holds dirty cache block " + b
                            + " that this write would change; the write is refused so no stale data can be served");
                    return;
                }
            }
            writeAround(r, chain, mode == CacheMode.WRITE_THROUGH);
            return;
        }
        // Write-back: absorb every block the write covers whole, or that is cached; the rest goes below.
        boolean[] absorb = new boolean[(int) (last - first + 1)];
        Map<Long, ByteBuffer> merged = new HashMap<>();
        int needed = 0;
        for (long b = first; b <= last; b++) {
            boolean whole = r.offset() <= b * cbs && (b + 1) * cbs <= r.end() && (b + 1) * cbs <= cap;
            Entry e = index.get(b);
            if (!whole && e != null) {
                ByteBuffer old = ByteBuffer.allocate(cbs);
                try {
                    if (!readEntry(e, old)) {
                        if (e.dirty) {
                            chain.fail(IoError.IO, fileName() + ": dirty cache block " + b + " fails its checksum;"
                                    + " its data is lost");
                            return;
                        }
                        drop(e);
                        e = null;
                    }
                } catch (IOException x) {
                    deviceFailed(x);
                    write(r, chain);
                    return;
                }
                if (e != null) {
                    old.flip();
                    long from = Math.max(b * cbs, r.offset());
                    long to = Math.min((b + 1) * cbs, r.end());
                    old.put((int) (from - b * cbs), r.data(), r.data().position() + (int) (from - r.offset()),
                            (int) (to - from));
                    merged.put(b, old);
                }
            }
            if (whole || e != null) {
                absorb[(int) (b - first)] = true;
                needed++;
            }
        }
        int[] slots = new int[needed];
        for (int k = 0; k < needed; k++) {
            slots[k] = allocate();
            if (slots[k] < 0) {
                for (int u = 0; u < k; u++) {
                    free.addFirst(slots[u]);
                }
                waitingForRoom.add(() -> write(r, chain));
                draining = true;
                startWriteBack();
                return;
            }
        }
        long version = ++versions;
        try {
            if (cache.logNearlyFull(needed + 1)) {
                cache.checkpoint(dirtyList());
                releaseQuarantine();
            }
            int k = 0;
            for (long b = first; b <= last; b++) {
                if (!absorb[(int) (b - first)]) {
                    continue;
                }
                ByteBuffer data = merged.get(b);
                if (data == null) {
                    data = r.data().slice(r.data().position() + (int) (b * cbs - r.offset()), cbs);
                }
                int slot = slots[k++];
                int crc = CacheFile.crc(data);
                cache.writeSlot(slot, data.duplicate());
                Entry old = index.get(b);
                Entry e = new Entry(b, slot, crc, true, version);
                if (old != null) {
                    if (old.dirty) {
                        old.reusableAfter = cache.syncs() + 1; // the old version stays until the new one is forced
                    }
                    release(old);
                    policy.hit(b);
                } else {
                    policy.insert(b);
                }
                index.put(b, e);
                if (old == null || !old.dirty) {
                    dirtyOrder.add(b);
                }
                cache.appendDirty(b, slot, crc);
            }
            cache.writeLog();
        } catch (IOException x) {
            deviceFailed(x);
            chain.fail(IoError.IO, fileName() + ": cannot store the write: " + x.getMessage());
            return;
        } finally {
            cachedBlocks = index.size();
            dirtyBlocks = dirtyOrder.size();
        }
        Parts parts = new Parts(chain);
        int i = 0;
        while (i < absorb.length) {
            if (absorb[i]) {
                i++;
                continue;
            }
            int j = i;
            while (j + 1 < absorb.length && !absorb[j + 1]) {
                j++;
            }
            long from = Math.max((first + i) * cbs, r.offset());
            long to = Math.min((first + j + 1) * cbs, r.end());
            long fb = first + i;
            long lb = first + j;
            for (long b = fb; b <= lb; b++) {
                beginInflight(b);
            }
            parts.add();
            ByteBuffer part = r.data().slice(r.data().position() + (int) (from - r.offset()), (int) (to - from));
            below(IoRequest.write(r.tag(), from, part, r.fua()), status -> {
                for (long b = fb; b <= lb; b++) {
                    endInflight(b);
                }
                parts.done(status);
                maybeWriteBack();
            });
            i = j + 1;
        }
        if (r.fua()) {
            parts.beforeFinish = () -> makeDurable(version, parts::done);
        }
        parts.done(IoStatus.OK);
        maybeWriteBack();
    }

    /** Make every absorbed write up to {@code version} durable as the flush policy says. */
    private void makeDurable(long version, Consumer<IoStatus> then) {
        if (flushToBackend || !usable()) {
            writeBackUpTo(version, then);
            return;
        }
        try {
            cache.force();
            releaseQuarantine();
            then.accept(IoStatus.OK);
        } catch (IOException x) {
            deviceFailed(x);
            writeBackUpTo(version, then); // the dirty data can only be saved below now
        }
    }

    /** Write-through (insert whole blocks after the layer below completed) and write-around (invalidate). */
    private void writeAround(IoRequest r, IoChain chain, boolean insert) {
        long first = r.offset() / cbs;
        long last = (r.end() - 1) / cbs;
        for (long b = first; b <= last; b++) {
            beginInflight(b);
        }
        below(IoRequest.write(r.tag(), r.offset(), r.data(), r.fua()), status -> {
            long cap = context.capacity();
            for (long b = first; b <= last; b++) {
                boolean conflicted = endInflight(b);
                boolean whole = r.offset() <= b * cbs && (b + 1) * cbs <= r.end() && (b + 1) * cbs <= cap;
                Entry e = index.get(b);
                if (e != null && e.dirty) {
                    continue; // only after a cache failure in write-back mode; the write was refused for those
                }
                if (status.isOk() && insert && whole && !conflicted && usable()) {
                    if (e != null) {
                        drop(e);
                    }
                    fill(b, r.data().slice(r.data().position() + (int) (b * cbs - r.offset()), cbs));
                } else if (e != null) {
                    drop(e);
                }
            }
            finish(chain, status);
            maybeWriteBack();
        });
    }

    private void flush(IoChain chain) {
        IoRequest r = chain.request();
        makeDurable(versions, status -> {
            if (!status.isOk()) {
                finish(chain, status);
            } else if (belowFlush) {
                below(r, st -> finish(chain, st));
            } else {
                chain.complete();
            }
        });
    }

    /** UNMAP and WRITE_ZEROES: dirty blocks in the range are written back first, cached ones dropped. */
    private void rangeOp(IoRequest r, IoChain chain) {
        long from = r.offset();
        long to = r.end();
        List<Entry> cached = cachedIn(from, to);
        if (cached.stream().anyMatch(e -> e.dirty)) {
            writeBackUpTo(versions, status -> {
                if (status.isOk()) {
                    rangeOp(r, chain);
                } else {
                    finish(chain, status);
                }
            });
            return;
        }
        fillTokens.keySet().removeIf(b -> b * cbs < to && (b + 1) * cbs > from);
        for (Map.Entry<Long, int[]> e : inflight.entrySet()) {
            if (e.getKey() * cbs < to && (e.getKey() + 1) * cbs > from) {
                e.getValue()[1] = 1;
            }
        }
        long[] range = {from, to};
        activeRanges.add(range);
        cached.forEach(this::drop);
        below(r, status -> {
            activeRanges.remove(range);
            cachedIn(from, to).stream().filter(e -> !e.dirty).forEach(this::drop);
            finish(chain, status);
            maybeWriteBack();
        });
    }

    private List<Entry> cachedIn(long from, long to) {
        List<Entry> out = new ArrayList<>();
        long blocks = (to - from + cbs - 1) / cbs + 1;
        if (blocks <= index.size()) {
            for (long b = from / cbs; b * cbs < to; b++) {
                Entry e = index.get(b);
                if (e != null) {
                    out.add(e);
                }
            }
        } else {
            for (Entry e : index.values()) {
                if (e.block * cbs < to && (e.block + 1) * cbs > from) {
                    out.add(e);
                }
            }
        }
        return out;
    }

    private boolean overlapsActiveRange(long from, long to) {
        for (long[] a : activeRanges) {
            if (a[0] < to && a[1] > from) {
                return true;
            }
        }
        return false;
    }

    private void beginInflight(long b) {
        int[] f = inflight.computeIfAbsent(b, k -> new int[2]);
        f[0]++;
        if (f[0] > 1 || overlapsActiveRange(b * cbs, (b + 1) * cbs)) {
            f[1] = 1;
        }
    }

    /** True when another write or range operation overlapped this one on block {@code b}. */
    private boolean endInflight(long b) {
        int[] f = inflight.get(b);
        boolean conflicted = f[1] != 0;
        if (--f[0] == 0) {
            inflight.remove(b);
        }
        return conflicted;
    }

    private void below(IoRequest r, Consumer<IoStatus> onExecutor) {
        try {
            context.submit(r, status -> executor.execute(() -> onExecutor.accept(status)));
        } catch (RuntimeException e) {
            onExecutor.accept(IoStatus.failed(IoError.IO, "cache: cannot submit " + r + " below: " + e.getMessage()));
        }
    }

    private static void finish(IoChain chain, IoStatus status) {
        if (status.isOk()) {
            chain.complete();
        } else {
            chain.fail(status.error(), status.message());
        }
    }

    // ------------------------------------------------------------------ slots

    /** A free slot, evicting a clean block if needed; -1 when every slot is dirty or pinned. */
    private int allocate() {
        for (int attempt = 0; attempt < 2; attempt++) {
            releaseQuarantine();
            Integer s = free.poll();
            if (s != null) {
                return s;
            }
            long victim = policy.evict(b -> {
                Entry e = index.get(b);
                return e == null || !e.dirty && e.reusableAfter <= cache.syncs();
            });
            if (victim >= 0) {
                Entry e = index.remove(victim);
                cachedBlocks = index.size();
                if (e != null) {
                    evictions++;
                    return e.slot;
                }
                continue;
            }
            if (quarantine.isEmpty() && index.values().stream().noneMatch(e -> !e.dirty)) {
                return -1;
            }
            try {
                cache.force(); // slots waiting for a force become reusable
            } catch (IOException x) {
                deviceFailed(x);
                return -1;
            }
        }
        return -1;
    }

    private void releaseQuarantine() {
        if (cache == null) {
            return;
        }
        for (Iterator<long[]> it = quarantine.iterator(); it.hasNext(); ) {
            long[] q = it.next();
            if (q[1] <= cache.syncs()) {
                free.add((int) q[0]);
                it.remove();
            }
        }
    }

    /** Give back the slot of a block no longer cached there (the index entry is replaced or removed by the caller). */
    private void release(Entry e) {
        if (cache != null && e.reusableAfter > cache.syncs()) {
            quarantine.add(new long[] {e.slot, e.reusableAfter});
        } else {
            free.add(e.slot);
        }
    }

    /** Forget a clean cached block. */
    private void drop(Entry e) {
        if (e.dirty || index.get(e.block) != e) {
            return;
        }
        index.remove(e.block);
        policy.remove(e.block);
        release(e);
        cachedBlocks = index.size();
    }

    private List<CacheFile.Dirty> dirtyList() {
        List<CacheFile.Dirty> out = new ArrayList<>();
        for (long b : dirtyOrder) {
            Entry e = index.get(b);
            out.add(new CacheFile.Dirty(b, e.slot, e.version, e.crc));
        }
        return out;
    }

    private void deviceFailed(IOException x) {
        if (failure == null) {
            failure = fileName() + ": " + x.getMessage();
            LOG.log(Level.ERROR, "cache on disk '" + context.diskId() + "' stops using " + path + "; " + dirtyOrder.size()
                    + " dirty blocks remain to be written back: " + x);
        }
        for (Entry e : new ArrayList<>(index.values())) {
            drop(e);
        }
    }

    // ------------------------------------------------------------------ write-back

    private void maybeWriteBack() {
        if (dirtyOrder.size() > highBlocks) {
            draining = true;
        }
        if (draining || !waiters.isEmpty()) {
            startWriteBack();
        }
    }

    /** Call {@code then} once every block dirtied by writes up to {@code version} is written back and flushed. */
    private void writeBackUpTo(long version, Consumer<IoStatus> then) {
        if (!hasDirtyUpTo(version)) {
            then.accept(IoStatus.OK);
            return;
        }
        waiters.add(new Waiter(version, then));
        startWriteBack();
    }

    private boolean hasDirtyUpTo(long version) {
        for (long b : dirtyOrder) {
            if (index.get(b).version <= version) {
                return true;
            }
        }
        return false;
    }

    private void startWriteBack() {
        if (writeBackRunning || cache == null || relinquished) {
            return;
        }
        List<Entry> batch = new ArrayList<>();
        long bytes = 0;
        for (long b : dirtyOrder) {
            if (batch.size() >= MAX_BATCH_BLOCKS || bytes + cbs > MAX_BATCH_BYTES) {
                break;
            }
            if (inflight.containsKey(b) || overlapsActiveRange(b * cbs, (b + 1) * cbs)) {
                continue; // a write below is in flight there: write back once it landed
            }
            batch.add(index.get(b));
            bytes += cbs;
        }
        if (batch.isEmpty()) {
            // Nothing can go now; blocks held back by a write in flight are retried when it completes.
            resolveWaiters(null);
            return;
        }
        Map<Long, ByteBuffer> data = new HashMap<>();
        long[] versionsAtStart = new long[batch.size()];
        for (int k = 0; k < batch.size(); k++) {
            Entry e = batch.get(k);
            versionsAtStart[k] = e.version;
            ByteBuffer buf = ByteBuffer.allocate(cbs);
            String problem;
            try {
                problem = readEntry(e, buf) ? null : "fails its checksum";
            } catch (IOException x) {
                problem = "cannot be read: " + x.getMessage();
                deviceFailed(x);
            }
            if (problem != null) {
                IoStatus lost = IoStatus.failed(IoError.IO, fileName() + ": dirty cache block " + e.block
                        + " (disk offset " + e.block * cbs + ") " + problem + "; it cannot be written back");
                LOG.log(Level.ERROR, lost.message());
                resolveWaiters(lost);
                return;
            }
            data.put(e.block, buf.flip());
        }
        writeBackRunning = true;
        List<Long> blocks = batch.stream().map(e -> e.block).sorted().toList();
        List<IoRequest> writes = new ArrayList<>();
        int maxRun = Math.max(1, context.maxRequestLength() / cbs);
        int i = 0;
        while (i < blocks.size()) {
            int j = i;
            while (j + 1 < blocks.size() && blocks.get(j + 1) == blocks.get(j) + 1 && j + 1 - i < maxRun) {
                j++;
            }
            ByteBuffer run = ByteBuffer.allocate((j - i + 1) * cbs);
            for (int k = i; k <= j; k++) {
                run.put(data.get(blocks.get(k)));
            }
            writes.add(IoRequest.write(ownTags.incrementAndGet(), blocks.get(i) * cbs, run.flip(), false));
            i = j + 1;
        }
        int[] left = {writes.size()};
        IoStatus[] failed = {null};
        for (IoRequest w : writes) {
            below(w, status -> {
                if (!status.isOk() && failed[0] == null) {
                    failed[0] = status;
                }
                if (--left[0] == 0) {
                    if (failed[0] != null || !belowFlush) {
                        finishBatch(batch, versionsAtStart, failed[0] == null ? IoStatus.OK : failed[0]);
                    } else {
                        below(IoRequest.flush(ownTags.incrementAndGet()),
                                st -> finishBatch(batch, versionsAtStart, st));
                    }
                }
            });
        }
    }

    private void finishBatch(List<Entry> batch, long[] versionsAtStart, IoStatus status) {
        writeBackRunning = false;
        IoStatus outcome = status;
        if (status.isOk() && cache != null) {
            try {
                if (cache.logNearlyFull(batch.size() + 1)) {
                    cache.checkpoint(dirtyList());
                }
                for (int k = 0; k < batch.size(); k++) {
                    Entry e = batch.get(k);
                    if (index.get(e.block) == e && e.dirty && e.version == versionsAtStart[k]) {
                        e.dirty = false;
                        dirtyOrder.remove(e.block);
                        e.reusableAfter = cache.syncs() + 1;
                        if (failure == null) {
                            cache.appendClean(e.block, e.slot);
                        }
                        writtenBack += cbs;
                    }
                }
                if (failure == null) {
                    cache.force();
                    releaseQuarantine();
                } else {
                    batch.forEach(this::drop);
                }
            } catch (IOException x) {
                deviceFailed(x); // the data is below and flushed: the blocks are clean whatever the log says
            }
            dirtyBlocks = dirtyOrder.size();
        } else if (!status.isOk()) {
            outcome = IoStatus.failed(status.error() == null ? IoError.IO : status.error(),
                    "cache: write-back of " + batch.size() + " dirty blocks of " + fileName() + " failed below: "
                            + status.message());
            LOG.log(Level.WARNING, outcome.message());
            scheduleRetry();
        }
        resolveWaiters(outcome.isOk() ? null : outcome);
        if (dirtyOrder.size() <= lowBlocks && waiters.isEmpty()) {
            draining = false;
        }
        if (outcome.isOk()) {
            List<Runnable> retry = new ArrayList<>(waitingForRoom);
            waitingForRoom.clear();
            retry.forEach(Runnable::run);
            maybeWriteBack();
        }
    }

    private void scheduleRetry() {
        if (retryScheduled || cache == null) {
            return;
        }
        retryScheduled = true;
        context.schedule(() -> {
            retryScheduled = false;
            if (!dirtyOrder.isEmpty()) {
                draining = true;
                startWriteBack();
            }
            List<Runnable> retry = new ArrayList<>(waitingForRoom);
            waitingForRoom.clear();
            retry.forEach(Runnable::run);
        }, RETRY);
    }

    /** Finish waiters that have nothing left to wait for; with {@code failed}, fail every waiter. */
    private void resolveWaiters(IoStatus failed) {
        List<Waiter> done = new ArrayList<>();
        for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
            Waiter w = it.next();
            if (failed != null || !hasDirtyUpTo(w.version)) {
                done.add(w);
                it.remove();
            }
        }
        done.forEach(w -> w.then.accept(failed == null ? IoStatus.OK : failed));
    }

    // ------------------------------------------------------------------ control events

    @Override
    public void onEvent(ControlEvent event) throws FilterRefusedException {
        switch (event.kind()) {
            case ATTACH -> attach();
            case MIGRATE_IN -> {
                long dirty = onExecutor(event, () -> (long) dirtyOrder.size());
                if (dirty > 0) {
                    throw new FilterRefusedException(fileName() + " holds " + dirty + " dirty blocks from an earlier"
                            + " session of disk '" + context.diskId() + "' on this host; they predate the migration"
                            + " and would overwrite newer data: recover or move the file away first");
                }
            }
            case SWAP_IN -> swapIn(event);
            case SNAPSHOT_PREPARE, MIGRATE_OUT -> writeBackAll(event, true);
            case SWAP_OUT -> {
                writeBackAll(event, true);
                StateHandoff handoff = event.handoff().orElseThrow();
                onExecutor(event, () -> {
                    handOver(handoff);
                    return 0L;
                });
            }
            case SWAP_ABORT -> onExecutor(event, () -> {
                resume();
                return 0L;
            });
            case DETACH -> detach(event);
            default -> {
                // OPEN, CLOSE, STUN, UNSTUN, GROW and the aborts hold nothing for this filter
            }
        }
    }

    private void attach() throws FilterRefusedException {
        attachedAt = System.nanoTime();
        CacheFile f;
        try {
            f = CacheFile.open(path, context.diskId(), cbs, slotCount);
        } catch (IOException e) {
            throw new FilterRefusedException("cannot use " + fileName() + " for disk '" + context.diskId() + "': "
                    + e.getMessage(), e);
        }
        if (!f.recovered().isEmpty() && mode != CacheMode.WRITE_BACK) {
            int n = f.recovered().size();
            closeQuietly(f);
            throw new FilterRefusedException(fileName() + " holds " + n + " dirty blocks of disk '" + context.diskId()
                    + "' from a write-back session that did not end cleanly; attach with cache.mode=write-back to"
                    + " recover and write them back");
        }
        cache = f;
        BitSet used = new BitSet();
        for (CacheFile.Dirty d : f.recovered()) {
            Entry e = new Entry(d.block(), d.slot(), d.crc(), true, ++versions);
            index.put(d.block(), e);
            dirtyOrder.add(d.block());
            policy.insert(d.block());
            used.set(d.slot());
        }
        rebuildFree(used);
        cachedBlocks = index.size();
        dirtyBlocks = dirtyOrder.size();
        recoveredBlocks = dirtyOrder.size();
        if (!dirtyOrder.isEmpty()) {
            LOG.log(Level.INFO, "cache on disk '" + context.diskId() + "' recovered " + dirtyOrder.size()
                    + " dirty blocks from " + path);
            draining = true;
            // Write them back as soon as the disk serves (a submit refused before that is retried).
            context.schedule(this::maybeWriteBack, Duration.ofMillis(1));
        }
        factory.attached(this);
    }

    private void rebuildFree(BitSet used) {
        free.clear();
        for (int s = 0; s < slotCount; s++) {
            if (!used.get(s)) {
                free.add(s);
            }
        }
    }

    private void writeBackAll(ControlEvent event, boolean refuseOnFailure) throws FilterRefusedException {
        CompletableFuture<IoStatus> done = new CompletableFuture<>();
        executor.execute(() -> writeBackUpTo(Long.MAX_VALUE, done::complete));
        IoStatus status;
        try {
            status = done.get(millisLeft(event), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            status = IoStatus.failed(IoError.TIMED_OUT, "write-back of " + dirtyBlocks + " dirty blocks did not"
                    + " finish before the deadline of " + event.kind());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            status = IoStatus.failed(IoError.IO, "interrupted");
        } catch (java.util.concurrent.ExecutionException e) {
            status = IoStatus.failed(IoError.IO, String.valueOf(e.getCause()));
        }
        if (!status.isOk()) {
            String why = "cannot write back the dirty data of " + fileName() + " before " + event.kind() + ": "
                    + status.message();
            if (refuseOnFailure && event.kind().refusable()) {
                throw new FilterRefusedException(why);
            }
            LOG.log(Level.ERROR, why + "; the dirty data stays in the cache file and is recovered at the next attach");
        }
    }

    private static long millisLeft(ControlEvent event) {
        return Math.max(1, Duration.between(Instant.now(), event.deadline()).toMillis() - 20);
    }

    private <T> T onExecutor(ControlEvent event, java.util.concurrent.Callable<T> task) throws FilterRefusedException {
        CompletableFuture<T> result = new CompletableFuture<>();
        executor.execute(() -> {
            try {
                result.complete(task.call());
            } catch (Exception | Error e) {
                result.completeExceptionally(e);
            }
        });
        try {
            return result.get(millisLeft(event), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof FilterRefusedException r) {
                throw r;
            }
            throw new FilterRefusedException("cache: " + event.kind() + " failed: " + c, c);
        } catch (TimeoutException e) {
            throw new FilterRefusedException("cache: " + event.kind() + " did not finish before its deadline");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FilterRefusedException("cache: interrupted during " + event.kind());
        }
    }

    /** SWAP_OUT: everything is written back; force, describe the clean blocks, and stop touching the file. */
    private void handOver(StateHandoff handoff) throws IOException, FilterRefusedException {
        if (cache == null) {
            return;
        }
        if (!dirtyOrder.isEmpty()) {
            throw new FilterRefusedException(fileName() + " still holds " + dirtyOrder.size() + " dirty blocks");
        }
        if (failure == null) {
            cache.force();
            releaseQuarantine();
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            CacheFile.Tail tail = cache.tail();
            out.writeInt(HANDOFF_VERSION);
            out.writeLong(cache.token());
            out.writeLong(tail.epoch());
            out.writeLong(tail.nextSeq());
            out.writeInt(cbs);
            out.writeLong(slotCount);
            List<Entry> clean = index.values().stream().filter(e -> e.reusableAfter <= cache.syncs()).toList();
            out.writeInt(clean.size());
            for (Entry e : clean) {
                out.writeLong(e.block);
                out.writeInt(e.slot);
                out.writeInt(e.crc);
            }
            out.flush();
            handoff.put(HANDOFF_KEY, bytes.toByteArray());
        }
        relinquished = true;
    }

    /** SWAP_ABORT: serve again; a successor may have written a checkpoint, so start a newer one. */
    private void resume() throws IOException {
        if (!relinquished || cache == null) {
            return;
        }
        relinquished = false;
        CacheFile f = CacheFile.open(path, context.diskId(), cbs, slotCount);
        closeQuietly(cache);
        cache = f;
        quarantine.clear();
        for (Entry e : new ArrayList<>(index.values())) {
            drop(e); // a successor had the file: trust none of its clean blocks
        }
        rebuildFree(new BitSet());
    }

    /** SWAP_IN: adopt the predecessor's clean blocks if the file is exactly as it left it. */
    private void swapIn(ControlEvent event) throws FilterRefusedException {
        byte[] state = event.handoff().orElseThrow().get(HANDOFF_KEY).orElse(null);
        if (state == null || cache == null) {
            return; // start cold
        }
        onExecutor(event, () -> {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(state));
            if (in.readInt() != HANDOFF_VERSION) {
                return 0L;
            }
            long token = in.readLong();
            CacheFile.Tail tail = new CacheFile.Tail(in.readLong(), in.readLong());
            int blockSize = in.readInt();
            long slots = in.readLong();
            if (token != cache.token() || !tail.equals(cache.recoveredTail()) || blockSize != cbs
                    || slots != slotCount || !dirtyOrder.isEmpty()) {
                LOG.log(Level.INFO, "cache on disk '" + context.diskId() + "' starts cold: " + path
                        + " changed since the previous instance handed it over");
                return 0L;
            }
            int n = in.readInt();
            BitSet used = new BitSet();
            for (int k = 0; k < n; k++) {
                long block = in.readLong();
                int slot = in.readInt();
                int crc = in.readInt();
                if (slot >= 0 && slot < slotCount && !used.get(slot) && !index.containsKey(block)) {
                    index.put(block, new Entry(block, slot, crc, false, 0));
                    policy.insert(block);
                    used.set(slot);
                }
            }
            rebuildFree(used);
            cachedBlocks = index.size();
            return 0L;
        });
    }

    private void detach(ControlEvent event) throws FilterRefusedException {
        try {
            if (cache != null && !relinquished) {
                writeBackAll(event, false);
                onExecutor(event, () -> {
                    if (failure == null) {
                        cache.force();
                    }
                    return 0L;
                });
            }
        } catch (FilterRefusedException e) {
            LOG.log(Level.ERROR, "cache on disk '" + context.diskId() + "': " + e.getMessage());
        } finally {
            factory.detached(this);
            CompletableFuture<Void> closed = new CompletableFuture<>();
            executor.execute(() -> {
                if (cache != null) {
                    closeQuietly(cache);
                    boolean ours = dirtyOrder.isEmpty() && !relinquished; // a successor may use it
                    cache = null;
                    if (temporary && ours) {
                        try {
                            Files.deleteIfExists(path);
                        } catch (IOException ignored) {
                            // a temporary directory
                        }
                    }
                }
                closed.complete(null);
            });
            try {
                closed.get(millisLeft(event), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                LOG.log(Level.WARNING, "cache on disk '" + context.diskId() + "': closing " + path + ": " + e);
            }
        }
    }

    private static void closeQuietly(CacheFile f) {
        try {
            f.close();
        } catch (IOException ignored) {
            // closing a file we no longer use
        }
    }
}
