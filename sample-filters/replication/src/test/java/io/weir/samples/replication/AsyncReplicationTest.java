package io.weir.samples.replication;

import static io.weir.samples.replication.Loopback.flush;
import static io.weir.samples.replication.Loopback.pattern;
import static io.weir.samples.replication.Loopback.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.weir.backend.memory.MemoryBackend;
import io.weir.filter.ControlEvent;
import io.weir.filter.FilterClass;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;
import io.weir.samples.replication.ReplicationMetrics.LinkState;
import io.weir.vscsi.standalone.Disks;
import io.weir.vscsi.standalone.StandaloneDisk;

/** Asynchronous replication over a real TLS link on loopback, between two standalone disks' worth of storage. */
class AsyncReplicationTest {
    private static final long CAPACITY = 4L << 20;
    private static final int BLOCK = 4096;

    @TempDir
    Path tmp;

    static StandaloneDisk open(String id, MemoryBackend backend, ReplicationFilterFactory f,
                               Map<String, Object> config, Path sidecars) throws Exception {
        return Disks.builder(id).backend(backend).sidecarDirectory(sidecars)
                .filter("replication", FilterClass.REPLICATION, f, config).open();
    }

    @Test
    void asyncReplicaHoldsExactlyThePrimaryOnceCaughtUp() throws Exception {
        try (Loopback net = new Loopback(tmp)) {
            ReplicationFilterFactory factory = new ReplicationFilterFactory();
            MemoryBackend backend = MemoryBackend.durable(CAPACITY);
            try (StandaloneDisk disk = open("d1", backend, factory, net.config("async"), tmp.resolve("sc"))) {
                for (int i = 0; i < 64; i++) {
                    assertTrue(write(disk, (long) i * 65536 % CAPACITY, pattern(i, 8192), i % 7 == 0).isOk());
                }
                assertTrue(Loopback.run(disk, IoRequest.writeZeroes(Loopback.tag(), 65536, 4096, false)).isOk());
                assertTrue(Loopback.run(disk, IoRequest.unmap(Loopback.tag(), 131072, 4096)).isOk());
                assertTrue(flush(disk).isOk());
                ReplicationMetrics m = Loopback.caughtUp(factory, "d1");
                assertEquals(0, m.degradedWrites());
                assertEquals(Duration.ZERO, m.lag());
                assertTrue(m.sentBytes() > 64 * 8192, m.toString());
            }
            assertArrayEquals(backend.peek(0, (int) CAPACITY), net.replicaBytes("d1", 0, (int) CAPACITY));
        }
    }

