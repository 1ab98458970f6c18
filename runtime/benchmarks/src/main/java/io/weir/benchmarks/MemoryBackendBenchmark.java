package io.weir.benchmarks;

import java.nio.ByteBuffer;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import io.weir.backend.memory.MemoryBackend;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;

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
import org.openjdk.jmh.annotations.Warmup;

/**
 * The memory backend alone, submitted to directly: the floor under {@link DataPathBenchmark}, whose numbers
 * minus these are the cost of the vSCSI core and the filter stack. It completes inline, so queue depth does
 * not apply.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch"}) // a fixed, pre-touched heap: G1 resizing a default heap made later iterations 25% slower
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class MemoryBackendBenchmark {
    private static final int BLOCK = 4096;
    private static final long CAPACITY = 256L << 20;
    private static final int OFFSETS = 1 << 16;

    /** {@code read} or {@code write}. */
    @Param({"read", "write"})
    public String op;

    private MemoryBackend backend;
    private ByteBuffer buffer;
    private long[] offsets;
    private boolean write;
    private long tag;
    private IoStatus last;

    @Setup(Level.Trial)
    public void open() {
        write = switch (op) {
            case "read" -> false;
            case "write" -> true;
            default -> throw new IllegalArgumentException("op must be read or write: " + op);
        };
        backend = MemoryBackend.durable(CAPACITY);
        Random random = new Random(42);
        byte[] chunk = new byte[1 << 20];
        random.nextBytes(chunk);
        for (long offset = 0; offset < CAPACITY; offset += chunk.length) {
            backend.submit(IoRequest.write(0, offset, ByteBuffer.wrap(chunk), false), this::check);
        }
        buffer = ByteBuffer.wrap(new byte[BLOCK]);
        offsets = new long[OFFSETS];
        for (int i = 0; i < OFFSETS; i++) {
            offsets[i] = (long) random.nextInt((int) (CAPACITY / BLOCK)) * BLOCK;
        }
    }

    private void check(IoStatus status) {
        if (!status.isOk()) {
            throw new IllegalStateException(status.toString());
        }
        last = status;
    }

    @Benchmark
    public IoStatus io() {
        long t = tag++;
        long offset = offsets[(int) (t & (OFFSETS - 1))];
        backend.submit(write ? IoRequest.write(t, offset, buffer, false) : IoRequest.read(t, offset, buffer),
                this::check);
        return last;
    }
}
