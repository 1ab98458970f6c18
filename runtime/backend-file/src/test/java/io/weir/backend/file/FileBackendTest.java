package io.weir.backend.file;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.weir.backend.Backend;
import io.weir.backend.BackendSpec;
import io.weir.filter.Capability;
import io.weir.filter.IoError;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileBackendTest {
    private static final int BLOCK = 4096;
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    private final FileBackendProvider provider = new FileBackendProvider();

    private BackendSpec spec(long capacity) {
        return spec(capacity, Map.of());
    }

    private BackendSpec spec(long capacity, Map<String, String> options) {
        return new BackendSpec("d1", capacity, 512, dir, options);
    }

    static IoStatus call(Backend backend, IoRequest request) throws Exception {
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

    static byte[] read(Backend backend, long offset, int length) throws Exception {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        IoStatus status = call(backend, IoRequest.read(0, offset, buffer));
        assertTrue(status.isOk(), status::toString);
        return buffer.array();
    }

    static void ok(Backend backend, IoRequest request) throws Exception {
        IoStatus status = call(backend, request);
        assertTrue(status.isOk(), () -> request + " -> " + status);
    }

    @Test
    void writeThenReadReturnsSameBytes() throws Exception {
        try (Backend backend = provider.open(spec(16 * MIB))) {
            ByteBuffer data = filled(3 * BLOCK + 512, 1);
            ok(backend, IoRequest.write(1, 5 * BLOCK + 512, data, false));
            assertArrayEquals(data.array(), read(backend, 5 * BLOCK + 512, data.capacity()));
        }
    }

    @Test
    void readOfUnwrittenRangeReturnsZeros() throws Exception {
        try (Backend backend = provider.open(spec(16 * MIB))) {
            ok(backend, IoRequest.write(1, 0, filled(BLOCK, 2), false));
            assertArrayEquals(new byte[8 * BLOCK], read(backend, 16 * MIB - 8 * BLOCK, 8 * BLOCK));
        }
    }

    @Test
    void buffersArePayloadBetweenPositionAndLimitAndAreNotMoved() throws Exception {
        try (Backend backend = provider.open(spec(MIB))) {
            ByteBuffer source = filled(3 * BLOCK, 3);
            ByteBuffer slice = source.duplicate().position(BLOCK).limit(2 * BLOCK);
            ok(backend, IoRequest.write(1, 0, slice, false));
            assertEquals(BLOCK, slice.position());
            ByteBuffer destination = ByteBuffer.allocateDirect(3 * BLOCK).position(BLOCK).limit(2 * BLOCK);
            ok(backend, IoRequest.read(2, 0, destination));
            assertEquals(BLOCK, destination.position());
            byte[] got = new byte[BLOCK];
            destination.get(BLOCK, got);
            assertArrayEquals(Arrays.copyOfRange(source.array(), BLOCK, 2 * BLOCK), got);
        }
    }

    @Test
    void openCreatesAFileOfTheDiskCapacityInTheDiskDirectory() throws Exception {
        try (Backend backend = provider.open(spec(64 * MIB))) {
            Path file = dir.resolve("disk.img");
            assertEquals(64 * MIB, Files.size(file));
            assertEquals(64 * MIB, backend.capacity());
            try (var listing = Files.list(dir)) {
                assertEquals(List.of(file), listing.toList(), "no temporary file is left behind");
            }
        }
    }

    @Test
    void pathOptionPlacesTheFileThere() throws Exception {
        Path absolute = dir.resolve("elsewhere.raw");
        try (Backend backend = provider.open(spec(MIB, Map.of("path", absolute.toString())))) {
            ok(backend, IoRequest.write(1, 0, filled(BLOCK, 4), false));
        }
        assertEquals(MIB, Files.size(absolute));
        try (Backend backend = provider.open(spec(MIB, Map.of("path", "relative.raw")))) {
            assertEquals(MIB, backend.capacity());
        }
        assertEquals(MIB, Files.size(dir.resolve("relative.raw")));
        assertFalse(Files.exists(dir.resolve("disk.img")));
    }

    @Test
    void openRefusesExistingFileSmallerThanTheDisk() throws Exception {
        Path file = dir.resolve("disk.img");
        byte[] contents = filled((int) MIB, 5).array();
        Files.write(file, contents);
        IOException e = assertThrows(IOException.class, () -> provider.open(spec(2 * MIB)));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(Long.toString(MIB)) && e.getMessage().contains(Long.toString(2 * MIB)),
                e.getMessage());
        assertArrayEquals(contents, Files.readAllBytes(file), "the file was changed");
    }

    @Test
    void fileLargerThanTheDiskFromAnInterruptedGrowOpensWithItsDataIntact() throws Exception {
        Path file = dir.resolve("disk.img");
        byte[] contents = filled((int) (2 * MIB), 8).array();
        Files.write(file, contents);
        try (Backend backend = provider.open(spec(MIB))) {
            assertArrayEquals(java.util.Arrays.copyOf(contents, BLOCK), read(backend, 0, BLOCK));
        }
        assertArrayEquals(contents, Files.readAllBytes(file), "the file was changed");
    }

    @Test
    void reopenAfterCloseKeepsData() throws Exception {
        ByteBuffer data = filled(2 * BLOCK, 6);
        try (Backend backend = provider.open(spec(MIB))) {
            ok(backend, IoRequest.write(1, BLOCK, data, false));
        }
        try (Backend backend = provider.open(spec(MIB))) {
            assertArrayEquals(data.array(), read(backend, BLOCK, 2 * BLOCK));
        }
    }

    @Test
    void secondOpenOfAnOpenFileIsRefused() throws Exception {
        try (Backend backend = provider.open(spec(MIB))) {
            IOException e = assertThrows(IOException.class, () -> provider.open(spec(MIB)));
            assertTrue(e.getMessage().contains("already open"), e.getMessage());
            // The refused open must not have released the first one's lock or channel.
            ok(backend, IoRequest.write(1, 0, filled(BLOCK, 7), true));
        }
        provider.open(spec(MIB)).close();
    }

    @Test
    void requestsAfterCloseFailWithShutdown() throws Exception {
        Backend backend = provider.open(spec(MIB));
        backend.close();
        backend.close();
        for (IoRequest request : List.of(IoRequest.read(1, 0, ByteBuffer.allocate(BLOCK)),
                IoRequest.write(2, 0, filled(BLOCK, 8), false), IoRequest.flush(3),
                IoRequest.unmap(4, 0, BLOCK), IoRequest.writeZeroes(5, 0, BLOCK, true))) {
            IoStatus status = call(backend, request);
            assertEquals(IoError.SHUTDOWN, status.error(), request::toString);
            assertTrue(status.message().contains("d1"), status.message());
        }
        assertThrows(IOException.class, () -> backend.grow(2 * MIB));
    }

    @Test
    void closeWaitsForRequestsInFlight() throws Exception {
        Backend backend = provider.open(spec(16 * MIB));
        int count = 200;
        AtomicInteger completed = new AtomicInteger();
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < count; i++) {
            IoRequest request = IoRequest.write(i, (long) i * BLOCK, filled(BLOCK, i), i % 10 == 0);
            backend.submit(request, status -> {
                if (!status.isOk()) {
                    failures.add(request + " -> " + status);
                }
                completed.incrementAndGet();
            });
        }
        backend.close();
        assertEquals(count, completed.get());
        assertEquals(List.of(), failures);
        try (Backend again = provider.open(spec(16 * MIB))) {
            assertArrayEquals(filled(BLOCK, count - 1).array(), read(again, (long) (count - 1) * BLOCK, BLOCK));
        }
    }

    @Test
    void callbacksNeverRunOnTheSubmittingThread() throws Exception {
        try (Backend backend = provider.open(spec(MIB))) {
            for (IoRequest request : List.of(IoRequest.read(1, 0, ByteBuffer.allocate(BLOCK)),
                    IoRequest.write(2, 0, filled(BLOCK, 9), true), IoRequest.flush(3),
                    IoRequest.read(4, 2 * MIB, ByteBuffer.allocate(BLOCK)))) {
                CompletableFuture<Thread> ran = new CompletableFuture<>();
                backend.submit(request, status -> ran.complete(Thread.currentThread()));
                assertNotSame(Thread.currentThread(), ran.get(1, TimeUnit.MINUTES), request::toString);
            }
        }
    }

    @Test
    void callbackCalledExactlyOnceUnderConcurrentLoad() throws Exception {
        int threads = 4;
        int perThread = 1_000;
        AtomicInteger[] calls = new AtomicInteger[threads * perThread];
        for (int i = 0; i < calls.length; i++) {
            calls[i] = new AtomicInteger();
        }
        CountDownLatch all = new CountDownLatch(calls.length);
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        try (Backend backend = provider.open(spec(32 * MIB))) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    Random random = new Random(thread);
                    for (int i = 0; i < perThread; i++) {
                        int id = thread * perThread + i;
                        long offset = (long) random.nextInt(32 * 256) * BLOCK;
                        IoRequest request = switch (random.nextInt(6)) {
                            case 0, 1 -> IoRequest.read(id, offset, ByteBuffer.allocate(BLOCK));
                            case 2 -> IoRequest.write(id, offset, ByteBuffer.allocate(BLOCK), random.nextInt(20) == 0);
                            case 3 -> IoRequest.flush(id);
                            case 4 -> IoRequest.unmap(id, offset, BLOCK);
                            default -> IoRequest.writeZeroes(id, offset, BLOCK, false);
                        };
                        backend.submit(request, status -> {
                            if (!status.isOk()) {
                                failures.add(request + " -> " + status);
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
        }
        assertEquals(List.of(), failures);
        for (int i = 0; i < calls.length; i++) {
            assertEquals(1, calls[i].get(), "callbacks of request " + i);
        }
    }

    @Test
    void unmapThenReadReturnsZeros() throws Exception {
        try (Backend backend = provider.open(spec(8 * MIB))) {
            ByteBuffer data = filled((int) (3 * MIB), 10);
            ok(backend, IoRequest.write(1, 0, data, false));
            int from = (int) MIB - 512;
            int length = (int) (MIB + 3 * 512);
            ok(backend, IoRequest.unmap(2, from, length));
            byte[] expected = data.array().clone();
            Arrays.fill(expected, from, from + length, (byte) 0);
            assertArrayEquals(expected, read(backend, 0, expected.length));
        }
    }

    @Test
    void writeZeroesThenReadReturnsZerosAndKeepsNeighbours() throws Exception {
        try (Backend backend = provider.open(spec(8 * MIB))) {
            // Data only in some blocks of the range: the zeroing must find and clear every one of them.
            byte[] expected = new byte[(int) (4 * MIB)];
            ByteBuffer block = filled(BLOCK, 11);
            for (long offset : new long[] {0, 7 * BLOCK + 512, MIB - 512, 2 * MIB + BLOCK, 4 * MIB - BLOCK}) {
                ok(backend, IoRequest.write(offset, offset, block.duplicate(), false));
                System.arraycopy(block.array(), 0, expected, (int) offset, BLOCK);
            }
            int from = 512;
            int length = (int) (4 * MIB) - BLOCK - 512;
            ok(backend, IoRequest.writeZeroes(2, from, length, true));
            Arrays.fill(expected, from, from + length, (byte) 0);
            assertArrayEquals(expected, read(backend, 0, expected.length));
        }
    }

    @Test
    void growKeepsDataAndZeroFillsNewRange() throws Exception {
        ByteBuffer data = filled(BLOCK, 12);
        try (Backend backend = provider.open(spec(MIB))) {
            ok(backend, IoRequest.write(1, MIB - BLOCK, data, false));
            backend.grow(300 * MIB);
            assertEquals(300 * MIB, backend.capacity());
            assertEquals(300 * MIB, Files.size(dir.resolve("disk.img")));
            assertArrayEquals(data.array(), read(backend, MIB - BLOCK, BLOCK));
            assertArrayEquals(new byte[2 * BLOCK], read(backend, 300 * MIB - 2 * BLOCK, 2 * BLOCK));
            ByteBuffer beyond = filled(BLOCK, 13);
            ok(backend, IoRequest.write(2, 200 * MIB, beyond, true));
            assertArrayEquals(beyond.array(), read(backend, 200 * MIB, BLOCK));
        }
        try (Backend backend = provider.open(spec(300 * MIB))) {
            assertArrayEquals(data.array(), read(backend, MIB - BLOCK, BLOCK));
        }
    }

    @Test
    void growRefusesToShrink() throws Exception {
        try (Backend backend = provider.open(spec(2 * MIB))) {
            assertThrows(IOException.class, () -> backend.grow(MIB));
            assertEquals(2 * MIB, backend.capacity());
        }
        assertEquals(2 * MIB, Files.size(dir.resolve("disk.img")));
    }

    @Test
    void requestBeyondCapacityFailsOutOfRange() throws Exception {
        try (Backend backend = provider.open(spec(MIB))) {
            IoStatus status = call(backend, IoRequest.write(1, MIB - 512, filled(BLOCK, 14), false));
            assertEquals(IoError.OUT_OF_RANGE, status.error());
            assertEquals(MIB, Files.size(dir.resolve("disk.img")));
        }
    }

    @Test
    void failuresNameDiskOperationAndOffsetAndMapNoSpace() {
        IoRequest write = IoRequest.write(9, 8192, ByteBuffer.allocate(512), false);
        IoStatus full = FileBackend.failure("d9", write, new IOException("No space left on device"));
        assertEquals(IoError.NO_SPACE, full.error());
        assertTrue(full.message().contains("'d9'") && full.message().contains("WRITE")
                && full.message().contains("offset 8192"), full.message());
        IoStatus broken = FileBackend.failure("d9", IoRequest.flush(1), new IOException("Input/output error"));
        assertEquals(IoError.IO, broken.error());
        assertTrue(broken.message().contains("FLUSH") && broken.message().contains("Input/output error"),
                broken.message());
    }

    @Test
    void destroyDeletesTheFileAndIsRefusedWhileOpen() throws Exception {
        Backend backend = provider.open(spec(MIB));
        assertThrows(IOException.class, () -> provider.destroy(spec(MIB)));
        backend.close();
        provider.destroy(spec(MIB));
        assertFalse(Files.exists(dir.resolve("disk.img")));
        provider.destroy(spec(MIB));
    }

    @Test
    void threadsOptionMustBeASmallPositiveCount() throws Exception {
        IOException e = assertThrows(IOException.class, () -> provider.open(spec(MIB, Map.of("threads", "0"))));
        assertTrue(e.getMessage().contains("threads=0"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("disk.img")));
        try (Backend backend = provider.open(spec(MIB, Map.of("threads", "1")))) {
            ok(backend, IoRequest.flush(1));
        }
    }

    @Test
    void offersFlushFuaUnmapWriteZeroesAndMultiConn() throws Exception {
        try (Backend backend = provider.open(spec(MIB))) {
            assertEquals(EnumSet.of(Capability.FLUSH, Capability.FUA, Capability.UNMAP, Capability.WRITE_ZEROES,
                    Capability.MULTI_CONN), backend.capabilities());
        }
    }
}