    /**
     * Rounds of concurrent writes, each followed by a FLUSH, while the link is stalled now and then so the replica
     * lags: every checkpoint the replica recorded, recovered at its time, is exactly the primary as of that FLUSH.
     */
    @Test
    void everyReplicaCheckpointIsExactlyThePrimaryAsOfItsFlushAndRecoverAtTimeReturnsIt() throws Exception {
        try (Loopback net = new Loopback(tmp)) {
            ReplicationFilterFactory factory = new ReplicationFilterFactory();
            MemoryBackend backend = MemoryBackend.builder(CAPACITY).latency(Duration.ZERO, Duration.ofMillis(1))
                    .build();
            Random random = new Random(7);
            byte[] model = new byte[(int) CAPACITY];
            List<byte[]> atFlush = new ArrayList<>();
            int rounds = 16;
            try (StandaloneDisk disk = open("d2", backend, factory, net.config("async"), tmp.resolve("sc"))) {
                assertTrue(flush(disk).isOk());
                Loopback.caughtUp(factory, "d2");
                for (int round = 0; round < rounds; round++) {
                    if (round % 4 == 1) {
                        net.proxy.stall();
                    }
                    List<CompletableFuture<IoStatus>> batch = new ArrayList<>();
                    List<Integer> used = new ArrayList<>();
                    for (int i = 0; i < 8; i++) {
                        int block;
                        do {
                            block = random.nextInt((int) (CAPACITY / BLOCK) - 4);
                        } while (overlaps(used, block, 4));
                        used.add(block);
                        int len = BLOCK * (1 + random.nextInt(4));
                        byte[] data = pattern(round * 100L + i, len);
                        System.arraycopy(data, 0, model, block * BLOCK, len);
                        batch.add(Loopback.submit(disk, IoRequest.write(Loopback.tag(), (long) block * BLOCK,
                                ByteBuffer.wrap(data), false)));
                    }
                    for (CompletableFuture<IoStatus> f : batch) {
                        assertTrue(f.get().isOk());
                    }
                    atFlush.add(model.clone());
                    assertTrue(flush(disk).isOk());
                    if (round % 4 == 2) {
                        assertTrue(factory.metrics("d2").orElseThrow().lagBytes() > 0, "the stalled link lags");
                        net.proxy.resume();
                    }
                }
                Loopback.caughtUp(factory, "d2");
            }
            ReplicaStore store = net.receiver.store();
            List<Checkpoint> checkpoints = store.checkpoints("d2");
            // The first checkpoint is the empty disk's, from the FLUSH before the rounds.
            assertEquals(rounds + 1, checkpoints.size(), checkpoints.toString());
            assertTrue(checkpoints.stream().allMatch(c -> c.cause() == Checkpoint.Cause.FLUSH), checkpoints.toString());
            for (int i = 0; i < rounds; i++) {
                Path out = tmp.resolve("d2-at-" + i + ".raw");
                Checkpoint c = store.recover("d2", checkpoints.get(i + 1).primaryAt(), out);
                assertEquals(checkpoints.get(i + 1).id(), c.id());
                assertArrayEquals(atFlush.get(i), Files.readAllBytes(out), "checkpoint " + i);
            }
            Checkpoint first = checkpoints.get(0);
            IOException tooEarly = assertThrows(IOException.class,
                    () -> store.recover("d2", first.primaryAt().minusMillis(1), tmp.resolve("x.raw")));
            assertTrue(tooEarly.getMessage().contains("no checkpoint at or before"), tooEarly.getMessage());
            assertArrayEquals(model, net.replicaBytes("d2", 0, (int) CAPACITY));
        }
    }

    private static boolean overlaps(List<Integer> used, int block, int span) {
        for (int u : used) {
            if (block < u + span && u < block + span) {
                return true;
            }
        }
        return false;
    }

    @Test
    void aBrokenLinkFallsBackToDirtyTrackingAndTheResyncConvergesToIdenticalImages() throws Exception {
        try (Loopback net = new Loopback(tmp)) {
            ReplicationFilterFactory factory = new ReplicationFilterFactory();
            MemoryBackend backend = MemoryBackend.durable(CAPACITY);
            Random random = new Random(11);
            try (StandaloneDisk disk = open("d3", backend, factory, net.config("async"), tmp.resolve("sc"))) {
                assertTrue(flush(disk).isOk());
                Loopback.caughtUp(factory, "d3");
                for (int i = 0; i < 300; i++) {
                    if (i % 50 == 25) {
                        net.proxy.cut();
                    }
                    if (i == 150) {
                        net.proxy.refuse(true);
                        Loopback.await(factory, "d3", m -> m.state() == LinkState.DOWN, "the link is down");
                    }
                    if (i == 200) {
                        ReplicationMetrics down = factory.metrics("d3").orElseThrow();
                        assertEquals(LinkState.DOWN, down.state());
                        assertTrue(down.dirtyBytes() > 0, down.toString());
                        assertTrue(down.lag().compareTo(Duration.ZERO) > 0, down.toString());
                        net.proxy.refuse(false);
                    }
                    long offset = (long) random.nextInt((int) (CAPACITY / BLOCK)) * BLOCK;
                    assertTrue(write(disk, offset, pattern(i, BLOCK), false).isOk());
                }
                assertTrue(flush(disk).isOk());
                ReplicationMetrics m = Loopback.caughtUp(factory, "d3");
                assertTrue(m.connects() >= 2, m.toString());
                disk.stun(Duration.ofSeconds(5));
                disk.deliver(ControlEvent.Kind.SNAPSHOT_PREPARE, Duration.ofSeconds(5));
                disk.deliver(ControlEvent.Kind.SNAPSHOT_COMMIT, Duration.ofSeconds(5));
                disk.unstun();
                assertTrue(m.resyncDone() > 0, m.toString());
            }
            assertArrayEquals(backend.peek(0, (int) CAPACITY), net.replicaBytes("d3", 0, (int) CAPACITY));
            // a finished resync and a snapshot are checkpoints of their own, told apart from the guest's FLUSHes
            List<Checkpoint.Cause> causes = net.receiver.store().checkpoints("d3").stream().map(Checkpoint::cause).toList();
            assertTrue(causes.containsAll(List.of(Checkpoint.Cause.FLUSH, Checkpoint.Cause.RESYNC)), causes.toString());
            assertEquals(Checkpoint.Cause.SNAPSHOT, causes.get(causes.size() - 1), causes.toString());
        }
    }

