package io.weir.admin.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.weir.admin.testing.MemoryDisk;
import io.weir.filter.IoOp;

class LoadGeneratorTest {
    private MemoryDisk disk;

    @AfterEach
    void close() {
        if (disk != null) {
            disk.close();
        }
    }

    private static LoadSpec bytes(LoadSpec.Pattern pattern, int readPct, int bs, int qd, long total, boolean verify) {
        return new LoadSpec(pattern, readPct, bs, qd, 0, total, 0, 0, verify, 42);
    }

    @ParameterizedTest
    @EnumSource(LoadSpec.Pattern.class)
    void verifyModeFindsNothingWrongOnAnHonestDisk(LoadSpec.Pattern pattern) {
        disk = new MemoryDisk("d", 1 << 20, 512, false);
        LoadResult r = new LoadGenerator(disk, bytes(pattern, 50, 4096, 16, 16 << 20, true)).run(null);
        assertTrue(r.clean(), r.problems().toString());
        assertEquals(4096, r.ops());
        assertTrue(r.verifiedReads() > 1000, "reads go to written blocks: " + r.verifiedReads());
        assertEquals(r.reads(), r.verifiedReads());
        assertTrue(r.flushed());
        assertEquals(1, disk.flushes());
    }

    @Test
    void byteBoundRunTransfersExactlyTheRequestedBytes() {
        disk = new MemoryDisk("d", 1 << 20, 512, false);
        LoadResult r = new LoadGenerator(disk, bytes(LoadSpec.Pattern.SEQUENTIAL, 30, 8192, 4, 1 << 20, false)).run(null);
        assertEquals(128, r.ops());
        assertEquals(1 << 20, r.bytesRead() + r.bytesWritten());
        assertEquals(128, r.reads() + r.writes());
    }

    @Test
    void queueDepthIsKeptButNeverExceeded() {
        disk = new MemoryDisk("d", 1 << 20, 512, false);
        new LoadGenerator(disk, bytes(LoadSpec.Pattern.RANDOM, 100, 4096, 8, 8 << 20, false)).run(null);
        assertTrue(disk.deepestQueue() <= 8, "deepest queue " + disk.deepestQueue());
    }

    @Test
    void verifyModeCapsTheQueueDepthAtTheNumberOfBlocks() {
        disk = new MemoryDisk("d", 16384, 512, false);
        LoadResult r = new LoadGenerator(disk, bytes(LoadSpec.Pattern.RANDOM, 50, 4096, 64, 1 << 20, true)).run(null);
        assertTrue(r.clean(), r.problems().toString());
        assertTrue(disk.deepestQueue() <= 4, "deepest queue " + disk.deepestQueue());
    }

    @Test
    void completionsInsideSubmitAreHandledToo() {
        disk = new MemoryDisk("d", 1 << 20, 4096, true);
        LoadResult r = new LoadGenerator(disk, bytes(LoadSpec.Pattern.RANDOM, 50, 4096, 32, 4 << 20, true)).run(null);
        assertTrue(r.clean(), r.problems().toString());
        assertEquals(1024, r.ops());
    }

    @Test
    void corruptedByteIsReportedWithItsOffset() {
        disk = new MemoryDisk("d", 65536, 512, false);
        disk.corruptReadsAt(4096 + 700);
        LoadResult r = new LoadGenerator(disk, bytes(LoadSpec.Pattern.SEQUENTIAL, 50, 4096, 4, 4 << 20, true)).run(null);
        assertTrue(r.verifyFailures() > 0);
        assertFalse(r.clean());
        String first = r.problems().get(0);
        assertTrue(first.contains("offset 4608 (block 9, first bad byte +188)"), first);
        assertTrue(first.contains("corrupted payload"), first);
    }

    @Test
    void lostWriteIsReportedAsStaleData() {
        disk = new MemoryDisk("d", 65536, 512, false);
        disk.loseWritesAt(16384);
        LoadResult r = new LoadGenerator(disk, bytes(LoadSpec.Pattern.SEQUENTIAL, 50, 4096, 1, 4 << 20, true)).run(null);
        assertTrue(r.verifyFailures() > 0);
        assertTrue(r.problems().get(0).contains("offset 16384 (block 32"), r.problems().get(0));
        assertTrue(r.problems().get(0).contains("lost write"), r.problems().get(0));
    }

    @Test
    void ioErrorsAreCountedAndNamedWithTheirOffset() {
        disk = new MemoryDisk("d", 65536, 512, false);
        disk.failWhen(req -> req.op() == IoOp.WRITE && req.offset() == 8192);
        LoadResult r = new LoadGenerator(disk, bytes(LoadSpec.Pattern.SEQUENTIAL, 0, 4096, 2, 1 << 20, true)).run(null);
        assertEquals(256, r.ops(), r.toString());
        assertTrue(r.errors() > 0);
        assertEquals(1 << 20, r.bytesWritten() + r.errors() * 4096, "every request either wrote or failed");
        assertEquals(0, r.verifyFailures());
        for (String p : r.problems()) {
            assertTrue(p.startsWith("write at offset 8192 failed: IO"), p);
        }
    }

