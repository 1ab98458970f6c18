package io.weir.certification.internal.checks;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import io.weir.backend.memory.MemoryBackend;
import io.weir.certification.internal.Check;
import io.weir.certification.internal.CheckContext;
import io.weir.certification.internal.Observation;
import io.weir.certification.internal.Outcome;
import io.weir.certification.internal.Patterns;
import io.weir.certification.internal.Rig;
import io.weir.certification.internal.Station;
import io.weir.certification.internal.Workload;
import io.weir.filter.Capability;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;

/**
 * The candidate never blocks the thread that calls it, and it does not buffer without bound when the layer below
 * stops answering.
 */
public final class NonBlockingCheck implements Check {
    /** The longest the candidate may spend in one call of {@code handle} or {@code completed}. */
    static final Duration MAX_CALL = Duration.ofNanos(Observation.SLOW_CALL_NANOS);
    /**
     * How many calls over {@link #MAX_CALL} show a blocking filter rather than the machine: on a loaded machine a
     * thread can lose its CPU for a while inside any call, so one or two slow calls prove nothing; a filter that
     * blocks does so on every call of some kind (every FLUSH, every write), which is a quarter or more of the 24.
     */
    static final int SLOW_CALLS_TOLERATED = 2;
    /** A single call this long is a block whatever the machine is doing. */
    static final Duration HARD_LIMIT = Duration.ofSeconds(1);
    private static final Duration SLOW_BACKEND = Duration.ofMillis(100);
    private static final int STALL_QUEUE_DEPTH = 16;
    /** Writes sent while the backend stalls: 4096 of 4 KiB, 16 MiB in all, four times the kit disk's capacity. */
    private static final int STALL_WRITES = 4096;
    private static final int STALL_WRITE_BYTES = Workload.UNIT;
    /**
     * Heap a candidate may add while it acknowledges more than a queue depth of writes that nothing below has
     * completed: half the kit disk's capacity. One that keeps acknowledged data in memory holds up to the whole
     * disk (4 MiB, even when it keeps only the latest data per block) and fails; one that keeps it on a device of
     * its own (a write-back cache on a file) holds an index and passes.
     */
    static final long STALL_HEAP_BUDGET = Rig.CAPACITY / 2;

    @Override
    public String id() {
        return "non-blocking";
    }

    @Override
    public String sentence() {
        return "the filter never blocks the thread that calls it, and while the layer below stalls it acknowledges "
                + "no more than the disk's queue depth of writes unless it keeps them off the heap";
    }

    @Override
    public Outcome run(CheckContext ctx) throws Exception {
        Outcome out = new Outcome();
        callerThread(ctx, out);
        stalledBelow(ctx, out);
        return out;
    }

    private static void callerThread(CheckContext ctx, Outcome out) throws Exception {
        String diskId = ctx.rig().nextDiskId();
        MemoryBackend memory = Rig.memory(diskId).latency(SLOW_BACKEND).build();
        Patterns patterns = new Patterns(ctx.seed(), Workload.UNIT);
        try (Station s = ctx.rig().open(diskId, memory, Rig.Layout.standard())) {
            boolean fua = s.disk().capabilities().contains(Capability.FUA);
            List<Station.Pending> sent = new ArrayList<>();
            long slowestSubmit = 0;
            for (int i = 0; i < 24; i++) {
                IoRequest r = switch (i % 4) {
                    case 0 -> s.write((long) i * Workload.UNIT, patterns.of(i, 1), false);
                    case 1 -> s.read((long) (i - 1) * Workload.UNIT, Workload.UNIT);
                    case 2 -> s.write((long) i * Workload.UNIT, patterns.of(i, 1), fua);
                    default -> IoRequest.flush(s.tag());
                };
                long t0 = System.nanoTime();
                sent.add(s.submit(r));
                slowestSubmit = Math.max(slowestSubmit, System.nanoTime() - t0);
            }
            for (Station.Pending p : sent) {
                IoStatus st = p.await(Rig.DEADLINE);
                out.expect(st != null && st.isOk(), p.request + " completed with " + st);
            }
            Observation o = s.observation();
            out.note("sent " + sent.size() + " requests (writes, FUA writes, reads, FLUSHes) over a backend answering after "
                    + SLOW_BACKEND.toMillis() + " ms; the slowest submit returned after " + slowestSubmit / 1_000_000
                    + " ms; the candidate spent at most " + micros(o.maxHandleNanos()) + " in handle ("
                    + o.slowestHandle() + ") and " + micros(o.maxCompletedNanos()) + " in completed");
            out.expect(o.slowHandles() <= SLOW_CALLS_TOLERATED && o.maxHandleNanos() <= HARD_LIMIT.toNanos(),
                    "the candidate blocked the caller's thread in handle: " + o.slowHandles() + " calls over "
                    + MAX_CALL.toMillis() + " ms, the longest " + micros(o.maxHandleNanos()) + " on " + o.slowestHandle());
            out.expect(o.slowCompleted() <= SLOW_CALLS_TOLERATED && o.maxCompletedNanos() <= HARD_LIMIT.toNanos(),
                    "the candidate blocked the completing thread in completed: " + o.slowCompleted() + " calls over "
                    + MAX_CALL.toMillis() + " ms, the longest " + micros(o.maxCompletedNanos()) + " on "
                    + o.slowestCompleted());
        }
    }

