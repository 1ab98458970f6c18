package io.weir.samples.replication;

import static io.weir.samples.replication.Loopback.flush;
import static io.weir.samples.replication.Loopback.pattern;
import static io.weir.samples.replication.Loopback.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.weir.backend.memory.MemoryBackend;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;
import io.weir.samples.replication.ReplicationMetrics.LinkState;
import io.weir.vscsi.standalone.StandaloneDisk;

/** Synchronous replication over a real TLS link on loopback. */
class SyncReplicationTest {
    private static final long CAPACITY = 4L << 20;
    private static final int BLOCK = 4096;

    @TempDir
    Path tmp;

    @Test
    void aSyncWriteCompletesOnlyOnceTheReplicaHoldsIt() throws Exception {
        try (Loopback net = new Loopback(tmp)) {
            ReplicationFilterFactory factory = new ReplicationFilterFactory();
            MemoryBackend backend = MemoryBackend.builder(CAPACITY)
                    .latency(java.time.Duration.ofMillis(1), java.time.Duration.ofMillis(3)).build();
            try (StandaloneDisk disk = AsyncReplicationTest.open("s1", backend, factory, net.config("sync"),
                    tmp.resolve("sc"))) {
                assertTrue(Loopback.flush(disk).isOk());
                Loopback.caughtUp(factory, "s1");
                for (int i = 0; i < 40; i++) {
                    long offset = (long) (i * 37 % 1000) * BLOCK;
                    byte[] data = pattern(i, 2 * BLOCK);
                    assertTrue(write(disk, offset, data, false).isOk());
                    assertArrayEquals(data, net.replicaBytes("s1", offset, data.length),
                            "write " + i + " completed before the replica held it");
                }
                ReplicationMetrics m = factory.metrics("s1").orElseThrow();
                assertEquals(0, m.degradedWrites());
                assertEquals("sync", m.mode());
            }
        }
    }

    /**
     * Writers keep writing numbered versions of their own blocks while the link is cut at random points; then the
     * primary is abandoned mid-flight. With the {@code fail} policy every write acknowledged OK must be on the
     * replica, durable (read after the receiver closed): each block holds its last acknowledged version or a later
     * attempted one.
     */
    @Test
    void syncReplicaHoldsEveryAcknowledgedWriteThroughLinkCutsAndAnAbandonedPrimary() throws Exception {
        for (long seed = 1; seed <= 3; seed++) {
            Path dir = Files.createDirectories(tmp.resolve("run" + seed));
            cutAndAbandon(dir, seed);
        }
    }

