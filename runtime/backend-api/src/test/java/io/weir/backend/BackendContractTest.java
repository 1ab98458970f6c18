package io.weir.backend;

import static io.weir.backend.BackendTestSupport.call;
import static io.weir.backend.BackendTestSupport.filled;
import static io.weir.backend.BackendTestSupport.ok;
import static io.weir.backend.BackendTestSupport.read;
import static io.weir.backend.BackendTestSupport.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.weir.filter.Capability;
import io.weir.filter.IoError;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@link Backend} contract, one test per sentence, for every backend to pass. A backend's test extends
 * this class and says how to {@link #open} its backend and what it offers.
 *
 * <p>UNMAP, WRITE_ZEROES and FUA are only sent when the backend declares them, as the runtime does
 * (it fails them with {@code NOT_SUPPORTED} otherwise).
 */
public abstract class BackendContractTest {
    protected static final int BLOCK = 4096;
    protected static final long MIB = 1 << 20;
    /** The id of every disk opened here; failure messages must name it. */
    protected static final String DISK = "d1";

    /** The directory of the disk's backend. */
    @TempDir
    protected Path dir;

    /**
     * Open the backend of {@code spec}: empty on first open, with the contents it had when closed on a later
     * open of the same spec (as {@link BackendProvider#open} does).
     */
    protected abstract Backend open(BackendSpec spec) throws IOException;

    /** The capabilities the backend must declare. */
    protected abstract Set<Capability> expectedCapabilities();

    /** Whether an UNMAP'd range reads back as zeros; the contract also allows the old data. */
    protected boolean unmapReadsZeros() {
        return false;
    }

    /** Requests each of four threads submits in {@link #callbackCalledExactlyOnceUnderConcurrentLoad}. */
    protected int loadPerThread() {
        return 5_000;
    }

    /** The spec of disk {@value #DISK}, 512-byte blocks, in {@link #dir}. */
    protected BackendSpec spec(long capacity) {
        return spec(capacity, Map.of());
    }

    /** {@link #spec(long)} with backend options. */
    protected BackendSpec spec(long capacity, Map<String, String> options) {
        return new BackendSpec(DISK, capacity, 512, dir, options);
    }

    private boolean offers(Capability capability) {
        return expectedCapabilities().contains(capability);
    }

    /** A request of each operation with a range that the backend offers, one block at {@code offset}. */
    private List<IoRequest> rangedRequests(long offset) {
        List<IoRequest> requests = new ArrayList<>(List.of(IoRequest.read(1, offset, ByteBuffer.allocate(BLOCK)),
                IoRequest.write(2, offset, filled(BLOCK, 8), false)));
        if (offers(Capability.UNMAP)) {
            requests.add(IoRequest.unmap(4, offset, BLOCK));
        }
        if (offers(Capability.WRITE_ZEROES)) {
            requests.add(IoRequest.writeZeroes(5, offset, BLOCK, offers(Capability.FUA)));
        }
        return requests;
    }

    @Test
    void capabilitiesAreDeclared() throws Exception {
        try (Backend backend = open(spec(MIB))) {
            assertEquals(expectedCapabilities(), backend.capabilities());
        }
    }

    @Test
    void writeThenReadReturnsSameBytes() throws Exception {
        try (Backend backend = open(spec(16 * MIB))) {
            ByteBuffer aligned = filled(3 * BLOCK, 1);
            write(backend, 5 * BLOCK, aligned, false);
            ByteBuffer unaligned = filled(3 * BLOCK + 512, 2);
            write(backend, 9 * BLOCK + 512, unaligned, false);
            assertArrayEquals(aligned.array(), read(backend, 5 * BLOCK, aligned.capacity()));
            assertArrayEquals(unaligned.array(), read(backend, 9 * BLOCK + 512, unaligned.capacity()));
        }
    }

    @Test
    void readOfUnwrittenRangeReturnsZeros() throws Exception {
        try (Backend backend = open(spec(16 * MIB))) {
            write(backend, 0, filled(BLOCK, 2), false);
            assertArrayEquals(new byte[8 * BLOCK], read(backend, 8 * MIB, 8 * BLOCK));
            assertArrayEquals(new byte[8 * BLOCK], read(backend, 16 * MIB - 8 * BLOCK, 8 * BLOCK));
        }
    }

    @Test
    void buffersArePayloadBetweenPositionAndLimitAndAreNotMoved() throws Exception {
        try (Backend backend = open(spec(MIB))) {
            ByteBuffer source = filled(3 * BLOCK, 3);
            ByteBuffer slice = source.duplicate().position(BLOCK).limit(2 * BLOCK);
            write(backend, 0, slice, false);
            assertEquals(BLOCK, slice.position());
            assertEquals(2 * BLOCK, slice.limit());
            byte[] payload = Arrays.copyOfRange(source.array(), BLOCK, 2 * BLOCK);
            for (ByteBuffer destination : List.of(ByteBuffer.allocate(3 * BLOCK),
                    ByteBuffer.allocateDirect(3 * BLOCK))) {
                destination.position(BLOCK).limit(2 * BLOCK);
                ok(backend, IoRequest.read(2, 0, destination));
                assertEquals(BLOCK, destination.position());
                assertEquals(2 * BLOCK, destination.limit());
                byte[] whole = new byte[3 * BLOCK];
                destination.duplicate().clear().get(0, whole);
                assertArrayEquals(payload, Arrays.copyOfRange(whole, BLOCK, 2 * BLOCK));
                assertArrayEquals(new byte[BLOCK], Arrays.copyOfRange(whole, 0, BLOCK), "written before the position");
                assertArrayEquals(new byte[BLOCK], Arrays.copyOfRange(whole, 2 * BLOCK, 3 * BLOCK),
                        "written past the limit");
            }
        }
    }

    @Test
    void flushAndFuaComplete() throws Exception {
        try (Backend backend = open(spec(MIB))) {
            ByteBuffer plain = filled(BLOCK, 15);
            write(backend, 0, plain, false);
            ok(backend, IoRequest.flush(1));
            assertArrayEquals(plain.array(), read(backend, 0, BLOCK));
            if (offers(Capability.FUA)) {
                ByteBuffer forced = filled(BLOCK, 16);
                write(backend, BLOCK, forced, true);
                assertArrayEquals(forced.array(), read(backend, BLOCK, BLOCK));
                if (offers(Capability.WRITE_ZEROES)) {
                    ok(backend, IoRequest.writeZeroes(2, 0, BLOCK, true));
                    assertArrayEquals(new byte[BLOCK], read(backend, 0, BLOCK));
                }
            }
            ok(backend, IoRequest.flush(3));
        }
    }

    @Test
    void unmapThenReadReturnsZerosOrOldDataNeverOtherData() throws Exception {
        assumeTrue(offers(Capability.UNMAP), "UNMAP is not offered");
        try (Backend backend = open(spec(8 * MIB))) {
            byte[] old = filled((int) (3 * MIB), 10).array();
            write(backend, 0, ByteBuffer.wrap(old), false);
            // Ranges that cut 64 KiB pages and 1 MiB chunks; the second also cuts 4 KiB blocks.
            int[][] ranges = {{(64 << 10) - BLOCK, (128 << 10) + 2 * BLOCK}, {(int) MIB - 512, (int) MIB + 3 * 512}};
            byte[] zeroed = old.clone();
            for (int[] range : ranges) {
                ok(backend, IoRequest.unmap(range[0], range[0], range[1]));
                Arrays.fill(zeroed, range[0], range[0] + range[1], (byte) 0);
            }
            byte[] got = read(backend, 0, old.length);
            for (int i = 0; i < old.length; i++) {
                if (got[i] != old[i] && got[i] != zeroed[i]) {
                    fail("byte " + i + " reads " + got[i] + ", neither the old " + old[i] + " nor " + zeroed[i]);
                }
            }
            if (unmapReadsZeros()) {
                assertArrayEquals(zeroed, got);
            }
        }
    }

    @Test
    void writeZeroesThenReadReturnsZerosAndKeepsNeighbours() throws Exception {
        assumeTrue(offers(Capability.WRITE_ZEROES), "WRITE_ZEROES is not offered");
        boolean fua = offers(Capability.FUA);
        try (Backend backend = open(spec(8 * MIB))) {
            // Data only in some blocks of the range: the zeroing must find and clear every one of them.
            byte[] expected = new byte[(int) (4 * MIB)];
            ByteBuffer block = filled(BLOCK, 11);
            for (long offset : new long[] {0, 7 * BLOCK + 512, MIB - 512, 2 * MIB + BLOCK, 4 * MIB - BLOCK}) {
                write(backend, offset, block.duplicate(), false);
                System.arraycopy(block.array(), 0, expected, (int) offset, BLOCK);
            }
            int from = 512;
            int length = (int) (4 * MIB) - BLOCK - 512;
            ok(backend, IoRequest.writeZeroes(2, from, length, fua));
            Arrays.fill(expected, from, from + length, (byte) 0);
            assertArrayEquals(expected, read(backend, 0, expected.length));

            // Dense data, zeroed in its middle.
            long base = 6 * MIB;
            ByteBuffer dense = filled(4 * BLOCK, 8);
            write(backend, base, dense, false);
            ok(backend, IoRequest.writeZeroes(3, base + BLOCK, 2 * BLOCK, fua));
            byte[] denseExpected = dense.array().clone();
            Arrays.fill(denseExpected, BLOCK, 3 * BLOCK, (byte) 0);
            assertArrayEquals(denseExpected, read(backend, base, 4 * BLOCK));
        }
    }

    @Test
    void reopenAfterCloseKeepsData() throws Exception {
        ByteBuffer data = filled(2 * BLOCK, 6);
        try (Backend backend = open(spec(MIB))) {
            write(backend, BLOCK, data, false);
        }
        try (Backend backend = open(spec(MIB))) {
            assertArrayEquals(data.array(), read(backend, BLOCK, 2 * BLOCK));
        }
    }

    @Test
    void growKeepsDataAndZeroFillsNewRange() throws Exception {
        long grown = 300 * MIB;
        ByteBuffer data = filled(BLOCK, 12);
        ByteBuffer beyond = filled(BLOCK, 13);
        ByteBuffer last = filled(BLOCK, 14);
        boolean fua = offers(Capability.FUA);
        try (Backend backend = open(spec(MIB))) {
            write(backend, MIB - BLOCK, data, false);
            backend.grow(grown);
            assertEquals(grown, backend.capacity());
            assertArrayEquals(data.array(), read(backend, MIB - BLOCK, BLOCK));
            assertArrayEquals(new byte[BLOCK], read(backend, MIB, BLOCK));
            assertArrayEquals(new byte[BLOCK], read(backend, 150 * MIB, BLOCK));
            assertArrayEquals(new byte[2 * BLOCK], read(backend, grown - 2 * BLOCK, 2 * BLOCK));
            write(backend, 200 * MIB, beyond, fua);
            write(backend, grown - BLOCK, last, false);
            assertArrayEquals(beyond.array(), read(backend, 200 * MIB, BLOCK));
            assertArrayEquals(last.array(), read(backend, grown - BLOCK, BLOCK));
        }
        try (Backend backend = open(spec(grown))) {
            assertEquals(grown, backend.capacity());
            assertArrayEquals(data.array(), read(backend, MIB - BLOCK, BLOCK));
            assertArrayEquals(last.array(), read(backend, grown - BLOCK, BLOCK));
        }
    }

    @Test
    void growRefusesToShrink() throws Exception {
        try (Backend backend = open(spec(2 * MIB))) {
            assertThrows(IOException.class, () -> backend.grow(MIB));
            assertEquals(2 * MIB, backend.capacity());
        }
    }

    @Test
    void requestBeyondCapacityFailsOutOfRangeAndChangesNothing() throws Exception {
        try (Backend backend = open(spec(MIB))) {
            write(backend, MIB - BLOCK, filled(BLOCK, 7), false);
            for (IoRequest request : rangedRequests(MIB - 512)) {
                IoStatus status = call(backend, request);
                assertEquals(IoError.OUT_OF_RANGE, status.error(), request::toString);
                assertTrue(status.message().contains(DISK), status.message());
            }
            assertArrayEquals(filled(BLOCK, 7).array(), read(backend, MIB - BLOCK, BLOCK));
        }
    }

    @Test
    void requestsAfterCloseFailWithShutdown() throws Exception {
        Backend backend = open(spec(MIB));
        backend.close();
        backend.close();
        List<IoRequest> requests = new ArrayList<>(rangedRequests(0));
        requests.add(IoRequest.flush(3));
        for (IoRequest request : requests) {
            IoStatus status = call(backend, request);
            assertEquals(IoError.SHUTDOWN, status.error(), request::toString);
            assertTrue(status.message().contains(DISK), status.message());
        }
        assertThrows(IOException.class, () -> backend.grow(2 * MIB));
    }

    @Test
    void closeWaitsForRequestsInFlight() throws Exception {
        boolean fua = offers(Capability.FUA);
        Backend backend = open(spec(16 * MIB));
        int count = 200;
        AtomicInteger completed = new AtomicInteger();
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < count; i++) {
            IoRequest request = IoRequest.write(i, (long) i * BLOCK, filled(BLOCK, i), fua && i % 10 == 0);
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
        try (Backend again = open(spec(16 * MIB))) {
            assertArrayEquals(filled(BLOCK, count - 1).array(), read(again, (long) (count - 1) * BLOCK, BLOCK));
        }
    }

    @Test
    void callbackCalledExactlyOnceUnderConcurrentLoad() throws Exception {
        boolean fua = offers(Capability.FUA);
        boolean unmap = offers(Capability.UNMAP);
        boolean zeroes = offers(Capability.WRITE_ZEROES);
        int threads = 4;
        int perThread = loadPerThread();
        AtomicInteger[] calls = new AtomicInteger[threads * perThread];
        for (int i = 0; i < calls.length; i++) {
            calls[i] = new AtomicInteger();
        }
        CountDownLatch all = new CountDownLatch(calls.length);
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        try (Backend backend = open(spec(64 * MIB))) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    Random random = new Random(thread);
                    for (int i = 0; i < perThread; i++) {
                        int id = thread * perThread + i;
                        long offset = (long) random.nextInt(64 * 256) * BLOCK;
                        IoRequest request = switch (random.nextInt(6)) {
                            case 2 -> IoRequest.write(id, offset, ByteBuffer.allocate(BLOCK),
                                    fua && random.nextInt(10) == 0);
                            case 3 -> IoRequest.flush(id);
                            case 4 -> unmap ? IoRequest.unmap(id, offset, BLOCK)
                                    : IoRequest.read(id, offset, ByteBuffer.allocate(BLOCK));
                            case 5 -> zeroes ? IoRequest.writeZeroes(id, offset, BLOCK, false)
                                    : IoRequest.write(id, offset, ByteBuffer.allocate(BLOCK), false);
                            default -> IoRequest.read(id, offset, ByteBuffer.allocate(BLOCK));
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
}
