package io.weir.admin.load;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLong;

import io.weir.filter.Capability;
import io.weir.filter.IoCallback;
import io.weir.filter.IoError;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;
import io.weir.vscsi.VirtualDisk;

/**
 * Drives a {@link VirtualDisk} with a configurable workload and measures it.
 *
 * <p><b>Threads.</b> One driver thread (the caller of {@link #run}) issues every request and handles every
 * completion. Completion callbacks, which run on the disk's threads, only time-stamp the request and queue it
 * for the driver; they never block, verify or resubmit. The driver may block in
 * {@link VirtualDisk#submit} when the disk's own queue is full, which is the disk's backpressure.
 *
 * <p><b>Units.</b> The region is cut into units of {@code blockSize} bytes; a tail shorter than one unit is not
 * used. Each request covers one unit.
 *
 * <p><b>Verify mode.</b> Writes carry {@link BlockPattern} data for (logical block, generation, seed); the
 * generator remembers each unit's generation and checks every byte of every read against it. At most one
 * request per unit is in flight, so the expected contents are never ambiguous (the effective queue depth is
 * at most the number of units). Reads only go to units this run has already written: a read drawn for a unit
 * not yet written becomes a write, so early in a run the read share is lower than asked. Data that was on the
 * disk before the run is never read, hence never misjudged. A unit whose write failed is not read again
 * until rewritten. When the run wrote anything and the disk offers FLUSH, it ends with a FLUSH.
 */
public final class LoadGenerator {
    /** Verify mode keeps 8 bytes per unit; this bounds that memory to 128 MiB. */
    public static final int MAX_VERIFY_UNITS = 1 << 24;
    /** After this many errors and mismatches the run stops issuing requests. */
    static final int MAX_PROBLEMS = 100;
    /** Problems kept word for word in the result. */
    static final int KEPT_PROBLEMS = 5;

    private static final int BUSY = 1;
    private static final int POISONED = 2;
    private static final int GEN_SHIFT = 2;
    private static final int MAX_GENERATION = (1 << 29) - 1;

    private final VirtualDisk disk;
    private final LoadSpec spec;
    private final long regionLength;
    private final long units;
    private final int diskBlockSize;
    private final int effectiveQueueDepth;
    private final long stallNanos;
    private volatile boolean cancelled;

    /**
     * Check {@code spec} against {@code disk}.
     *
     * @throws IllegalArgumentException with a precise message when the run does not fit the disk
     */
    public LoadGenerator(VirtualDisk disk, LoadSpec spec) {
        this(disk, spec, TimeUnit.SECONDS.toNanos(60));
    }

    /** As {@link #LoadGenerator(VirtualDisk, LoadSpec)}; gives up on requests after {@code stallNanos} without any completion. */
    LoadGenerator(VirtualDisk disk, LoadSpec spec, long stallNanos) {
        this.disk = disk;
        this.spec = spec;
        this.stallNanos = stallNanos;
        this.diskBlockSize = disk.blockSize();
        long capacity = disk.capacity();
        String name = "disk '" + disk.id() + "'";
        if (spec.blockSize() % diskBlockSize != 0) {
            throw new IllegalArgumentException("block size " + spec.blockSize() + " is not a multiple of " + name
                    + "'s logical block size " + diskBlockSize);
        }
        if (spec.blockSize() > disk.maxRequestLength()) {
            throw new IllegalArgumentException("block size " + spec.blockSize() + " exceeds " + name
                    + "'s largest request of " + disk.maxRequestLength() + " bytes");
        }
        if (spec.regionOffset() % diskBlockSize != 0 || spec.regionLength() % diskBlockSize != 0) {
            throw new IllegalArgumentException("region offset and length must be multiples of " + name
                    + "'s logical block size " + diskBlockSize);
        }
        if (spec.regionOffset() >= capacity) {
            throw new IllegalArgumentException("region offset " + spec.regionOffset() + " is not inside " + name
                    + " (capacity " + capacity + " bytes)");
        }
        this.regionLength = spec.regionLength() == 0 ? capacity - spec.regionOffset() : spec.regionLength();
        if (regionLength > capacity - spec.regionOffset()) {
            throw new IllegalArgumentException("region " + spec.regionOffset() + "+" + regionLength + " ends beyond "
                    + name + " (capacity " + capacity + " bytes)");
        }
        if (regionLength < spec.blockSize()) {
            throw new IllegalArgumentException("region of " + regionLength + " bytes is smaller than one block of "
                    + spec.blockSize() + " bytes");
        }
        this.units = regionLength / spec.blockSize();
        if (spec.verify() && units > MAX_VERIFY_UNITS) {
            throw new IllegalArgumentException("verify mode tracks at most " + MAX_VERIFY_UNITS + " blocks, the region holds "
                    + units + " of " + spec.blockSize() + " bytes; use a larger block size or a smaller region");
        }
        if (spec.verify() && diskBlockSize % 8 != 0) {
            throw new IllegalArgumentException("verify mode needs a logical block size that is a multiple of 8");
        }
        this.effectiveQueueDepth = (int) Math.min(spec.queueDepth(), spec.verify() ? units : spec.queueDepth());
    }

