package io.weir.backend.memory;

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
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
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

class MemoryBackendTest {
    private static final int BLOCK = 4096;
    private static final long MIB = 1 << 20;

    static IoStatus call(MemoryBackend backend, IoRequest request) throws Exception {
        CompletableFuture<IoStatus> done = new CompletableFuture<>();
        backend.submit(request, status -> {
            if (!done.complete(status)) {
                throw new AssertionError("callback called twice for " + request);
            }
        });
        return done.get(1, TimeUnit.MINUTES);
    }

    static ByteBuffer filled(int length, int seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return ByteBuffer.wrap(bytes);
    }

    static byte[] read(MemoryBackend backend, long offset, int length) throws Exception {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        IoStatus status = call(backend, IoRequest.read(0, offset, buffer));
        assertTrue(status.isOk(), status::toString);
        return buffer.array();
    }

    static void write(MemoryBackend backend, long offset, ByteBuffer data, boolean fua) throws Exception {
        IoStatus status = call(backend, IoRequest.write(0, offset, data, fua));
        assertTrue(status.isOk(), status::toString);
    }

    @Test
    void writeThenReadReturnsSameBytes() throws Exception {
        MemoryBackend backend = MemoryBackend.durable(16 * MIB);
        ByteBuffer data = filled(3 * BLOCK, 1);
        write(backend, 5 * BLOCK, data, false);
        assertArrayEquals(data.array(), read(backend, 5 * BLOCK, 3 * BLOCK));
    }

