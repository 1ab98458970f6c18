package io.weir.samples.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.weir.backend.memory.MemoryBackend;
import io.weir.filter.ControlEvent;
import io.weir.filter.FilterClass;
import io.weir.filter.IoError;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;
import io.weir.vscsi.DiskException;
import io.weir.vscsi.standalone.Disks;
import io.weir.vscsi.standalone.StandaloneDisk;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CacheFilterFactoryTest {
    private static final int CAPACITY = 4 << 20;
    private static final int BLOCK = 4096;
    private static final Duration DEADLINE = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private final CacheFilterFactory factory = new CacheFilterFactory();
    private final List<StandaloneDisk> opened = new ArrayList<>();

    @AfterEach
    void closeDisks() {
        for (StandaloneDisk d : opened) {
            try {
                d.close();
            } catch (DiskException e) {
                // already closed by the test
            }
        }
    }

    private Map<String, Object> settings(CacheMode mode, long cacheBytes, Object... more) {
        Map<String, Object> m = new HashMap<>(Map.of("cache.mode", mode.key(), "cache.directory", dir.toString(),
                "cache.size", cacheBytes));
        for (int i = 0; i < more.length; i += 2) {
            m.put((String) more[i], more[i + 1]);
        }
        return m;
    }

    private StandaloneDisk disk(String id, MemoryBackend backend, Map<String, Object> settings) throws DiskException {
        StandaloneDisk d = Disks.builder(id).backend(backend).deadline(DEADLINE)
                .filter("cache", FilterClass.CACHE, factory, settings).open();
        opened.add(d);
        return d;
    }

    private static MemoryBackend memory(String id) {
        return MemoryBackend.builder(CAPACITY).name(id).build();
    }

    private static byte[] random(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    // ------------------------------------------------------------------ modes against a model

    @ParameterizedTest
    @EnumSource(CacheMode.class)
    void everyModeReadsBackWhatAModelOfTheDiskHoldsUnderConcurrentMixedRequests(CacheMode mode) throws Exception {
        Random random = new Random(11 + mode.ordinal());
        MemoryBackend backend = MemoryBackend.builder(CAPACITY).name("model").latency(Duration.ZERO,
                Duration.ofMillis(1)).build();
        StandaloneDisk d = disk("model-" + mode.key(), backend, settings(mode, 64 * BLOCK));
        byte[] model = new byte[CAPACITY];
        int span = 256 * BLOCK; // a hot region four times the cache, so blocks are evicted and written back
        for (int wave = 0; wave < 60; wave++) {
            List<CompletableFuture<IoStatus>> pending = new ArrayList<>();
            List<Runnable> checks = new ArrayList<>();
            boolean[] used = new boolean[span / 512];
            for (int k = 0; k < 8; k++) {
                int sectors = 1 + random.nextInt(random.nextBoolean() ? 8 : 40);
                int first = random.nextInt(span / 512 - sectors);
                if (!Io.claim(used, first, sectors)) {
                    continue;
                }
                long off = first * 512L;
                int len = sectors * 512;
                switch (random.nextInt(4)) {
                    case 0, 1 -> {
                        byte[] data = random(random, len);
                        System.arraycopy(data, 0, model, (int) off, len);
                        pending.add(Io.submit(d, IoRequest.write(Io.tag(), off, ByteBuffer.wrap(data),
                                random.nextInt(5) == 0)));
                    }
                    case 2 -> {
                        Arrays.fill(model, (int) off, (int) off + len, (byte) 0);
                        pending.add(Io.submit(d, IoRequest.writeZeroes(Io.tag(), off, len, false)));
                    }
                    default -> {
                        ByteBuffer buf = ByteBuffer.allocate(len);
                        byte[] expected = Arrays.copyOfRange(model, (int) off, (int) off + len);
                        pending.add(Io.submit(d, IoRequest.read(Io.tag(), off, buf)));
                        checks.add(() -> assertArrayEquals(expected, buf.array(), mode + ": read at " + off + "+" + len));
                    }
                }
            }
            for (CompletableFuture<IoStatus> f : pending) {
                Io.ok(f.get(10, TimeUnit.SECONDS), mode + " request");
            }
            checks.forEach(Runnable::run);
            if (wave % 10 == 9) {
                Io.flush(d);
            }
        }
        for (int off = 0; off < span; off += 64 * 1024) {
            assertArrayEquals(Arrays.copyOfRange(model, off, off + 64 * 1024), Io.read(d, off, 64 * 1024),
                    mode + ": final read at " + off);
        }
        CacheMetrics m = factory.metrics(d.id()).orElseThrow();
        assertTrue(m.evictions() > 0, "the workload made the cache evict: " + m);
        d.close();
        assertArrayEquals(Arrays.copyOf(model, span), backend.peek(0, span), mode + ": the backend holds every write"
                + " after DETACH");
    }

    @ParameterizedTest
    @EnumSource(CacheMode.class)
    void overlappingInFlightWritesLeaveTheCacheAgreeingWithTheBackend(CacheMode mode) throws Exception {
        MemoryBackend backend = MemoryBackend.builder(CAPACITY).name("overlap").latency(Duration.ZERO,
                Duration.ofMillis(2)).build();
        StandaloneDisk d = disk("overlap-" + mode.key(), backend, settings(mode, 64 * BLOCK));
        Random random = new Random(13);
        for (int round = 0; round < 20; round++) {
            List<CompletableFuture<IoStatus>> pending = new ArrayList<>();
            for (int k = 0; k < 6; k++) { // six writes in flight over the same two blocks, some partial
                int sectors = 1 + random.nextInt(16);
                long off = random.nextInt(16 - Math.min(sectors, 15)) * 512L;
                pending.add(Io.submit(d, IoRequest.write(Io.tag(), off, ByteBuffer.wrap(random(random, sectors * 512)),
                        false)));
            }
            for (CompletableFuture<IoStatus> f : pending) {
                Io.ok(f.get(10, TimeUnit.SECONDS), "overlapping write");
            }
            byte[] first = Io.read(d, 0, 2 * BLOCK);
            assertArrayEquals(first, Io.read(d, 0, 2 * BLOCK), "two reads after the writes completed agree");
            if (mode != CacheMode.WRITE_BACK) {
                assertArrayEquals(backend.peek(0, 2 * BLOCK), first, mode + ": the cache serves what the backend holds");
            }
        }
        byte[] last = Io.read(d, 0, 2 * BLOCK);
        d.close();
        assertArrayEquals(last, backend.peek(0, 2 * BLOCK), mode + ": after DETACH the backend holds what was read");
    }

    @ParameterizedTest
    @EnumSource(CacheMode.class)
    void aReadStartedAfterAWriteCompletedReturnsThatWritesDataAcrossThreads(CacheMode mode) throws Exception {
        StandaloneDisk d = disk("raw-" + mode.key(), MemoryBackend.builder(CAPACITY).name("raw")
                .latency(Duration.ZERO, Duration.ofMillis(1)).build(), settings(mode, 32 * BLOCK));
        int threads = 4;
        List<Thread> workers = new ArrayList<>();
        List<Throwable> problems = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < threads; t++) {
            int me = t;
            workers.add(new Thread(() -> {
                Random random = new Random(100 + me);
                try {
                    for (int i = 0; i < 150; i++) {
                        // Each thread owns 16 blocks; all threads together overflow the cache, so blocks are
                        // evicted and written back under the others' feet.
                        long off = ((long) me * 16 + random.nextInt(14)) * BLOCK + random.nextInt(8) * 512L; // stays in its 16
                        int len = (1 + random.nextInt(12)) * 512;
                        byte[] data = random(random, len);
                        Io.write(d, off, data);
                        assertArrayEquals(data, Io.read(d, off, len), "read after write at " + off + "+" + len);
                    }
                } catch (Throwable e) {
                    problems.add(e);
                }
            }));
        }
        workers.forEach(Thread::start);
        for (Thread w : workers) {
            w.join(60_000);
        }
        assertTrue(problems.isEmpty(), () -> mode + ": " + problems.get(0));
    }

    @Test
    void writeThroughServesRepeatedReadsFromTheCacheAndCountsTheHits() throws Exception {
        StandaloneDisk d = disk("hits", memory("hits"), settings(CacheMode.WRITE_THROUGH, 64 * BLOCK));
        byte[] data = random(new Random(1), 8 * BLOCK);
        Io.write(d, 0, data);
        for (int i = 0; i < 5; i++) {
            assertArrayEquals(data, Io.read(d, 0, data.length));
        }
        CacheMetrics m = factory.metrics("hits").orElseThrow();
        assertEquals(5, m.readHits(), "written blocks were cached, so every read was a hit: " + m);
        assertEquals(0, m.dirtyBytes());
        assertEquals(8L * BLOCK, m.cachedBytes());
    }

    @Test
    void writeAroundDoesNotCacheWritesButCachesReads() throws Exception {
        StandaloneDisk d = disk("around", memory("around"), settings(CacheMode.WRITE_AROUND, 64 * BLOCK));
        byte[] data = random(new Random(2), 4 * BLOCK);
        Io.write(d, 0, data);
        assertArrayEquals(data, Io.read(d, 0, data.length));
        assertArrayEquals(data, Io.read(d, 0, data.length));
        CacheMetrics m = factory.metrics("around").orElseThrow();
        assertEquals(1, m.readMisses(), m.toString());
        assertEquals(1, m.readHits(), m.toString());
        byte[] newer = random(new Random(3), 4 * BLOCK);
        Io.write(d, 0, newer);
        assertArrayEquals(newer, Io.read(d, 0, newer.length), "a write invalidated the cached copy");
    }

    // ------------------------------------------------------------------ write-back

    @Test
    void writeBackAbsorbsWritesAndWritesEverythingBackBeforeSnapshotSwapAndDetach() throws Exception {
        MemoryBackend backend = memory("events");
        StandaloneDisk d = disk("events", backend, settings(CacheMode.WRITE_BACK, 256 * BLOCK));
        Random random = new Random(4);
        int unit = 0;
        for (ControlEvent.Kind kind : List.of(ControlEvent.Kind.SNAPSHOT_PREPARE, ControlEvent.Kind.SWAP_OUT)) {
            byte[] data = random(random, 8 * BLOCK);
            long off = (long) unit * BLOCK;
            Io.write(d, off, data);
            assertFalse(Arrays.equals(data, backend.peek(off, data.length)), "the write was absorbed by the cache");
            assertEquals(8L * BLOCK, factory.metrics("events").orElseThrow().dirtyBytes());
            if (kind == ControlEvent.Kind.SWAP_OUT) {
                d.swap("cache", factory, settings(CacheMode.WRITE_BACK, 256 * BLOCK), DEADLINE);
            } else {
                d.stun(DEADLINE);
                d.deliver(kind, DEADLINE);
                d.deliver(ControlEvent.Kind.SNAPSHOT_COMMIT, DEADLINE);
                d.unstun();
            }
            assertArrayEquals(data, backend.peek(off, data.length), "written back before " + kind);
            assertArrayEquals(data, Io.read(d, off, data.length), "and still readable after " + kind);
            unit += 8;
        }
        byte[] last = random(random, 8 * BLOCK);
        Io.write(d, (long) unit * BLOCK, last);
        d.close();
        assertArrayEquals(last, backend.peek((long) unit * BLOCK, last.length), "written back before DETACH");
    }

    @Test
    void writeBackStartsWritingBackAboveTheHighWatermarkAndStopsAtTheLowOne() throws Exception {
        MemoryBackend backend = memory("watermarks");
        StandaloneDisk d = disk("watermarks", backend, settings(CacheMode.WRITE_BACK, 100 * BLOCK,
                "cache.writeback.high", 50, "cache.writeback.low", 10));
        Random random = new Random(5);
        for (int i = 0; i < 40; i++) {
            Io.write(d, (long) i * BLOCK, random(random, BLOCK));
        }
        assertEquals(40L * BLOCK, factory.metrics("watermarks").orElseThrow().dirtyBytes(), "below the high mark");
        for (int i = 40; i < 60; i++) {
            Io.write(d, (long) i * BLOCK, random(random, BLOCK));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (factory.metrics("watermarks").orElseThrow().dirtyBytes() > 10L * BLOCK && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        CacheMetrics m = factory.metrics("watermarks").orElseThrow();
        assertTrue(m.dirtyBytes() <= 10L * BLOCK, "background write-back went down to the low mark: " + m);
        assertTrue(m.writtenBack() >= 50L * BLOCK, m.toString());
    }

    @Test
    void writeBackCacheNeverLosesAFlushedWriteThroughACrash() throws Exception {
        Random random = new Random(6);
        MemoryBackend backend = MemoryBackend.builder(CAPACITY).name("crash").latency(Duration.ZERO,
                Duration.ofMillis(2)).build();
        String id = "crash";
        StandaloneDisk d = disk(id, backend, settings(CacheMode.WRITE_BACK, 64 * BLOCK, "cache.writeback.high", 30,
                "cache.writeback.low", 10));
        byte[] model = new byte[CAPACITY];
        int span = 160 * BLOCK;
        record Snapshot(byte[] cacheFile, byte[] backend, byte[] expected) {
        }
        List<Snapshot> snapshots = new ArrayList<>();
        Path file = dir.resolve(CacheFilterFactory.fileName(id));
        for (int wave = 0; wave < 40; wave++) {
            List<CompletableFuture<IoStatus>> pending = new ArrayList<>();
            boolean[] used = new boolean[span / 512];
            for (int k = 0; k < 6; k++) {
                int sectors = 1 + random.nextInt(random.nextBoolean() ? 8 : 24);
                int first = random.nextInt(span / 512 - sectors);
                if (!Io.claim(used, first, sectors)) {
                    continue;
                }
                byte[] data = random(random, sectors * 512);
                System.arraycopy(data, 0, model, first * 512, data.length);
                pending.add(Io.submit(d, IoRequest.write(Io.tag(), first * 512L, ByteBuffer.wrap(data),
                        random.nextInt(6) == 0)));
            }
            for (CompletableFuture<IoStatus> f : pending) {
                Io.ok(f.get(10, TimeUnit.SECONDS), "write");
            }
            if (random.nextInt(3) == 0) {
                Io.flush(d);
                // The crash: copy the cache file first, then the backend, while write-backs may be in flight.
                byte[] cache = Files.readAllBytes(file);
                snapshots.add(new Snapshot(cache, backend.peek(0, CAPACITY), Arrays.copyOf(model, CAPACITY)));
            }
        }
        assertTrue(snapshots.size() >= 5, "the workload took several crash snapshots: " + snapshots.size());
        int n = 0;
        long recovered = 0;
        for (Snapshot s : snapshots) {
            String copy = "crash-copy-" + n++;
            Files.write(dir.resolve(CacheFilterFactory.fileName(copy)), patchDiskId(s.cacheFile(), copy));
            MemoryBackend restored = memory(copy);
            Io.fill(restored, s.backend());
            StandaloneDisk after = disk(copy, restored, settings(CacheMode.WRITE_BACK, 64 * BLOCK,
                    "cache.writeback.high", 30, "cache.writeback.low", 10));
            recovered += factory.metrics(copy).orElseThrow().recoveredBytes();
            for (int off = 0; off < span; off += 32 * BLOCK) {
                assertArrayEquals(Arrays.copyOfRange(s.expected(), off, off + 32 * BLOCK), Io.read(after, off,
                        32 * BLOCK), "after crash " + n + ", every flushed write is read back at " + off);
            }
            after.close();
            assertArrayEquals(Arrays.copyOf(s.expected(), span), restored.peek(0, span),
                    "after crash " + n + " and DETACH, the recovered dirty data is on the backend");
        }
        assertTrue(recovered > 0, "some crashes left dirty data that only the cache file held");
    }

    @Test
    void aTornUnforcedLogTailIsIgnoredAndEveryFlushedWriteSurvives() throws Exception {
        Random random = new Random(12);
        MemoryBackend backend = memory("torn");
        StandaloneDisk d = disk("torn", backend, settings(CacheMode.WRITE_BACK, 256 * BLOCK));
        byte[] flushed = random(random, 32 * BLOCK);
        Io.write(d, 0, flushed);
        Io.flush(d);
        byte[] before = backend.peek(64 * BLOCK, 16 * BLOCK);
        byte[] unflushed = random(random, 16 * BLOCK);
        for (int i = 0; i < 16; i++) { // one record per block, none forced
            Io.write(d, (long) (64 + i) * BLOCK, Arrays.copyOfRange(unflushed, i * BLOCK, (i + 1) * BLOCK));
        }
        byte[] image = Files.readAllBytes(dir.resolve(CacheFilterFactory.fileName("torn")));
        byte[] backendImage = backend.peek(0, CAPACITY);
        int area = recordArea(image);
        List<Integer> unforced = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(image);
        boolean afterSync = false;
        for (int at = area; b.getInt(at) == 0x57434C47; at += CacheFile.RECORD) {
            if (afterSync && image[at + 4] == CacheFile.DIRTY) {
                unforced.add(at);
            }
            afterSync |= image[at + 4] == CacheFile.SYNC;
        }
        assertEquals(16, unforced.size(), "each unflushed write appended one DIRTY record after the last SYNC");
        for (int trial = 0; trial < 3; trial++) {
            String copy = "torn-" + trial;
            byte[] torn = patchDiskId(image.clone(), copy);
            int at = unforced.get(random.nextInt(unforced.size()));
            Arrays.fill(torn, at + 20, at + CacheFile.RECORD, (byte) 0); // half a record reached the disk
            Files.write(dir.resolve(CacheFilterFactory.fileName(copy)), torn);
            MemoryBackend restored = memory(copy);
            Io.fill(restored, backendImage);
            StandaloneDisk after = disk(copy, restored, settings(CacheMode.WRITE_BACK, 256 * BLOCK));
            assertArrayEquals(flushed, Io.read(after, 0, flushed.length), "every flushed write survives the torn tail");
            for (int i = 0; i < 16; i++) {
                byte[] got = Io.read(after, (long) (64 + i) * BLOCK, BLOCK);
                boolean old = Arrays.equals(got, Arrays.copyOfRange(before, i * BLOCK, (i + 1) * BLOCK));
                boolean fresh = Arrays.equals(got, Arrays.copyOfRange(unflushed, i * BLOCK, (i + 1) * BLOCK));
                assertTrue(old || fresh, "an unflushed block reads as its old or its new version, never anything else");
            }
            after.close();
        }
    }

    /** A copy of a cache file made for another disk id (the id is part of the checksummed header). */
    private static byte[] patchDiskId(byte[] file, String diskId) {
        ByteBuffer h = ByteBuffer.wrap(file);
        byte[] id = diskId.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        h.putShort(40, (short) id.length);
        h.put(42, id);
        h.putInt(508, CacheFile.crc(file, 0, 508));
        return file;
    }

    @Test
    void aCorruptForcedLogRecordOrATruncatedCacheFileIsRefusedNeverTrusted() throws Exception {
        StandaloneDisk d = disk("corrupt", memory("corrupt"), settings(CacheMode.WRITE_BACK, 64 * BLOCK));
        for (int i = 0; i < 4; i++) {
            Io.write(d, (long) i * BLOCK, random(new Random(i), BLOCK));
        }
        Io.flush(d);
        byte[] image = Files.readAllBytes(dir.resolve(CacheFilterFactory.fileName("corrupt")));
        // The live log is the area with the higher epoch; find a DIRTY record in it and damage it.
        int area = recordArea(image);
        int dirtyAt = -1;
        for (int at = area; at < image.length; at += CacheFile.RECORD) {
            if (image[at + 4] == CacheFile.DIRTY && ByteBuffer.wrap(image).getInt(at) == 0x57434C47) {
                dirtyAt = at;
                break;
            }
        }
        assertTrue(dirtyAt > 0, "found a DIRTY record");
        byte[] corrupt = patchDiskId(image.clone(), "corrupt-copy");
        corrupt[dirtyAt + 26] ^= 0x5a;
        Files.write(dir.resolve(CacheFilterFactory.fileName("corrupt-copy")), corrupt);
        DiskException refused = assertThrows(DiskException.class, () -> disk("corrupt-copy", memory("corrupt-copy"),
                settings(CacheMode.WRITE_BACK, 64 * BLOCK)));
        assertTrue(refused.getMessage().contains("corrupt-copy.cache") && refused.getMessage().contains("corrupt"),
                refused.getMessage());

        byte[] truncated = Arrays.copyOf(patchDiskId(image.clone(), "truncated"), 8192);
        Files.write(dir.resolve(CacheFilterFactory.fileName("truncated")), truncated);
        DiskException cut = assertThrows(DiskException.class, () -> disk("truncated", memory("truncated"),
                settings(CacheMode.WRITE_BACK, 64 * BLOCK)));
        assertTrue(cut.getMessage().contains("truncated.cache") && cut.getMessage().contains("truncated"),
                cut.getMessage());
    }

    /** The byte offset of the log area whose checkpoint has the higher epoch. */
    private static int recordArea(byte[] image) {
        ByteBuffer b = ByteBuffer.wrap(image);
        long records = b.getLong(24);
        int a0 = CacheFile.HEADER;
        int a1 = (int) (CacheFile.HEADER + records * CacheFile.RECORD);
        return b.getLong(a1 + 8) > b.getLong(a0 + 8) && b.getInt(a1) == 0x57434C47 ? a1 : a0;
    }

    @Test
    void aCacheFileTruncatedUnderARunningDiskFailsReadsOfItsDirtyBlocksAndServesNothingStale() throws Exception {
        MemoryBackend backend = memory("cut-live");
        byte[] old = random(new Random(7), 8 * BLOCK);
        Io.fill(backend, Arrays.copyOf(old, CAPACITY));
        StandaloneDisk d = disk("cut-live", backend, settings(CacheMode.WRITE_BACK, 64 * BLOCK));
        byte[] newer = random(new Random(8), 4 * BLOCK);
        Io.write(d, 0, newer);
        try (FileChannel ch = FileChannel.open(dir.resolve(CacheFilterFactory.fileName("cut-live")),
                StandardOpenOption.WRITE)) {
            ch.truncate(CacheFile.HEADER);
        }
        ByteBuffer buf = ByteBuffer.allocate(BLOCK);
        IoStatus st = Io.run(d, IoRequest.read(Io.tag(), 0, buf));
        assertEquals(IoError.IO, st.error(), "a dirty block that cannot be read fails, never reads stale: " + st);
        assertTrue(st.message().contains("cut-live.cache"), st.message());
        assertArrayEquals(Arrays.copyOfRange(old, 6 * BLOCK, 8 * BLOCK), Io.read(d, 6 * BLOCK, 2 * BLOCK),
                "blocks the cache does not hold are read from the backend");
        IoStatus flush = Io.run(d, IoRequest.flush(Io.tag()));
        assertFalse(flush.isOk(), "a FLUSH cannot make the lost dirty data durable and says so: " + flush);
        assertTrue(flush.message().contains("cut-live.cache"), flush.message());
        assertTrue(factory.metrics("cut-live").orElseThrow().failure() != null);
    }

    @Test
    void anUnusableCacheDirectoryRefusesTheAttachNamingIt() throws Exception {
        Path notADirectory = Files.writeString(dir.resolve("plain-file"), "x");
        Map<String, Object> s = settings(CacheMode.WRITE_BACK, 64 * BLOCK);
        s.put("cache.directory", notADirectory.resolve("cache").toString());
        DiskException e = assertThrows(DiskException.class, () -> disk("nodir", memory("nodir"), s));
        assertTrue(e.getMessage().contains("plain-file"), e.getMessage());
    }

    @Test
    void writeThroughRefusesACacheFileThatHoldsDirtyDataAndWriteBackRecoversIt() throws Exception {
        MemoryBackend backend = memory("left-dirty");
        StandaloneDisk d = disk("left-dirty", backend, settings(CacheMode.WRITE_BACK, 64 * BLOCK));
        byte[] data = random(new Random(9), 2 * BLOCK);
        Io.write(d, 0, data);
        Io.flush(d);
        byte[] image = Files.readAllBytes(dir.resolve(CacheFilterFactory.fileName("left-dirty")));
        Files.write(dir.resolve(CacheFilterFactory.fileName("again")), patchDiskId(image, "again"));
        MemoryBackend copy = memory("again");
        Io.fill(copy, backend.peek(0, CAPACITY));
        DiskException refused = assertThrows(DiskException.class,
                () -> disk("again", copy, settings(CacheMode.WRITE_THROUGH, 64 * BLOCK)));
        assertTrue(refused.getMessage().contains("dirty blocks"), refused.getMessage());
        StandaloneDisk recovered = disk("again", copy, settings(CacheMode.WRITE_BACK, 64 * BLOCK));
        assertArrayEquals(data, Io.read(recovered, 0, data.length));
    }

    // ------------------------------------------------------------------ swap

    @Test
    void aSwappedInInstanceStartsWarmAndNeverServesStaleData() throws Exception {
        StandaloneDisk d = disk("swap", memory("swap"), settings(CacheMode.WRITE_THROUGH, 64 * BLOCK));
        byte[] data = random(new Random(10), 16 * BLOCK);
        Io.write(d, 0, data);
        d.swap("cache", factory, settings(CacheMode.WRITE_THROUGH, 64 * BLOCK), DEADLINE);
        assertArrayEquals(data, Io.read(d, 0, data.length));
        assertEquals(1, factory.metrics("swap").orElseThrow().readHits(), "the successor took over the warm index");
        byte[] newer = random(new Random(11), 4 * BLOCK);
        Io.write(d, 4 * BLOCK, newer);
        d.swap("cache", factory, settings(CacheMode.WRITE_BACK, 64 * BLOCK), DEADLINE);
        assertArrayEquals(newer, Io.read(d, 4 * BLOCK, newer.length), "after a second swap, the newest data");
        d.close();
    }

    @Test
    void settingsOutsideTheirRangeAreRefusedNamingTheKey() {
        for (Map.Entry<String, Object> bad : List.<Map.Entry<String, Object>>of(Map.entry("cache.block.size", 6000),
                Map.entry("cache.mode", "write-sideways"), Map.entry("cache.flush", "never"),
                Map.entry("cache.writeback.low", 90))) {
            Map<String, Object> s = settings(CacheMode.WRITE_THROUGH, 64 * BLOCK);
            s.put(bad.getKey(), bad.getValue());
            DiskException e = assertThrows(DiskException.class, () -> disk("bad", memory("bad"), s));
            assertTrue(e.getMessage().contains(bad.getKey()) || e.getMessage().contains(String.valueOf(bad.getValue())),
                    e.getMessage());
        }
        Map<String, Object> noDir = settings(CacheMode.WRITE_BACK, 64 * BLOCK);
        noDir.remove("cache.directory");
        DiskException e = assertThrows(DiskException.class, () -> disk("nodir-wb", memory("nodir-wb"), noDir));
        assertTrue(e.getMessage().contains("cache.directory"), e.getMessage());
    }
}