    /** Ask a running {@link #run} to stop issuing requests, drain and return; safe from any thread. */
    public void cancel() {
        cancelled = true;
    }

    /** Run the workload on the calling thread and return its outcome. {@code listener} may be null. */
    public LoadResult run(Progress.Listener listener) {
        return new Run(listener).execute();
    }

    /** The state of one run, touched by the driver thread only (except for what callbacks queue). */
    private final class Run {
        private final Progress.Listener listener;
        private final LinkedBlockingQueue<Completion> completions = new LinkedBlockingQueue<>();
        private final SplittableRandom random = new SplittableRandom(spec.seed());
        private final LatencyHistogram histogram = new LatencyHistogram();
        private final BlockPattern pattern;
        private final ByteBuffer scratch;
        private final int[] unitState;
        private final int[] written;
        private final AtomicLong lateCompletions = new AtomicLong();
        private final List<String> problems = new ArrayList<>();
        private int writtenCount;
        private long cursor;
        private long tag;
        private int inFlight;
        private long issuedBytes;
        private long ops;
        private long reads;
        private long writes;
        private long bytesRead;
        private long bytesWritten;
        private long errors;
        private long verifyFailures;
        private long verifiedReads;
        private String stoppedEarly = "";
        private boolean stalled;
        private long startNanos;
        private long lastCompletionNanos;

        Run(Progress.Listener listener) {
            this.listener = listener;
            if (spec.verify()) {
                pattern = new BlockPattern(diskBlockSize, spec.seed());
                scratch = ByteBuffer.allocate(spec.blockSize());
                unitState = new int[(int) units];
                written = new int[(int) units];
            } else {
                pattern = null;
                scratch = null;
                unitState = null;
                written = null;
            }
        }