    @Test
    void readOfUnwrittenRangeReturnsZeros() throws Exception {
        MemoryBackend backend = MemoryBackend.durable(16 * MIB);
        write(backend, 0, filled(BLOCK, 2), false);
        assertArrayEquals(new byte[8 * BLOCK], read(backend, 8 * MIB, 8 * BLOCK));
    }

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
    void buffersArePayloadBetweenPositionAndLimitAndAreNotMoved() throws Exception {
        MemoryBackend backend = MemoryBackend.durable(MIB);
        ByteBuffer source = filled(3 * BLOCK, 4);
        ByteBuffer slice = source.duplicate().position(BLOCK).limit(2 * BLOCK);
        write(backend, 0, slice, false);
        assertEquals(BLOCK, slice.position());
        ByteBuffer destination = ByteBuffer.allocate(3 * BLOCK).position(BLOCK).limit(2 * BLOCK);
        assertTrue(call(backend, IoRequest.read(0, 0, destination)).isOk());
        assertEquals(BLOCK, destination.position());
        assertArrayEquals(Arrays.copyOfRange(source.array(), BLOCK, 2 * BLOCK),
                Arrays.copyOfRange(destination.array(), BLOCK, 2 * BLOCK));
        assertArrayEquals(new byte[BLOCK], Arrays.copyOfRange(destination.array(), 0, BLOCK));
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
    void unmapThenReadReturnsZeros() throws Exception {
        MemoryBackend backend = MemoryBackend.durable(16 * MIB);
        ByteBuffer data = filled(4 * MemoryBackend.PAGE_SIZE, 6);
        write(backend, 0, data, false);
        int from = MemoryBackend.PAGE_SIZE - BLOCK;
        int length = 2 * MemoryBackend.PAGE_SIZE + 2 * BLOCK;
        assertTrue(call(backend, IoRequest.unmap(0, from, length)).isOk());
        byte[] expected = data.array().clone();
        Arrays.fill(expected, from, from + length, (byte) 0);
        assertArrayEquals(expected, read(backend, 0, expected.length));
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
    void writeZeroesThenReadReturnsZerosAndKeepsNeighbours() throws Exception {
        MemoryBackend backend = MemoryBackend.durable(MIB);
        ByteBuffer data = filled(4 * BLOCK, 8);
        write(backend, 0, data, false);
        assertTrue(call(backend, IoRequest.writeZeroes(0, BLOCK, 2 * BLOCK, true)).isOk());
        byte[] expected = data.array().clone();
        Arrays.fill(expected, BLOCK, 3 * BLOCK, (byte) 0);
        assertArrayEquals(expected, read(backend, 0, 4 * BLOCK));
    }

    @Test
    void growKeepsDataAndZeroFillsNewRange() throws Exception {
        MemoryBackend backend = MemoryBackend.durable(MIB);
        ByteBuffer data = filled(BLOCK, 9);
        write(backend, MIB - BLOCK, data, false);
        backend.grow(200 * MIB);
        assertEquals(200 * MIB, backend.capacity());
        assertArrayEquals(data.array(), read(backend, MIB - BLOCK, BLOCK));
        assertArrayEquals(new byte[BLOCK], read(backend, 150 * MIB, BLOCK));
        ByteBuffer beyond = filled(BLOCK, 10);
        write(backend, 200 * MIB - BLOCK, beyond, false);
        assertArrayEquals(beyond.array(), read(backend, 200 * MIB - BLOCK, BLOCK));
    }

    @Test
    void growRefusesToShrink() {
        MemoryBackend backend = MemoryBackend.durable(MIB);
        assertThrows(IOException.class, () -> backend.grow(MIB / 2));
        assertEquals(MIB, backend.capacity());
    }

    @Test
    void requestBeyondCapacityFailsOutOfRange() throws Exception {
        MemoryBackend backend = MemoryBackend.durable(MIB);
        IoStatus status = call(backend, IoRequest.read(0, MIB - 512, ByteBuffer.allocate(BLOCK)));
        assertEquals(IoError.OUT_OF_RANGE, status.error());
        assertTrue(status.message().contains("memory"), status.message());
    }

    @Test
    void requestsAfterCloseFailWithShutdown() throws Exception {
        MemoryBackend backend = MemoryBackend.durable(MIB);
        backend.close();
        for (IoRequest request : List.of(IoRequest.read(1, 0, ByteBuffer.allocate(BLOCK)),
                IoRequest.write(2, 0, filled(BLOCK, 11), false), IoRequest.flush(3),
                IoRequest.unmap(4, 0, BLOCK), IoRequest.writeZeroes(5, 0, BLOCK, true))) {
            assertEquals(IoError.SHUTDOWN, call(backend, request).error(), request::toString);
        }
        assertThrows(IOException.class, () -> backend.grow(2 * MIB));
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
    void callbackCalledExactlyOnceUnderConcurrentLoad() throws Exception {
        MemoryBackend backend = MemoryBackend.builder(64 * MIB).latency(Duration.ZERO, Duration.ofNanos(20_000)).build();
        int threads = 4;
        int perThread = 5_000;
        AtomicInteger[] calls = new AtomicInteger[threads * perThread];
        for (int i = 0; i < calls.length; i++) {
            calls[i] = new AtomicInteger();
        }
        CountDownLatch all = new CountDownLatch(calls.length);
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            futures.add(pool.submit(() -> {
                Random random = new Random(thread);
                for (int i = 0; i < perThread; i++) {
                    int id = thread * perThread + i;
                    long offset = (long) random.nextInt(64 * 256) * BLOCK;
                    IoRequest request = switch (random.nextInt(5)) {
                        case 0 -> IoRequest.read(id, offset, ByteBuffer.allocate(BLOCK));
                        case 1 -> IoRequest.write(id, offset, ByteBuffer.allocate(BLOCK), random.nextBoolean());
                        case 2 -> IoRequest.flush(id);
                        case 3 -> IoRequest.unmap(id, offset, BLOCK);
                        default -> IoRequest.writeZeroes(id, offset, BLOCK, false);
                    };
                    backend.submit(request, status -> {
                        if (!status.isOk()) {
                            failures.add(request + ": " + status);
                        }
                        calls[id].incrementAndGet();
                        all.countDown();
                    });
                }
            }));
        }
        for (Future<?> f : futures) {
            f.get(5, TimeUnit.MINUTES);
        }
        pool.shutdown();
        assertTrue(all.await(5, TimeUnit.MINUTES), "not every request completed");
        backend.close();
        assertEquals(List.of(), failures);
        for (int i = 0; i < calls.length; i++) {
            assertEquals(1, calls[i].get(), "callbacks of request " + i);
        }
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
