package io.weir.backend.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;

import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;

import org.junit.jupiter.api.Test;

/**
 * Durability through simulated power loss. Each block written carries the id of the write and its own block
 * number, so that after a power loss every block can be checked against the set of values the contract
 * allows: the last durable write to it, or any later write.
 */
class MemoryBackendPowerLossTest {
    private static final int BLOCK = 4096;
    private static final int BLOCKS = 48;
    private static final long BASE_SEED = 0x5eed_cafeL;

    /** A block's contents as written by write {@code id}; id 0 is all zeros (never written, or zeroed). */
    static byte[] content(long id, int block) {
        byte[] bytes = new byte[BLOCK];
        if (id == 0) {
            return bytes;
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        b.putLong(0, id);
        b.putLong(8, block);
        for (int i = 16; i < BLOCK; i++) {
            bytes[i] = (byte) (id * 131 + block * 7 + i);
        }
        return bytes;
    }

    /** The id of the write a block's contents came from, or -1 when they match no write of that block. */
    static long decode(byte[] bytes, int block) {
        long id = ByteBuffer.wrap(bytes).getLong(0);
        return Arrays.equals(bytes, content(id, block)) ? id : -1;
    }

    static void submitOk(MemoryBackend backend, IoRequest request, String context) {
        IoStatus[] status = new IoStatus[1];
        backend.submit(request, s -> status[0] = s);
        if (status[0] == null || !status[0].isOk()) {
            fail(context + ": " + request + " -> " + status[0]);
        }
    }

    static ByteBuffer blocks(long id, int first, int count) {
        ByteBuffer data = ByteBuffer.allocate(count * BLOCK);
        for (int i = 0; i < count; i++) {
            data.put(i * BLOCK, content(id, first + i));
        }
        return data;
    }

    @Test
    void flushedWritesSurvivePowerLoss() {
        for (int iteration = 0; iteration < 50; iteration++) {
            long seed = BASE_SEED + iteration;
            MemoryBackend backend = MemoryBackend.volatileCache((long) BLOCKS * BLOCK, new Random(seed));
            for (int b = 0; b < BLOCKS / 2; b++) {
                submitOk(backend, IoRequest.write(b, (long) b * BLOCK, blocks(b + 1, b, 1), false), "seed " + seed);
            }
            submitOk(backend, IoRequest.flush(100), "seed " + seed);
            for (int b = BLOCKS / 2; b < BLOCKS; b++) {
                submitOk(backend, IoRequest.write(b, (long) b * BLOCK, blocks(b + 1, b, 1), false), "seed " + seed);
            }
            backend.powerLoss();
            for (int b = 0; b < BLOCKS / 2; b++) {
                assertArrayEquals(content(b + 1, b), backend.peek((long) b * BLOCK, BLOCK),
                        "flushed block " + b + " lost, seed " + seed);
            }
        }
    }

    @Test
    void fuaWritesSurvivePowerLoss() {
        for (int iteration = 0; iteration < 50; iteration++) {
            long seed = BASE_SEED + iteration;
            MemoryBackend backend = MemoryBackend.volatileCache((long) BLOCKS * BLOCK, new Random(seed));
            for (int b = 0; b < BLOCKS; b++) {
                // Even blocks with FUA, odd blocks without: only the odd ones may vanish.
                submitOk(backend, IoRequest.write(b, (long) b * BLOCK, blocks(b + 1, b, 1), b % 2 == 0),
                        "seed " + seed);
            }
            backend.powerLoss();
            for (int b = 0; b < BLOCKS; b += 2) {
                assertArrayEquals(content(b + 1, b), backend.peek((long) b * BLOCK, BLOCK),
                        "FUA block " + b + " lost, seed " + seed);
            }
        }
    }

    @Test
    void fuaWriteIsNotUndoneByAnOlderCachedWriteOfTheSameBlock() {
        for (int iteration = 0; iteration < 50; iteration++) {
            long seed = BASE_SEED + iteration;
            MemoryBackend backend = MemoryBackend.volatileCache((long) BLOCKS * BLOCK, new Random(seed));
            submitOk(backend, IoRequest.write(1, 0, blocks(1, 0, 4), false), "seed " + seed);
            submitOk(backend, IoRequest.write(2, BLOCK, blocks(2, 1, 1), true), "seed " + seed);
            backend.powerLoss();
            assertArrayEquals(content(2, 1), backend.peek(BLOCK, BLOCK), "seed " + seed);
            for (int b : new int[] {0, 2, 3}) {
                long id = decode(backend.peek((long) b * BLOCK, BLOCK), b);
                assertTrue(id == 0 || id == 1, "block " + b + " holds write " + id + ", seed " + seed);
            }
        }
    }

    @Test
    void unflushedWritesMayVanishButNeverCorruptOthers() {
        Outcome total = new Outcome();
        for (int iteration = 0; iteration < 200; iteration++) {
            long seed = BASE_SEED + iteration;
            long limit = iteration % 4 == 0 ? 6 * BLOCK : MemoryBackend.DEFAULT_CACHE_LIMIT;
            total.add(randomWorkload(seed, s -> MemoryBackend.builder((long) BLOCKS * BLOCK)
                    .volatileCache(new Random(s)).cacheLimit(limit).build()));
        }
        // The model must really lose some unflushed writes and keep others, or the test proves nothing.
        assertTrue(total.vanished > 0, "no unflushed write ever vanished");
        assertTrue(total.survived > 0, "no unflushed write ever survived");
    }

    @Test
    void durableModeLosesNothing() {
        for (int iteration = 0; iteration < 50; iteration++) {
            long seed = BASE_SEED + iteration;
            Outcome outcome = randomWorkload(seed, s -> MemoryBackend.durable((long) BLOCKS * BLOCK));
            assertEquals(0, outcome.vanished, "seed " + seed);
        }
    }

    /** Counts of unflushed, overwritten-or-not blocks whose last write vanished or survived a power loss. */
    static final class Outcome {
        long vanished;
        long survived;

        void add(Outcome o) {
            vanished += o.vanished;
            survived += o.survived;
        }
    }

    /**
     * Random writes (some FUA, some spanning several blocks and pages), zeroing, flushes, reads and power losses
     * against a model that knows, per block, the last durable value and the values written since.
     */
    private static Outcome randomWorkload(long seed, LongFunction<MemoryBackend> factory) {
        Random random = new Random(seed ^ 0x9e3779b97f4a7c15L);
        MemoryBackend backend = factory.apply(seed);
        String context = "seed " + seed + " (" + backend + ")";
        long[] floor = new long[BLOCKS];
        List<List<Long>> since = new ArrayList<>();
        for (int b = 0; b < BLOCKS; b++) {
            since.add(new ArrayList<>());
        }
        Outcome outcome = new Outcome();
        long nextId = 1;
        for (int step = 0; step < 400; step++) {
            int dice = random.nextInt(100);
            int first = random.nextInt(BLOCKS);
            int count = 1 + random.nextInt(Math.min(20, BLOCKS - first));
            if (dice < 50) {
                long id = nextId++;
                boolean fua = random.nextInt(5) == 0;
                submitOk(backend, IoRequest.write(id, (long) first * BLOCK, blocks(id, first, count), fua), context);
                record(floor, since, first, count, id, fua);
            } else if (dice < 60) {
                boolean fua = random.nextBoolean();
                IoRequest request = fua || random.nextBoolean()
                        ? IoRequest.writeZeroes(nextId, (long) first * BLOCK, count * BLOCK, fua)
                        : IoRequest.unmap(nextId, (long) first * BLOCK, count * BLOCK);
                submitOk(backend, request, context);
                record(floor, since, first, count, 0, fua);
            } else if (dice < 72) {
                submitOk(backend, IoRequest.flush(nextId), context);
                for (int b = 0; b < BLOCKS; b++) {
                    floor[b] = latest(floor, since, b);
                    since.get(b).clear();
                }
            } else if (dice < 95) {
                ByteBuffer buffer = ByteBuffer.allocate(count * BLOCK);
                submitOk(backend, IoRequest.read(nextId, (long) first * BLOCK, buffer), context);
                for (int i = 0; i < count; i++) {
                    int b = first + i;
                    byte[] got = Arrays.copyOfRange(buffer.array(), i * BLOCK, (i + 1) * BLOCK);
                    assertArrayEquals(content(latest(floor, since, b), b), got,
                            "read of block " + b + " at step " + step + " does not return the last write, " + context);
                }
            } else {
                backend.powerLoss();
                for (int b = 0; b < BLOCKS; b++) {
                    long id = decode(backend.peek((long) b * BLOCK, BLOCK), b);
                    List<Long> allowed = new ArrayList<>();
                    allowed.add(floor[b]);
                    allowed.addAll(since.get(b));
                    if (!allowed.contains(id)) {
                        fail("after power loss at step " + step + " block " + b + " holds "
                                + (id < 0 ? "data of no write of this block" : "write " + id)
                                + ", allowed " + allowed + ", " + context);
                    }
                    if (!since.get(b).isEmpty()) {
                        if (id == latest(floor, since, b)) {
                            outcome.survived++;
                        } else {
                            outcome.vanished++;
                        }
                    }
                    floor[b] = id;
                    since.get(b).clear();
                }
            }
        }
        return outcome;
    }

    private static void record(long[] floor, List<List<Long>> since, int first, int count, long id, boolean fua) {
        for (int b = first; b < first + count; b++) {
            if (fua) {
                floor[b] = id;
                since.get(b).clear();
            } else {
                since.get(b).add(id);
            }
        }
    }

    private static long latest(long[] floor, List<List<Long>> since, int b) {
        List<Long> list = since.get(b);
        return list.isEmpty() ? floor[b] : list.get(list.size() - 1);
    }

    @Test
    void concurrentWritersKeepEveryWriteTheyFlushedOrWroteWithFua() throws Exception {
        int threads = 4;
        int blocksPerThread = 64;
        for (int iteration = 0; iteration < 10; iteration++) {
            long seed = BASE_SEED + iteration;
            MemoryBackend backend = MemoryBackend.volatileCache((long) threads * blocksPerThread * BLOCK,
                    new Random(seed));
            long[] durableId = new long[threads * blocksPerThread];
            long[] lastId = new long[threads * blocksPerThread];
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    // Each thread owns its blocks, writes increasing ids to them, and tracks what is durable.
                    Random random = new Random(seed * 31 + thread);
                    for (int i = 1; i <= 2_000; i++) {
                        int b = thread * blocksPerThread + random.nextInt(blocksPerThread);
                        long id = (long) i * threads + thread;
                        boolean fua = random.nextInt(8) == 0;
                        submitOk(backend, IoRequest.write(id, (long) b * BLOCK, blocks(id, b, 1), fua), "seed " + seed);
                        lastId[b] = id;
                        if (fua) {
                            durableId[b] = id;
                        }
                        if (random.nextInt(50) == 0) {
                            submitOk(backend, IoRequest.flush(id), "seed " + seed);
                            for (int own = thread * blocksPerThread; own < (thread + 1) * blocksPerThread; own++) {
                                durableId[own] = lastId[own];
                            }
                        }
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get(5, TimeUnit.MINUTES);
            }
            pool.shutdown();
            backend.powerLoss();
            for (int b = 0; b < durableId.length; b++) {
                long id = decode(backend.peek((long) b * BLOCK, BLOCK), b);
                assertTrue(id >= 0 && id >= durableId[b] && id <= lastId[b],
                        "block " + b + " holds " + id + " but write " + durableId[b] + " was durable, seed " + seed);
            }
        }
    }
}