    /** Heap in use after asking for a full collection twice (the kit's JVM honours explicit GCs). */
    private static long heapAfterGc() {
        Runtime rt = Runtime.getRuntime();
        System.gc();
        System.gc();
        return rt.totalMemory() - rt.freeMemory();
    }

    private static String micros(long nanos) {
        return nanos >= 10_000_000 ? nanos / 1_000_000 + " ms" : nanos / 1000 + " µs";
    }

    private static void stalledBelow(CheckContext ctx, Outcome out) throws Exception {
        String diskId = ctx.rig().nextDiskId();
        Patterns patterns = new Patterns(ctx.seed(), Workload.UNIT);
        Rig.Layout layout = Rig.Layout.standard().queueDepth(STALL_QUEUE_DEPTH);
        try (Station s = ctx.rig().open(diskId, Rig.memory(diskId).build(), layout)) {
            s.tap().stall();
            // one shared buffer for every write: the kit itself keeps no copy of what it sent on the heap
            ByteBuffer data = ByteBuffer.wrap(patterns.of(1, 1));
            ByteBuffer payload = ByteBuffer.allocate(STALL_WRITE_BYTES);
            while (payload.hasRemaining()) {
                payload.put(data.duplicate().limit(Math.min(data.capacity(), payload.remaining())));
            }
            int slots = (int) (Rig.CAPACITY / STALL_WRITE_BYTES);
            List<Station.Pending> sent = java.util.Collections.synchronizedList(new ArrayList<>());
            AtomicInteger okWhileStalled = new AtomicInteger();
            long heapBefore = heapAfterGc();
            Thread feeder = new Thread(() -> {
                try {
                    for (int i = 0; i < STALL_WRITES; i++) {
                        sent.add(s.submit(IoRequest.write(s.tag(), (long) (i % slots) * STALL_WRITE_BYTES,
                                payload.duplicate().clear(), false)));
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "weir-certification-feeder");
            feeder.setDaemon(true);
            feeder.start();
            Thread.sleep(Math.min(400, Math.max(100, ctx.budget().toMillis() / 4)));
            int accepted;
            synchronized (sent) {
                accepted = sent.size();
                for (Station.Pending p : sent) {
                    if (p.isDone() && p.await(Duration.ZERO) != null && p.await(Duration.ZERO).isOk()) {
                        okWhileStalled.incrementAndGet();
                    }
                }
            }
            int held = s.tap().heldCount();
            long growth = Math.max(0, heapAfterGc() - heapBefore);
            s.tap().release();
            feeder.join(Rig.DEADLINE.toMillis());
            int failed = 0;
            for (Station.Pending p : new ArrayList<>(sent)) {
                IoStatus st = p.await(Rig.DEADLINE);
                if (st == null || !st.isOk()) {
                    failed++;
                }
            }
            long okBytes = (long) okWhileStalled.get() * STALL_WRITE_BYTES;
            out.note("the backend stopped answering; a feeder sent " + STALL_WRITE_BYTES / 1024 + " KiB writes to a disk of"
                    + " queue depth " + STALL_QUEUE_DEPTH + ": " + accepted + " were admitted, " + okWhileStalled.get()
                    + " (" + okBytes / 1024 + " KiB) completed to the guest while the backend completed nothing, " + held
                    + " were waiting at the backend; the heap in use (after a GC) grew by " + growth / 1024 + " KiB");
            if (okWhileStalled.get() > STALL_QUEUE_DEPTH) {
                out.expect(growth <= STALL_HEAP_BUDGET, "the candidate acknowledged " + okWhileStalled.get() + " writes ("
                        + okBytes / 1024 + " KiB) while nothing below it completed, more than the disk's queue depth of "
                        + STALL_QUEUE_DEPTH + ", and the heap grew by " + growth / 1024 + " KiB (budget "
                        + STALL_HEAP_BUDGET / 1024 + " KiB): it buffers acknowledged data in memory without bound");
                if (growth <= STALL_HEAP_BUDGET) {
                    out.note("more than a queue depth absorbed, off the heap (a device of the candidate's own)");
                }
            }
            out.expect(failed == 0, failed + " of the writes sent during the stall failed after the backend resumed");
            out.note("after the backend resumed, all " + sent.size() + " writes completed" + (failed > 0 ? " (" + failed
                    + " failed)" : ""));
        }
    }
}