    @Test
    void aStalledReplicaHoldsWritesWithinTheBufferThenGivesUpForTrackingSoTheGuestNeverStallsForever()
            throws Exception {
        try (Loopback net = new Loopback(tmp)) {
            ReplicationFilterFactory factory = new ReplicationFilterFactory();
            MemoryBackend backend = MemoryBackend.durable(CAPACITY);
            Map<String, Object> config = net.config("async", "replication.buffer.bytes", 262_144L,
                    "replication.backpressure.ms", 300L);
            try (StandaloneDisk disk = open("d4", backend, factory, config, tmp.resolve("sc"))) {
                assertTrue(write(disk, 0, pattern(1, BLOCK), false).isOk());
                Loopback.caughtUp(factory, "d4");
                net.proxy.stall();
                for (int i = 0; i < 64; i++) {
                    assertTrue(write(disk, (long) i * 65536, pattern(i + 10, 65536), false).isOk());
                }
                ReplicationMetrics stalled = Loopback.await(factory, "d4", m -> m.overflows() > 0
                        && m.state() != LinkState.STREAMING, "the stream was given up");
                assertTrue(stalled.dirtyBytes() > 0, stalled.toString());
                net.proxy.resume();
                assertTrue(flush(disk).isOk());
                Loopback.caughtUp(factory, "d4");
            }
            assertArrayEquals(backend.peek(0, (int) CAPACITY), net.replicaBytes("d4", 0, (int) CAPACITY));
        }
    }

    @Test
    void aSwapHandsTheStreamAndTheDirtyRegionsToTheNewInstance() throws Exception {
        try (Loopback net = new Loopback(tmp)) {
            ReplicationFilterFactory factory = new ReplicationFilterFactory();
            MemoryBackend backend = MemoryBackend.durable(CAPACITY);
            Map<String, Object> config = net.config("async");
            try (StandaloneDisk disk = open("d5", backend, factory, config, null)) {
                assertTrue(write(disk, 0, pattern(1, 65536), false).isOk());
                Loopback.caughtUp(factory, "d5");
                net.proxy.refuse(true);
                Loopback.await(factory, "d5", m -> m.state() == LinkState.DOWN, "the link is down");
                for (int i = 1; i < 8; i++) {
                    assertTrue(write(disk, (long) i * 131072, pattern(i, 65536), false).isOk());
                }
                long dirty = factory.metrics("d5").orElseThrow().dirtyBytes();
                assertEquals(7 * 65536, dirty);
                disk.swap("replication", factory, config, Duration.ofSeconds(5));
                ReplicationMetrics after = factory.metrics("d5").orElseThrow();
                assertEquals(dirty, after.dirtyBytes(), "the new instance tracks what the old one had not sent");
                net.proxy.refuse(false);
                ReplicationMetrics m = Loopback.caughtUp(factory, "d5");
                assertEquals(dirty, m.resyncDone(), "only the dirty regions were copied, not the whole disk");
            }
            assertArrayEquals(backend.peek(0, (int) CAPACITY), net.replicaBytes("d5", 0, (int) CAPACITY));
        }
    }

