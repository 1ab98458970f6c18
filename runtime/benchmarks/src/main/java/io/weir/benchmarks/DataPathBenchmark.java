package io.weir.benchmarks;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import io.weir.backend.memory.MemoryBackend;
import io.weir.filter.FilterClass;
import io.weir.filter.FilterFactory;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;
import io.weir.vscsi.standalone.Disks;
import io.weir.vscsi.standalone.StandaloneDisk;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * 4 KiB random reads or writes through a standalone disk (vSCSI core, filter stack, memory backend), with no
 * filters or with four pass-through filters, at queue depth 1 or 32.
 *
 * <p>Closed loop: each invocation takes one of {@code qd} slots and submits one request; the request's
 * callback gives the slot back. So, apart from at most {@code qd} requests still in flight when an iteration
 * ends, every submission measured is also a completion. The {@code completed} secondary result counts
 * completions alone, so the two can be compared. The memory backend completes inline: this measures the
 * runtime's own cost per request, not storage.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch"}) // a fixed, pre-touched heap: G1 resizing a default heap made later iterations 25% slower
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class DataPathBenchmark {
    private static final int BLOCK = 4096;
    private static final long CAPACITY = 256L << 20;
    private static final int OFFSETS = 1 << 16;

    /** Number of pass-through filters in the stack: 0, or 4 (INSPECTION, COMPRESSION, REPLICATION, CACHE). */
    @Param({"0", "4"})
    public int filters;

    /** Requests kept in flight. */
    @Param({"1", "32"})
    public int qd;

    /** {@code read} or {@code write}. */
    @Param({"read", "write"})
    public String op;

    private StandaloneDisk disk;
    private Semaphore slots;
    private ByteBuffer[] buffers;
    private long[] offsets;
    private boolean write;
    private long tag;
    private final AtomicLong completions = new AtomicLong();
    private final AtomicReference<String> failure = new AtomicReference<>();

    /** Completed requests, reported by JMH as a rate beside the primary (submitted) one. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Completions {
        private DataPathBenchmark benchmark;
        private long start;

        @Setup(Level.Iteration)
        public void mark(DataPathBenchmark b) {
            benchmark = b;
            start = b.completions.get();
        }

        /** Requests completed since the iteration began. */
        public long completed() {
            return benchmark == null ? 0 : benchmark.completions.get() - start;
        }
    }

    @Setup(Level.Trial)
    public void open() throws Exception {
        write = switch (op) {
            case "read" -> false;
            case "write" -> true;
            default -> throw new IllegalArgumentException("op must be read or write: " + op);
        };
        MemoryBackend backend = MemoryBackend.durable(CAPACITY);
        populate(backend);
        Disks.Builder builder = Disks.builder("bench").backend(backend);
        if (filters == 4) {
            FilterFactory passThrough = context -> (request, chain) -> chain.pass();
            builder.filter("inspect", FilterClass.INSPECTION, passThrough, Map.of())
                    .filter("compress", FilterClass.COMPRESSION, passThrough, Map.of())
                    .filter("replicate", FilterClass.REPLICATION, passThrough, Map.of())
                    .filter("cache", FilterClass.CACHE, passThrough, Map.of());
        } else if (filters != 0) {
            throw new IllegalArgumentException("filters must be 0 or 4: " + filters);
        }
        disk = builder.open();
        slots = new Semaphore(qd);
        Random random = new Random(42);
        buffers = new ByteBuffer[qd];
        for (int i = 0; i < qd; i++) {
            byte[] bytes = new byte[BLOCK];
            random.nextBytes(bytes);
            buffers[i] = ByteBuffer.wrap(bytes);
        }
        offsets = new long[OFFSETS];
        for (int i = 0; i < OFFSETS; i++) {
            offsets[i] = (long) random.nextInt((int) (CAPACITY / BLOCK)) * BLOCK;
        }
    }

    /** Write the whole disk once, so reads find data in every page. */
    private static void populate(MemoryBackend backend) throws Exception {
        byte[] chunk = new byte[1 << 20];
        new Random(7).nextBytes(chunk);
        for (long offset = 0; offset < CAPACITY; offset += chunk.length) {
            CompletableFuture<IoStatus> done = new CompletableFuture<>();
            backend.submit(IoRequest.write(offset, offset, ByteBuffer.wrap(chunk), false), done::complete);
            IoStatus status = done.get();
            if (!status.isOk()) {
                throw new IllegalStateException("populating the disk failed: " + status);
            }
        }
    }

    @Benchmark
    public void io(Completions counters) throws InterruptedException {
        slots.acquire();
        long t = tag++;
        ByteBuffer buffer = buffers[(int) (t % qd)];
        long offset = offsets[(int) (t & (OFFSETS - 1))];
        IoRequest request = write ? IoRequest.write(t, offset, buffer, false) : IoRequest.read(t, offset, buffer);
        disk.submit(request, status -> {
            if (!status.isOk()) {
                failure.compareAndSet(null, request + ": " + status);
            }
            completions.incrementAndGet();
            slots.release();
        });
    }

    /** Let the requests still in flight finish, so each iteration starts from an idle disk. */
    @TearDown(Level.Iteration)
    public void drain() throws InterruptedException {
        if (!slots.tryAcquire(qd, 1, TimeUnit.MINUTES)) {
            throw new IllegalStateException(qd - slots.availablePermits() + " requests never completed");
        }
        slots.release(qd);
        String failed = failure.get();
        if (failed != null) {
            throw new IllegalStateException("a request failed: " + failed);
        }
    }

    @TearDown(Level.Trial)
    public void close() throws Exception {
        if (disk != null) {
            disk.close();
        }
    }
}