    private void cutAndAbandon(Path dir, long seed) throws Exception {
        Random random = new Random(seed);
        int writers = 4;
        int blocksPerWriter = 16;
        int[][] acked = new int[writers][blocksPerWriter];
        int[][] attempted = new int[writers][blocksPerWriter];
        Loopback net = new Loopback(dir);
        ReplicationFilterFactory factory = new ReplicationFilterFactory();
        Map<String, Object> config = net.config("sync", "replication.sync.onFailure", "fail",
                "replication.sync.timeout.ms", 1000L);
        StandaloneDisk disk = AsyncReplicationTest.open("s2", MemoryBackend.durable(CAPACITY), factory, config,
                dir.resolve("sc"));
        assertTrue(write(disk, 0, new byte[BLOCK], false).isOk());
        Loopback.caughtUp(factory, "s2");
        AtomicBoolean abandoned = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        int failures[] = new int[writers];
        for (int w = 0; w < writers; w++) {
            int me = w;
            Thread t = new Thread(() -> {
                Random r = new Random(seed * 31 + me);
                int version = 0;
                while (!abandoned.get()) {
                    int b = r.nextInt(blocksPerWriter);
                    version++;
                    attempted[me][b] = version;
                    long offset = blockOffset(me, b, blocksPerWriter);
                    try {
                        IoStatus st = Loopback.run(disk, IoRequest.write(Loopback.tag(), offset,
                                ByteBuffer.wrap(versioned(me, b, version)), false));
                        if (st.isOk()) {
                            acked[me][b] = Math.max(acked[me][b], version);
                        } else {
                            failures[me]++;
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
            });
            threads.add(t);
            t.start();
        }
        int cuts = 2 + random.nextInt(3);
        for (int c = 0; c < cuts; c++) {
            Thread.sleep(40 + random.nextInt(120));
            net.proxy.cut();
        }
        Thread.sleep(random.nextInt(100));
        // Abandon the primary: its link is gone for good and nobody waits for it.
        net.proxy.refuse(true);
        abandoned.set(true);
        for (Thread t : threads) {
            t.join(30_000);
        }
        net.receiver.close();
        int checked = 0;
        for (int w = 0; w < writers; w++) {
            for (int b = 0; b < blocksPerWriter; b++) {
                byte[] got = net.replicaBytes("s2", blockOffset(w, b, blocksPerWriter), BLOCK);
                int version = versionOf(w, b, got, attempted[w][b]);
                assertTrue(version >= acked[w][b], "seed " + seed + ": block " + w + "/" + b + " holds version "
                        + version + " on the replica, but version " + acked[w][b] + " was acknowledged");
                checked += acked[w][b] > 0 ? 1 : 0;
            }
        }
        assertTrue(checked > 0, "some writes were acknowledged");
        disk.close();
        net.close();
    }

    private static long blockOffset(int writer, int block, int perWriter) {
        return (long) (writer * perWriter + block + 1) * BLOCK;
    }

    private static byte[] versioned(int writer, int block, int version) {
        return pattern(((long) writer << 40) | ((long) block << 20) | version, BLOCK);
    }

    /** The version in {@code got} (0 for zeros), or -1 when it is no version ever attempted. */
    private static int versionOf(int writer, int block, byte[] got, int maxAttempted) {
        if (Arrays.equals(got, new byte[BLOCK])) {
            return 0;
        }
        for (int v = maxAttempted; v >= 1; v--) {
            if (Arrays.equals(got, versioned(writer, block, v))) {
                return v;
            }
        }
        return -1;
    }

    @Test
    void aSyncDiskDegradesToTrackingWhenTheReplicaIsLostAndResyncsWhenItReturns() throws Exception {
        try (Loopback net = new Loopback(tmp)) {
            ReplicationFilterFactory factory = new ReplicationFilterFactory();
            MemoryBackend backend = MemoryBackend.durable(CAPACITY);
            try (StandaloneDisk disk = AsyncReplicationTest.open("s3", backend, factory,
                    net.config("sync", "replication.sync.onFailure", "degrade"),
                    tmp.resolve("sc"))) {
                assertTrue(write(disk, 0, pattern(0, BLOCK), false).isOk());
                Loopback.caughtUp(factory, "s3");
                net.proxy.refuse(true);
                List<CompletableFuture<IoStatus>> during = new ArrayList<>();
                for (int i = 1; i < 32; i++) {
                    during.add(Loopback.submit(disk, IoRequest.write(Loopback.tag(), (long) i * 65536,
                            ByteBuffer.wrap(pattern(i, BLOCK)), false)));
                }
                for (CompletableFuture<IoStatus> f : during) {
                    assertTrue(f.get().isOk(), "degrade: writes complete once durable locally");
                }
                ReplicationMetrics down = factory.metrics("s3").orElseThrow();
                assertTrue(down.degradedWrites() > 0, down.toString());
                assertTrue(down.dirtyBytes() > 0, down.toString());
                net.proxy.refuse(false);
                assertTrue(flush(disk).isOk());
                ReplicationMetrics m = Loopback.caughtUp(factory, "s3");
                assertEquals(LinkState.STREAMING, m.state());
            }
            assertArrayEquals(backend.peek(0, (int) CAPACITY), net.replicaBytes("s3", 0, (int) CAPACITY));
        }
    }

    @Test
    void withTheFailPolicyASyncWriteFailsWhileTheReplicaIsUnreachable() throws Exception {
        try (Loopback net = new Loopback(tmp)) {
            ReplicationFilterFactory factory = new ReplicationFilterFactory();
            try (StandaloneDisk disk = AsyncReplicationTest.open("s4", MemoryBackend.durable(CAPACITY), factory,
                    net.config("sync", "replication.sync.onFailure", "fail"), tmp.resolve("sc"))) {
                assertTrue(write(disk, 0, pattern(0, BLOCK), false).isOk());
                Loopback.caughtUp(factory, "s4");
                net.proxy.refuse(true);
                Loopback.await(factory, "s4", m -> m.state() == LinkState.DOWN, "the link is down");
                IoStatus st = write(disk, 65536, pattern(1, BLOCK), false);
                assertEquals(io.weir.filter.IoError.IO, st.error(), st.toString());
                assertTrue(st.message().contains("unavailable"), st.message());
                assertTrue(Loopback.run(disk, IoRequest.read(Loopback.tag(), 0, ByteBuffer.allocate(BLOCK))).isOk(),
                        "reads are served locally");
                net.proxy.refuse(false);
                Loopback.caughtUp(factory, "s4");
                assertTrue(write(disk, 65536, pattern(2, BLOCK), false).isOk());
            }
        }
    }
}