    @Test
    void runStopsIssuingAfterAHundredProblems() {
        disk = new MemoryDisk("d", 65536, 512, false);
        disk.failWhen(req -> req.op() == IoOp.READ);
        LoadResult r = new LoadGenerator(disk, bytes(LoadSpec.Pattern.RANDOM, 100, 4096, 4, 1L << 40, false)).run(null);
        assertTrue(r.errors() >= LoadGenerator.MAX_PROBLEMS && r.errors() < LoadGenerator.MAX_PROBLEMS + 4, "errors " + r.errors());
        assertTrue(r.stoppedEarly().contains("100"), r.stoppedEarly());
        assertEquals(LoadGenerator.KEPT_PROBLEMS, r.problems().size());
    }

    @Test
    void finalFlushIsSkippedWhenTheDiskOffersNone() {
        disk = new MemoryDisk("d", 65536, 512, false);
        disk.capabilities(Set.of());
        LoadResult r = new LoadGenerator(disk, bytes(LoadSpec.Pattern.RANDOM, 0, 4096, 4, 1 << 20, false)).run(null);
        assertTrue(r.clean());
        assertFalse(r.flushed());
        assertEquals(0, disk.flushes());
    }

    @Test
    void timeBoundRunReportsProgressAndCancelStopsIt() {
        disk = new MemoryDisk("d", 1 << 20, 512, false);
        LoadGenerator g = new LoadGenerator(disk, new LoadSpec(LoadSpec.Pattern.RANDOM, 50, 4096, 4,
                TimeUnit.HOURS.toNanos(1), 0, 0, 0, true, 1));
        AtomicReference<Progress> seen = new AtomicReference<>();
        LoadResult r = g.run(p -> {
            seen.set(p);
            g.cancel();
        });
        assertTrue(r.cancelled());
        assertTrue(r.clean(), r.problems().toString());
        assertTrue(seen.get().ops() > 0);
        assertFalse(r.flushed(), "a cancelled run does not flush");
    }

    @Test
    void listenerThatThrowsCancelsTheRun() {
        disk = new MemoryDisk("d", 1 << 20, 512, false);
        LoadGenerator g = new LoadGenerator(disk, new LoadSpec(LoadSpec.Pattern.RANDOM, 50, 4096, 4,
                TimeUnit.HOURS.toNanos(1), 0, 0, 0, false, 1));
        LoadResult r = g.run(p -> {
            throw new java.io.IOException("client gone");
        });
        assertTrue(r.cancelled());
    }

    @Test
    void regionLimitsWhereRequestsGo() {
        disk = new MemoryDisk("d", 1 << 20, 512, false);
        LoadResult r = new LoadGenerator(disk, new LoadSpec(LoadSpec.Pattern.RANDOM, 0, 4096, 8, 0, 2 << 20, 65536,
                65536, false, 3)).run(null);
        assertTrue(r.clean());
        byte[] b = disk.bytes();
        for (int i = 0; i < b.length; i++) {
            if (i < 65536 || i >= 131072) {
                assertEquals(0, b[i], "byte " + i + " lies outside the region");
            }
        }
        assertEquals(65536, r.regionLength());
    }

    @Test
    void specsThatDoNotFitTheDiskAreRefusedPrecisely() {
        disk = new MemoryDisk("d", 1 << 20, 4096, false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new LoadGenerator(disk, bytes(LoadSpec.Pattern.RANDOM, 50, 512, 1, 4096, false)));
        assertTrue(e.getMessage().contains("not a multiple of disk 'd''s logical block size 4096"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new LoadGenerator(disk,
                new LoadSpec(LoadSpec.Pattern.RANDOM, 50, 4096, 1, 0, 4096, 0, 2 << 20, false, 1)));
        assertTrue(e.getMessage().contains("ends beyond disk 'd'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new LoadGenerator(disk,
                new LoadSpec(LoadSpec.Pattern.RANDOM, 50, 4096, 1, 0, 4096, 1 << 20, 0, false, 1)));
        assertTrue(e.getMessage().contains("not inside disk 'd'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new LoadGenerator(disk,
                bytes(LoadSpec.Pattern.RANDOM, 50, 2 << 20, 1, 4096, false)));
        assertTrue(e.getMessage().contains("largest request"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new LoadSpec(LoadSpec.Pattern.RANDOM, 50, 4096, 1025, 0, 1, 0, 0, false, 1));
        assertTrue(e.getMessage().contains("between 1 and 1024, got 1025"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new LoadSpec(LoadSpec.Pattern.RANDOM, 50, 1 << 24, 1024, 0, 1, 0, 0, false, 1));
        assertTrue(e.getMessage().contains("MiB of buffers"), e.getMessage());
    }
}