        LoadResult execute() {
            boolean interrupted = false;
            List<Slot> slots = new ArrayList<>(effectiveQueueDepth);
            for (int i = 0; i < effectiveQueueDepth; i++) {
                slots.add(new Slot(spec.blockSize(), spec.verify() ? null : random));
            }
            startNanos = System.nanoTime();
            lastCompletionNanos = startNanos;
            long deadline = spec.durationNanos() > 0 ? startNanos + spec.durationNanos() : Long.MAX_VALUE;
            long nextProgress = startNanos + TimeUnit.SECONDS.toNanos(1);
            long lastProgressNanos = startNanos;
            long lastProgressOps = 0;
            long lastProgressBytes = 0;
            try {
                for (Slot slot : slots) {
                    if (mayIssue(deadline)) {
                        issue(slot);
                    }
                }
            } catch (InterruptedException e) {
                interrupted = true;
                cancelled = true;
            }
            long idleSince = System.nanoTime();
            while (inFlight > 0) {
                Completion done;
                try {
                    done = completions.poll(200, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    interrupted = true;
                    cancelled = true;
                    continue;
                }
                long now = System.nanoTime();
                if (done != null) {
                    idleSince = now;
                    complete(done);
                    try {
                        if (mayIssue(deadline)) {
                            issue(done.slot);
                        }
                    } catch (InterruptedException e) {
                        interrupted = true;
                        cancelled = true;
                    }
                } else if (now - idleSince > stallNanos) {
                    errors += inFlight;
                    problem(inFlight + " request(s) did not complete within " + TimeUnit.NANOSECONDS.toSeconds(stallNanos)
                            + " s; giving up on them");
                    stoppedEarly = "requests stopped completing";
                    stalled = true;
                    inFlight = 0;
                    break;
                }
                if (listener != null && now >= nextProgress) {
                    double interval = (now - lastProgressNanos) / 1e9;
                    long bytes = bytesRead + bytesWritten;
                    try {
                        listener.progress(new Progress(now - startNanos, ops, bytes, (ops - lastProgressOps) / interval,
                                (bytes - lastProgressBytes) / interval / 1e6, errors, verifyFailures));
                    } catch (Exception e) {
                        cancelled = true;
                    }
                    lastProgressNanos = now;
                    lastProgressOps = ops;
                    lastProgressBytes = bytes;
                    nextProgress = now + TimeUnit.SECONDS.toNanos(1);
                }
            }
            long elapsed = lastCompletionNanos - startNanos;
            boolean flushed = false;
            if (bytesWritten > 0 && !cancelled && !stalled) {
                try {
                    flushed = flush();
                } catch (InterruptedException e) {
                    interrupted = true;
                    cancelled = true;
                }
            }
            if (lateCompletions.get() > 0) {
                errors += lateCompletions.get();
                problem(lateCompletions.get() + " completion(s) arrived for requests that had already completed");
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            long[] latency = {histogram.percentile(50), histogram.percentile(90), histogram.percentile(99),
                histogram.percentile(99.9), histogram.max()};
            return new LoadResult(spec, units * spec.blockSize(), elapsed, ops, reads, writes, bytesRead, bytesWritten,
                    errors, verifyFailures, verifiedReads, latency, problems, flushed, cancelled, stoppedEarly);
        }

        private boolean mayIssue(long deadline) {
            if (cancelled) {
                return false;
            }
            if (errors + verifyFailures >= MAX_PROBLEMS) {
                stoppedEarly = "stopped after " + MAX_PROBLEMS + " errors and verify failures";
                return false;
            }
            if (spec.totalBytes() > 0) {
                return issuedBytes < spec.totalBytes();
            }
            return System.nanoTime() < deadline;
        }

        /** Choose what {@code slot} does next and submit it. */
        private void issue(Slot slot) throws InterruptedException {
            boolean read = spec.readPercent() > 0 && random.nextInt(100) < spec.readPercent();
            long unit;
            if (spec.verify()) {
                if (spec.pattern() == LoadSpec.Pattern.SEQUENTIAL) {
                    unit = freeUnit();
                    read = read && readable(unitState[(int) unit]);
                } else {
                    unit = read ? readableUnit() : -1;
                    if (unit < 0) {
                        read = false;
                        unit = freeUnit();
                    }
                }
                unitState[(int) unit] |= BUSY;
            } else {
                unit = nextUnit();
            }
            long offset = spec.regionOffset() + unit * spec.blockSize();
            slot.unit = unit;
            slot.offset = offset;
            slot.write = !read;
            ByteBuffer buf = slot.buffer.clear();
            if (spec.verify()) {
                int generation = unitState[(int) unit] >>> GEN_SHIFT;
                if (!read) {
                    generation = generation >= MAX_GENERATION ? 1 : generation + 1;
                    pattern.fill(buf, offset / diskBlockSize, generation);
                }
                slot.generation = generation;
            }
            IoRequest request = read ? IoRequest.read(++tag, offset, buf) : IoRequest.write(++tag, offset, buf, false);
            inFlight++;
            issuedBytes += spec.blockSize();
            Completion completion = new Completion(slot);
            try {
                disk.submit(request, completion);
            } catch (RuntimeException e) {
                // the disk broke its contract (failures travel through the callback); count it and carry on
                completion.done(IoStatus.failed(IoError.IO, "submit threw " + e));
            }
        }

        /** The next unit for a request when nothing needs to be tracked. */
        private long nextUnit() {
            if (spec.pattern() == LoadSpec.Pattern.SEQUENTIAL) {
                long u = cursor;
                cursor = cursor + 1 == units ? 0 : cursor + 1;
                return u;
            }
            return random.nextLong(units);
        }

        /** A written, intact, idle unit to read, or -1 when none is handy (the request then becomes a write). */
        private long readableUnit() {
            if (writtenCount == 0) {
                return -1;
            }
            for (int attempt = 0; attempt < 8; attempt++) {
                int u = written[random.nextInt(writtenCount)];
                if (readable(unitState[u])) {
                    return u;
                }
            }
            return -1;
        }

        private boolean readable(int state) {
            return (state & (BUSY | POISONED)) == 0 && (state >>> GEN_SHIFT) > 0;
        }

        /** An idle unit; for the sequential pattern the next idle one after the cursor. */
        private long freeUnit() {
            long u;
            if (spec.pattern() == LoadSpec.Pattern.SEQUENTIAL) {
                u = cursor;
            } else {
                u = random.nextLong(units);
                for (int attempt = 0; attempt < 8 && (unitState[(int) u] & BUSY) != 0; attempt++) {
                    u = random.nextLong(units);
                }
            }
            while ((unitState[(int) u] & BUSY) != 0) { // terminates: fewer requests in flight than units
                u = u + 1 == units ? 0 : u + 1;
            }
            if (spec.pattern() == LoadSpec.Pattern.SEQUENTIAL) {
                cursor = u + 1 == units ? 0 : u + 1;
            }
            return u;
        }

        /** Account for a completed request. */
        private void complete(Completion completion) {
            Slot slot = completion.slot;
            inFlight--;
            ops++;
            lastCompletionNanos = Math.max(lastCompletionNanos, completion.endNanos);
            histogram.record(completion.endNanos - completion.startNanos);
            IoStatus status = completion.status;
            int u = (int) slot.unit;
            if (slot.write) {
                writes++;
            } else {
                reads++;
            }
            if (!status.isOk()) {
                errors++;
                problem((slot.write ? "write" : "read") + " at offset " + slot.offset + " failed: " + status);
                if (spec.verify()) {
                    unitState[u] = slot.write ? (unitState[u] & ~BUSY) | POISONED : unitState[u] & ~BUSY;
                }
                return;
            }
            if (slot.write) {
                bytesWritten += spec.blockSize();
                if (spec.verify()) {
                    if ((unitState[u] >>> GEN_SHIFT) == 0) {
                        written[writtenCount++] = u;
                    }
                    unitState[u] = slot.generation << GEN_SHIFT;
                }
                return;
            }
            bytesRead += spec.blockSize();
            if (spec.verify()) {
                long firstBlock = slot.offset / diskBlockSize;
                ByteBuffer data = slot.buffer.clear();
                int bad = pattern.check(data, scratch, firstBlock, slot.generation);
                verifiedReads++;
                if (bad >= 0) {
                    verifyFailures++;
                    problem("verify failed at " + pattern.describe(data, bad, firstBlock, slot.generation));
                }
                unitState[u] &= ~BUSY;
            }
        }

        /** A FLUSH after the last write, when the disk offers one; true when it succeeded. */
        private boolean flush() throws InterruptedException {
            if (!disk.capabilities().contains(Capability.FLUSH)) {
                return false;
            }
            Completion flush = new Completion(null);
            disk.submit(IoRequest.flush(++tag), flush);
            long waitedSince = System.nanoTime();
            Completion done;
            do {
                done = completions.poll(200, TimeUnit.MILLISECONDS);
                if (done == null && System.nanoTime() - waitedSince > stallNanos) {
                    errors++;
                    problem("the final FLUSH did not complete within " + TimeUnit.NANOSECONDS.toSeconds(stallNanos) + " s");
                    return false;
                }
            } while (done != flush);
            if (!flush.status.isOk()) {
                errors++;
                problem("the final FLUSH failed: " + flush.status);
                return false;
            }
            return true;
        }

        private void problem(String line) {
            if (problems.size() < KEPT_PROBLEMS) {
                problems.add(line);
            }
        }

        /** One request's worth of buffer and bookkeeping, reused for the whole run. */
        private final class Slot {
            final ByteBuffer buffer;
            long unit;
            long offset;
            boolean write;
            int generation;

            Slot(int size, SplittableRandom fillRandom) {
                buffer = ByteBuffer.allocateDirect(size);
                if (fillRandom != null) {
                    for (int i = 0; i + 8 <= size; i += 8) {
                        buffer.putLong(i, fillRandom.nextLong());
                    }
                }
            }
        }

        /** The callback of one request: runs on whatever thread completed it, records and hands over, nothing else. */
        private final class Completion implements IoCallback {
            final Slot slot;
            final long startNanos = System.nanoTime();
            long endNanos;
            IoStatus status;
            volatile int called; // 0 until the first completion; through CALLED


            Completion(Slot slot) {
                this.slot = slot;
            }

            @Override
            public void done(IoStatus result) {
                long now = System.nanoTime();
                if (!CALLED.compareAndSet(this, 0, 1)) {
                    lateCompletions.incrementAndGet();
                    return;
                }
                endNanos = now;
                status = result == null ? IoStatus.failed(IoError.IO, "completed with no status") : result;
                completions.add(this); // publishes endNanos and status to the driver
            }
        }
    }

    private static final AtomicIntegerFieldUpdater<Run.Completion> CALLED =
            AtomicIntegerFieldUpdater.newUpdater(Run.Completion.class, "called");
}
