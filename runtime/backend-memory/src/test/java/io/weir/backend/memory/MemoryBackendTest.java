package io.weir.backend.memory;

import static io.weir.backend.BackendTestSupport.call;
import static io.weir.backend.BackendTestSupport.filled;
import static io.weir.backend.BackendTestSupport.read;
import static io.weir.backend.BackendTestSupport.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import io.weir.filter.Capability;
import io.weir.filter.IoError;
import io.weir.filter.IoOp;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;

import org.junit.jupiter.api.Test;

/**
 * What is particular to the memory backend: pages, latency, faults, the volatile cache. The backend contract runs in
 * {@link MemoryBackendContractTest}.
 */
class MemoryBackendTest {
    private static final int BLOCK = 4096;
    private static final long MIB = 1 << 20;

    @Test
    void writeAcrossPageBoundariesReadsBackWhole() throws Exception {
        MemoryBackend backend = MemoryBackend.durable(16 * MIB);
        long offset = MemoryBackend.PAGE_SIZE - 512;
        ByteBuffer data = filled(2 * MemoryBackend.PAGE_SIZE + 1024, 3);
        write(backend, offset, data, false);
        assertArrayEquals(data.array(), read(backend, offset, data.capacity()));
        assertArrayEquals(new byte[512], read(backend, offset - 512, 512));
    }

    @Test
    void unwrittenDiskAllocatesNoPages() {
        MemoryBackend backend = MemoryBackend.durable(1L << 40);
        assertEquals(0, backend.allocatedBytes());
        assertEquals(1L << 40, backend.capacity());
    }

    @Test
    void writeAllocatesOnlyThePagesItTouches() throws Exception {
        MemoryBackend backend = MemoryBackend.durable(1L << 30);
        write(backend, 512 * MIB, filled(BLOCK, 5), false);
        assertEquals(MemoryBackend.PAGE_SIZE, backend.allocatedBytes());
    }

    @Test
    void unmapAndWriteZeroesReleaseWholePages() throws Exception {
        MemoryBackend backend = MemoryBackend.durable(16 * MIB);
        write(backend, 0, filled(4 * MemoryBackend.PAGE_SIZE, 7), false);
        assertEquals(4L * MemoryBackend.PAGE_SIZE, backend.allocatedBytes());
        assertTrue(call(backend, IoRequest.unmap(0, 0, MemoryBackend.PAGE_SIZE)).isOk());
        assertTrue(call(backend, IoRequest.writeZeroes(0, MemoryBackend.PAGE_SIZE, MemoryBackend.PAGE_SIZE + BLOCK,
                false)).isOk());
        assertEquals(2L * MemoryBackend.PAGE_SIZE, backend.allocatedBytes());
    }

    @Test
    void reopenSeesTheSameContentsAfterClose() throws Exception {
        MemoryBackend backend = MemoryBackend.durable(MIB);
        ByteBuffer data = filled(BLOCK, 12);
        write(backend, BLOCK, data, false);
        backend.close();
        MemoryBackend again = backend.reopen();
        assertArrayEquals(data.array(), read(again, BLOCK, BLOCK));
        assertTrue(backend.isClosed());
        assertFalse(again.isClosed());
    }

    @Test
    void withoutLatencyTheCallbackRunsInlineOnTheCallersThread() {
        MemoryBackend backend = MemoryBackend.durable(MIB);
        AtomicReference<Thread> ran = new AtomicReference<>();
        backend.submit(IoRequest.flush(1), status -> ran.set(Thread.currentThread()));
        assertSame(Thread.currentThread(), ran.get());
    }

    @Test
    void withLatencyTheCallbackRunsLaterOnAnotherThread() throws Exception {
        MemoryBackend backend = MemoryBackend.builder(MIB).latency(Duration.ofMillis(1)).build();
        CompletableFuture<Thread> ran = new CompletableFuture<>();
        ByteBuffer data = filled(BLOCK, 13);
        backend.submit(IoRequest.write(1, 0, data, false), status -> {
            assertTrue(status.isOk());
            ran.complete(Thread.currentThread());
        });
        assertNotEquals(Thread.currentThread(), ran.get(1, TimeUnit.MINUTES));
        backend.setLatency(Duration.ZERO, Duration.ZERO);
        assertArrayEquals(data.array(), read(backend, 0, BLOCK));
        backend.close();
    }

    @Test
    void closeWaitsForDelayedRequests() throws Exception {
        MemoryBackend backend = MemoryBackend.builder(MIB).latency(Duration.ofMillis(5), Duration.ofMillis(20)).build();
        AtomicInteger completed = new AtomicInteger();
        int count = 50;
        for (int i = 0; i < count; i++) {
            backend.submit(IoRequest.write(i, (long) i * BLOCK, filled(BLOCK, i), false), s -> completed.incrementAndGet());
        }
        backend.close();
        assertEquals(count, completed.get());
    }