    @Test
    void aPrimaryRestartedAfterACrashResyncsTheRegionsItsPersistedBitmapMarked() throws Exception {
        try (Loopback net = new Loopback(tmp)) {
            MemoryBackend backend = MemoryBackend.durable(CAPACITY);
            Path sidecars = tmp.resolve("sc");
            ReplicationFilterFactory first = new ReplicationFilterFactory();
            StandaloneDisk crashed = open("d6", backend, first, net.config("async"), sidecars);
            assertTrue(write(crashed, 0, pattern(1, 65536), false).isOk());
            Loopback.caughtUp(first, "d6");
            net.proxy.refuse(true);
            Loopback.await(first, "d6", m -> m.state() == LinkState.DOWN, "the link is down");
            for (int i = 1; i < 6; i++) {
                assertTrue(write(crashed, (long) i * 262144, pattern(i, 65536), false).isOk());
            }
            // The first instance is abandoned as a crash would leave it: never detached, its link never back.
            ReplicationFilterFactory second = new ReplicationFilterFactory();
            Map<String, Object> direct = net.config("async", "replication.target", "127.0.0.1:" + net.receiver.port());
            try (StandaloneDisk disk = open("d6", backend.reopen(), second, direct, sidecars)) {
                assertTrue(flush(disk).isOk());
                ReplicationMetrics m = Loopback.caughtUp(second, "d6");
                assertTrue(m.resyncDone() >= 5 * 65536 && m.resyncDone() < CAPACITY,
                        "resynced the marked regions only: " + m);
            }
            assertArrayEquals(backend.peek(0, (int) CAPACITY), net.replicaBytes("d6", 0, (int) CAPACITY));
            assertNotEquals(0, net.receiver.framesApplied());
            crashed.close();
        }
    }

    @Test
    void afterASwapTheNewInstanceKeepsMarkingTheSidecarSoACrashLaterStillResyncsEverything() throws Exception {
        try (Loopback net = new Loopback(tmp)) {
            MemoryBackend backend = MemoryBackend.durable(CAPACITY);
            Path sidecars = tmp.resolve("sc");
            ReplicationFilterFactory factory = new ReplicationFilterFactory();
            Map<String, Object> config = net.config("async", "replication.bitmap.active.regions", 1,
                    "replication.bitmap.clear.ms", 10L);
            StandaloneDisk crashed = open("d7", backend, factory, config, sidecars);
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < 16; i++) {
                    assertTrue(write(crashed, (long) (round * 16 + i) * 65536, pattern(round * 16 + i, 4096),
                            false).isOk());
                }
                Loopback.caughtUp(factory, "d7");
                Thread.sleep(50);
                crashed.swap("replication", factory, config, Duration.ofSeconds(5));
            }
            net.proxy.refuse(true);
            Loopback.await(factory, "d7", m -> m.state() == LinkState.DOWN, "the link is down");
            for (int i = 0; i < 20; i++) {
                assertTrue(write(crashed, (long) i * 196608 % CAPACITY, pattern(100 + i, 4096), false).isOk());
            }
            // Crash: the last instance is abandoned; a new one starts from the sidecar alone.
            ReplicationFilterFactory second = new ReplicationFilterFactory();
            Map<String, Object> direct = net.config("async", "replication.target", "127.0.0.1:" + net.receiver.port());
            try (StandaloneDisk disk = open("d7", backend.reopen(), second, direct, sidecars)) {
                assertTrue(flush(disk).isOk());
                Loopback.caughtUp(second, "d7");
            }
            assertArrayEquals(backend.peek(0, (int) CAPACITY), net.replicaBytes("d7", 0, (int) CAPACITY));
            crashed.close();
        }
    }

    @Test
    void aWriteThatFailsLocallyIsCopiedAgainSoTheReplicaNeverKeepsDataTheDiskDoesNot() throws Exception {
        try (Loopback net = new Loopback(tmp)) {
            for (String mode : java.util.List.of("async", "sync")) {
                ReplicationFilterFactory factory = new ReplicationFilterFactory();
                MemoryBackend backend = MemoryBackend.durable(CAPACITY);
                String id = "f-" + mode;
                try (StandaloneDisk disk = open(id, backend, factory, net.config(mode), tmp.resolve("sc-" + mode))) {
                    assertTrue(write(disk, 0, pattern(1, 65536), false).isOk());
                    Loopback.caughtUp(factory, id);
                    backend.failNext(r -> r.op() == io.weir.filter.IoOp.WRITE, io.weir.filter.IoError.IO);
                    IoStatus st = write(disk, 4096, pattern(2, 4096), false);
                    assertEquals(io.weir.filter.IoError.IO, st.error(), mode + ": " + st);
                    ReplicationMetrics m = Loopback.caughtUp(factory, id);
                    assertTrue(m.resyncDone() > 0, m.toString());
                }
                assertArrayEquals(backend.peek(0, (int) CAPACITY), net.replicaBytes(id, 0, (int) CAPACITY), mode);
            }
        }
    }
}
