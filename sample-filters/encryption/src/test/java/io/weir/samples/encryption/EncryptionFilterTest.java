package io.weir.samples.encryption;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.weir.backend.memory.MemoryBackend;
import io.weir.filter.Capability;
import io.weir.filter.FilterClass;
import io.weir.filter.IoError;
import io.weir.filter.IoOp;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;
import io.weir.vscsi.standalone.Disks;
import io.weir.vscsi.standalone.StandaloneDisk;

/** The data path: what reaches the backend is ciphertext, what the guest reads is plaintext. */
class EncryptionFilterTest {
    private static final long CAPACITY = 8L << 20;

    @TempDir
    Path dir;

    private Map<String, Object> config;

    @BeforeEach
    void keystore() throws Exception {
        Keystores ks = new Keystores(dir);
        Path store = ks.keystore("kek", Map.of("disk-kek", Keystores.aesKey(256)));
        config = Keystores.config(store, ks.passwordFile("kek", Keystores.PASSWORD), "disk-kek");
    }

    private StandaloneDisk open(String id, io.weir.backend.Backend backend, int blockSize, Map<String, Object> cfg)
            throws Exception {
        return Disks.builder(id).backend(backend).blockSize(blockSize).sidecarDirectory(dir.resolve(id))
                .filter("encryption", FilterClass.ENCRYPTION, new EncryptionFilterFactory(), cfg).open();
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 4096})
    void nothingBelowTheFilterEverSeesPlaintext(int blockSize) throws Exception {
        MemoryBackend memory = MemoryBackend.durable(CAPACITY);
        RecordingBackend below = new RecordingBackend(memory);
        Plaintext written = new Plaintext();
        Map<Long, byte[]> expected = new HashMap<>();
        try (StandaloneDisk disk = open("d" + blockSize, below, blockSize, config)) {
            expected.put(0L, Plaintext.text("ACCOUNT 0001 BALANCE 000000100 EUR;", blockSize));
            expected.put((long) blockSize * 3, Plaintext.random(1, blockSize * 8));
            expected.put(64L << 10, Plaintext.text("the same sixteen", 1 << 20));
            expected.put(4L << 20, Plaintext.random(2, 256 << 10));
            boolean fua = false;
            for (Map.Entry<Long, byte[]> e : expected.entrySet()) {
                written.add(e.getValue());
                Io.write(disk, e.getKey(), e.getValue(), fua = !fua);
            }
            assertTrue(Io.run(disk, IoRequest.flush(Io.tag())).isOk());
            for (Map.Entry<Long, byte[]> e : expected.entrySet()) {
                assertArrayEquals(e.getValue(), Io.read(disk, e.getKey(), e.getValue().length),
                        "read at " + e.getKey());
            }
        }
        int writes = 0;
        for (RecordingBackend.Seen s : below.seen()) {
            if (s.data() != null) {
                writes++;
                assertEquals(0, written.leaks(s.data()), "plaintext in a write that reached the backend: "
                        + s.request());
            }
        }
        assertEquals(expected.size(), writes);
        assertEquals(0, written.leaks(memory.peek(0, (int) CAPACITY)), "plaintext in the backend's contents");
    }

    @Test
    void theGuestsWriteBufferIsNeverChangedAndFuaAndFlushReachTheBackend() throws Exception {
        RecordingBackend below = new RecordingBackend(MemoryBackend.durable(CAPACITY));
        byte[] plain = Plaintext.random(3, 16384);
        try (StandaloneDisk disk = open("d", below, 4096, config)) {
            ByteBuffer heap = ByteBuffer.wrap(plain.clone());
            assertTrue(Io.run(disk, IoRequest.write(Io.tag(), 8192, heap, true)).isOk());
            assertArrayEquals(plain, heap.array());
            ByteBuffer direct = ByteBuffer.allocateDirect(plain.length + 4096);
            direct.put(4096, plain).position(4096);
            assertTrue(Io.run(disk, IoRequest.write(Io.tag(), 65536, direct, false)).isOk());
            byte[] after = new byte[plain.length];
            direct.get(4096, after);
            assertArrayEquals(plain, after);
            assertEquals(4096, direct.position());
            assertTrue(Io.run(disk, IoRequest.flush(Io.tag())).isOk());
        }
        List<IoRequest> requests = below.seen().stream().map(RecordingBackend.Seen::request).toList();
        assertEquals(List.of(IoOp.WRITE, IoOp.WRITE, IoOp.FLUSH), requests.stream().map(IoRequest::op).toList());
        assertTrue(requests.get(0).fua());
        assertFalse(requests.get(1).fua());
        assertEquals(8192, requests.get(0).offset());
        assertEquals(65536, requests.get(1).offset());
    }

    @Test
    void readsReturnPlaintextAndBlocksNeverWrittenReadAsZeros() throws Exception {
        byte[] plain = Plaintext.random(4, 3 * 4096);
        try (StandaloneDisk disk = open("d", MemoryBackend.durable(CAPACITY), 4096, config)) {
            Io.write(disk, 4096, plain, false);
            byte[] got = Io.read(disk, 0, 5 * 4096);
            assertArrayEquals(new byte[4096], Arrays.copyOfRange(got, 0, 4096));
            assertArrayEquals(plain, Arrays.copyOfRange(got, 4096, 4 * 4096));
            assertArrayEquals(new byte[4096], Arrays.copyOfRange(got, 4 * 4096, 5 * 4096));
            Io.write(disk, 4096, new byte[4096], false);
            assertArrayEquals(new byte[4096], Io.read(disk, 4096, 4096), "written zeros read as zeros");
            // a read into a direct buffer at a position is decrypted in place, position kept
            ByteBuffer direct = ByteBuffer.allocateDirect(4 * 4096);
            direct.position(4096);
            assertTrue(Io.run(disk, IoRequest.read(Io.tag(), 8192, direct)).isOk());
            assertEquals(4096, direct.position());
            byte[] tail = new byte[3 * 4096];
            direct.get(4096, tail);
            assertArrayEquals(Arrays.copyOfRange(plain, 4096, 3 * 4096),
                    Arrays.copyOfRange(tail, 0, 2 * 4096));
        }
    }

    @Test
    void unmapAndWriteZeroesAreWithdrawnSoNoHolesOrZerosBelowShowWhichBlocksAreUnused() throws Exception {
        try (StandaloneDisk disk = open("d", MemoryBackend.durable(CAPACITY), 4096, config)) {
            assertFalse(disk.capabilities().contains(Capability.UNMAP), disk.capabilities().toString());
            assertFalse(disk.capabilities().contains(Capability.WRITE_ZEROES), disk.capabilities().toString());
            assertTrue(disk.capabilities().contains(Capability.FLUSH));
            assertTrue(disk.capabilities().contains(Capability.FUA));
            IoStatus s = Io.run(disk, IoRequest.unmap(Io.tag(), 0, 4096));
            assertEquals(IoError.NOT_SUPPORTED, s.error(), s.toString());
            s = Io.run(disk, IoRequest.writeZeroes(Io.tag(), 0, 4096, false));
            assertEquals(IoError.NOT_SUPPORTED, s.error(), s.toString());
        }
    }

    @Test
    void withDiscardsAllowedUnmapAndWriteZeroesPassDownAndReadBackAsZeros() throws Exception {
        MemoryBackend memory = MemoryBackend.durable(CAPACITY);
        Map<String, Object> discards = new HashMap<>(config);
        discards.put("encryption.discards", true);
        byte[] plain = Plaintext.random(5, 4 * 4096);
        try (StandaloneDisk disk = open("d", memory, 4096, discards)) {
            assertTrue(disk.capabilities().contains(Capability.UNMAP));
            assertTrue(disk.capabilities().contains(Capability.WRITE_ZEROES));
            Io.write(disk, 0, plain, false);
            assertTrue(Io.run(disk, IoRequest.writeZeroes(Io.tag(), 4096, 4096, true)).isOk());
            assertTrue(Io.run(disk, IoRequest.unmap(Io.tag(), 8192, 4096)).isOk());
            byte[] got = Io.read(disk, 0, plain.length);
            byte[] expected = plain.clone();
            Arrays.fill(expected, 4096, 8192, (byte) 0);
            byte[] unmapped = Arrays.copyOfRange(got, 8192, 12288);
            // UNMAP may leave the old data or zeros; the memory backend zeroes whole pages
            assertTrue(Arrays.equals(unmapped, new byte[4096])
                    || Arrays.equals(unmapped, Arrays.copyOfRange(plain, 8192, 12288)));
            System.arraycopy(unmapped, 0, expected, 8192, 4096);
            assertArrayEquals(expected, got);
        }
        assertEquals(0, new Plaintext().add(plain).leaks(memory.peek(0, (int) CAPACITY)));
    }

    @Test
    void growAddsBlocksThatReadAsZerosAndEncryptLikeTheRest() throws Exception {
        MemoryBackend memory = MemoryBackend.durable(CAPACITY);
        byte[] plain = Plaintext.random(6, 8192);
        try (StandaloneDisk disk = open("d", memory, 4096, config)) {
            disk.grow(2 * CAPACITY, Duration.ofSeconds(10));
            assertArrayEquals(new byte[8192], Io.read(disk, CAPACITY + 4096, 8192));
            Io.write(disk, CAPACITY + 4096, plain, true);
            assertArrayEquals(plain, Io.read(disk, CAPACITY + 4096, 8192));
        }
        assertEquals(0, new Plaintext().add(plain).leaks(memory.peek(CAPACITY, (int) CAPACITY)));
    }

    @Test
    void manyThreadsWritingAndReadingAtOnceEachReadTheirOwnPlaintextBack() throws Exception {
        int threads = 8;
        int rounds = 200;
        int region = 256 << 10;
        MemoryBackend memory = MemoryBackend.builder(threads * (long) region)
                .latency(Duration.ZERO, Duration.ofMillis(1)).build();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        Plaintext all = new Plaintext();
        List<byte[]> finals = new ArrayList<>();
        try (StandaloneDisk disk = open("d", memory, 512, config)) {
            CountDownLatch start = new CountDownLatch(1);
            List<CompletableFuture<byte[]>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int me = t;
                CompletableFuture<byte[]> f = new CompletableFuture<>();
                done.add(f);
                Thread worker = new Thread(() -> {
                    try {
                        start.await();
                        Random random = new Random(me);
                        byte[] model = new byte[region];
                        long base = (long) me * region;
                        for (int r = 0; r < rounds; r++) {
                            int blocks = 1 + random.nextInt(16);
                            int at = random.nextInt(region / 512 - blocks) * 512;
                            if (random.nextBoolean()) {
                                byte[] data = new byte[blocks * 512];
                                random.nextBytes(data);
                                Io.write(disk, base + at, data, random.nextInt(8) == 0);
                                System.arraycopy(data, 0, model, at, data.length);
                            } else {
                                byte[] got = Io.read(disk, base + at, blocks * 512);
                                if (!Arrays.equals(got, 0, got.length, model, at, at + got.length)) {
                                    failures.add("thread " + me + " round " + r + ": read at " + (base + at)
                                            + " differs from what it wrote");
                                }
                            }
                        }
                        f.complete(model);
                    } catch (Throwable e) {
                        f.completeExceptionally(e);
                    }
                }, "writer-" + t);
                worker.start();
            }
            start.countDown();
            for (int t = 0; t < threads; t++) {
                byte[] model = done.get(t).get(60, TimeUnit.SECONDS);
                finals.add(model);
                assertArrayEquals(model, Io.read(disk, (long) t * region, region), "region of thread " + t);
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
        for (byte[] model : finals) {
            all.add(model);
        }
        assertEquals(0, all.leaks(memory.peek(0, threads * region)));
    }
}