    @Test
    void failNextFailsOnlyTheNextMatchingRequestAndChangesNothing() throws Exception {
        MemoryBackend backend = MemoryBackend.durable(MIB);
        backend.failNext(r -> r.op() == IoOp.WRITE, IoError.NO_SPACE);
        assertTrue(read(backend, 0, BLOCK).length == BLOCK);
        IoStatus failed = call(backend, IoRequest.write(7, 0, filled(BLOCK, 14), false));
        assertEquals(IoError.NO_SPACE, failed.error());
        assertTrue(failed.message().contains("injected"), failed.message());
        assertArrayEquals(new byte[BLOCK], read(backend, 0, BLOCK));
        ByteBuffer data = filled(BLOCK, 15);
        write(backend, 0, data, false);
        assertArrayEquals(data.array(), read(backend, 0, BLOCK));
    }

    @Test
    void failMatchingFailsEveryMatchingRequestUntilCleared() throws Exception {
        MemoryBackend backend = MemoryBackend.durable(MIB);
        backend.failMatching(r -> r.op() == IoOp.FLUSH, IoError.IO);
        assertEquals(IoError.IO, call(backend, IoRequest.flush(1)).error());
        assertEquals(IoError.IO, call(backend, IoRequest.flush(2)).error());
        assertTrue(call(backend, IoRequest.read(3, 0, ByteBuffer.allocate(BLOCK))).isOk());
        backend.clearFaults();
        assertTrue(call(backend, IoRequest.flush(4)).isOk());
    }

    @Test
    void capabilitiesCanBeNarrowed() {
        assertEquals(EnumSet.allOf(Capability.class), MemoryBackend.durable(MIB).capabilities());
        MemoryBackend narrow = MemoryBackend.builder(MIB).capabilities(EnumSet.of(Capability.FLUSH)).build();
        assertEquals(EnumSet.of(Capability.FLUSH), narrow.capabilities());
    }

    @Test
    void concurrentWritersNeverTearAWrite() throws Exception {
        // Requests are atomic as a whole (see MemoryBackend); this exercises writes that straddle two page
        // boundaries, so the stripes of three pages are involved, against concurrent readers.
        MemoryBackend backend = MemoryBackend.durable(MIB);
        long offset = MemoryBackend.PAGE_SIZE - 2 * BLOCK;
        int length = MemoryBackend.PAGE_SIZE + 4 * BLOCK;
        int writers = 3;
        int rounds = 2_000;
        AtomicReference<String> torn = new AtomicReference<>();
        ExecutorService pool = Executors.newFixedThreadPool(writers + 1);
        List<Future<?>> futures = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            byte value = (byte) (w + 1);
            futures.add(pool.submit(() -> {
                byte[] bytes = new byte[length];
                Arrays.fill(bytes, value);
                for (int i = 0; i < rounds; i++) {
                    backend.submit(IoRequest.write(i, offset, ByteBuffer.wrap(bytes), false),
                            s -> assertTrue(s.isOk()));
                }
            }));
        }
        futures.add(pool.submit(() -> {
            for (int i = 0; i < rounds; i++) {
                ByteBuffer buffer = ByteBuffer.allocate(length);
                backend.submit(IoRequest.read(i, offset, buffer), s -> assertTrue(s.isOk()));
                String problem = uniformity(buffer.array());
                if (problem != null) {
                    torn.compareAndSet(null, "read " + i + ": " + problem);
                }
            }
        }));
        for (Future<?> f : futures) {
            f.get(5, TimeUnit.MINUTES);
        }
        pool.shutdown();
        assertEquals(null, torn.get());
        assertEquals(null, uniformity(backend.peek(offset, length)));
    }

    private static String uniformity(byte[] bytes) {
        for (int i = 1; i < bytes.length; i++) {
            if (bytes[i] != bytes[0]) {
                return "byte " + i + " is " + bytes[i] + " but byte 0 is " + bytes[0];
            }
        }
        return null;
    }

    @Test
    void delayedRequestsPendingAtPowerLossFailWithoutTakingEffect() throws Exception {
        MemoryBackend backend = MemoryBackend.builder(MIB).volatileCache(new Random(1))
                .latency(Duration.ofSeconds(1)).build();
        CompletableFuture<IoStatus> done = new CompletableFuture<>();
        backend.submit(IoRequest.write(1, 0, filled(BLOCK, 16), true), done::complete);
        assumeFalse(done.isDone(), "the delayed write completed before the power loss could be simulated");
        backend.powerLoss();
        IoStatus status = done.get(1, TimeUnit.MINUTES);
        assertEquals(IoError.IO, status.error());
        assertTrue(status.message().contains("power"), status.message());
        assertArrayEquals(new byte[BLOCK], backend.peek(0, BLOCK));
        backend.close();
    }

    @Test
    void closeMakesCachedWritesDurable() throws Exception {
        MemoryBackend backend = MemoryBackend.volatileCache(MIB, new Random(2));
        ByteBuffer data = filled(BLOCK, 17);
        write(backend, 0, data, false);
        assertEquals(1, backend.pendingWrites());
        backend.close();
        assertEquals(0, backend.pendingWrites());
        backend.powerLoss();
        assertArrayEquals(data.array(), backend.peek(0, BLOCK));
    }

    @Test
    void peekRefusesRangesOutsideTheDisk() {
        MemoryBackend backend = MemoryBackend.durable(MIB);
        assertThrows(IndexOutOfBoundsException.class, () -> backend.peek(MIB - 1, 2));
        assertNotNull(backend.peek(MIB - 1, 1));
    }
}
