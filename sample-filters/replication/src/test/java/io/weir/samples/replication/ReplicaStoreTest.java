package io.weir.samples.replication;

import static io.weir.samples.replication.Loopback.flush;
import static io.weir.samples.replication.Loopback.pattern;
import static io.weir.samples.replication.Loopback.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.weir.backend.memory.MemoryBackend;
import io.weir.samples.replication.ReplicationMetrics.LinkState;
import io.weir.vscsi.standalone.StandaloneDisk;

/** Point-in-time recovery, retention and failover on the replica side. */
class ReplicaStoreTest {
    private static final long CAPACITY = 2L << 20;

    @TempDir
    Path tmp;

    @Test
    void retentionBySizeDropsTheOldestCheckpointsAndEveryRetainedOneStillRecoversExactly() throws Exception {
        try (Loopback net = new Loopback(tmp, Duration.ofDays(1), 1L << 20)) {
            ReplicationFilterFactory factory = new ReplicationFilterFactory();
            MemoryBackend backend = MemoryBackend.durable(CAPACITY);
            List<byte[]> states = new ArrayList<>();
            try (StandaloneDisk disk = AsyncReplicationTest.open("r1", backend, factory, net.config("async"),
                    tmp.resolve("sc"))) {
                for (int round = 0; round < 48; round++) {
                    assertTrue(write(disk, (long) (round % 16) * 131072, pattern(round, 131072), false).isOk());
                    assertTrue(flush(disk).isOk());
                    states.add(backend.peek(0, (int) CAPACITY));
                }
                Loopback.caughtUp(factory, "r1");
            }
            ReplicaStore store = net.receiver.store();
            ReplicaInfo info = store.list().get(0);
            assertEquals("r1", info.diskId());
            assertTrue(info.consistent());
            assertTrue(info.journalBytes() <= (2L << 20), "journal trimmed to about its budget: " + info);
            List<Checkpoint> kept = store.checkpoints("r1");
            assertTrue(kept.size() < 48 && kept.size() > 1, kept.size() + " checkpoints kept");
            assertEquals(info.latest().orElseThrow(), kept.get(kept.size() - 1));
            assertEquals(info.oldest().orElseThrow(), kept.get(0));
            // Checkpoints are in FLUSH order; the newest is the last round's.
            for (int i = 0; i < kept.size(); i++) {
                int round = 48 - kept.size() + i;
                Path out = tmp.resolve("r1-" + i + ".raw");
                store.recover("r1", kept.get(i).primaryAt(), out);
                assertArrayEquals(states.get(round), Files.readAllBytes(out), "round " + round);
            }
            IOException gone = assertThrows(IOException.class,
                    () -> store.recover("r1", kept.get(0).primaryAt().minusNanos(1000), tmp.resolve("old.raw")));
            assertTrue(gone.getMessage().contains("oldest retained"), gone.getMessage());
        }
    }

    @Test
    void failoverPromotesTheReplicaToAStandaloneImageAndRefusesTheOldPrimaryAfterwards() throws Exception {
        try (Loopback net = new Loopback(tmp)) {
            ReplicationFilterFactory factory = new ReplicationFilterFactory();
            MemoryBackend backend = MemoryBackend.durable(CAPACITY);
            try (StandaloneDisk disk = AsyncReplicationTest.open("r2", backend, factory, net.config("async"),
                    tmp.resolve("sc"))) {
                for (int i = 0; i < 8; i++) {
                    assertTrue(write(disk, (long) i * 65536, pattern(i, 65536), false).isOk());
                }
                assertTrue(flush(disk).isOk());
                Loopback.caughtUp(factory, "r2");
                net.proxy.refuse(true);
                Loopback.await(factory, "r2", m -> m.state() == LinkState.DOWN, "the primary lost its replica");

                ReplicaStore.Promotion p = net.receiver.store().failover("r2", tmp.resolve("r2-promoted.raw"));
                assertEquals(CAPACITY, p.capacity());
                assertTrue(p.rolledBackTo().isEmpty(), "a consistent replica is promoted as it stands");
                assertArrayEquals(backend.peek(0, (int) CAPACITY), Files.readAllBytes(p.image()));
                assertTrue(net.receiver.store().list().get(0).failedOver());

                net.proxy.refuse(false);
                ReplicationMetrics m = Loopback.await(factory, "r2", x -> x.lastError().orElse("")
                        .contains("promoted"), "the old primary is refused");
                assertEquals(LinkState.DOWN, m.state());
            }
        }
    }

    @Test
    void aNewStreamForAKnownDiskKeepsTheOldReplicaAside() throws Exception {
        try (Loopback net = new Loopback(tmp)) {
            for (int generation = 0; generation < 2; generation++) {
                ReplicationFilterFactory factory = new ReplicationFilterFactory();
                try (StandaloneDisk disk = AsyncReplicationTest.open("r3", MemoryBackend.durable(CAPACITY), factory,
                        net.config("async"), tmp.resolve("sc" + generation))) {
                    assertTrue(write(disk, 0, pattern(generation, 4096), false).isOk());
                    assertTrue(flush(disk).isOk());
                    Loopback.caughtUp(factory, "r3");
                }
            }
            List<ReplicaInfo> all = net.receiver.store().list();
            assertEquals(2, all.size(), all.toString());
            assertEquals("r3", all.get(0).diskId());
            assertTrue(all.get(1).diskId().startsWith("r3.superseded-"), all.toString());
            assertArrayEquals(pattern(1, 4096), net.replicaBytes("r3", 0, 4096));
        }
    }

    /**
     * The receiver acknowledges once the journal is durable and writes the image back lazily: image pages lost in a
     * crash (simulated by wiping them) are replayed from the journal before anything reads the replica.
     */
    @Test
    void imageWritesLostInACrashAreReplayedFromTheJournal() throws Exception {
        try (Loopback net = new Loopback(tmp)) {
            ReplicationFilterFactory factory = new ReplicationFilterFactory();
            MemoryBackend backend = MemoryBackend.durable(CAPACITY);
            try (StandaloneDisk disk = AsyncReplicationTest.open("r4", backend, factory, net.config("sync"),
                    tmp.resolve("sc"))) {
                for (int i = 0; i < 16; i++) {
                    assertTrue(write(disk, (long) i * 131072, pattern(i, 8192), false).isOk());
                }
                Loopback.caughtUp(factory, "r4");
                try (java.nio.channels.FileChannel image = java.nio.channels.FileChannel.open(net.image("r4"),
                        java.nio.file.StandardOpenOption.WRITE)) {
                    image.write(java.nio.ByteBuffer.allocate((int) CAPACITY), 0);
                }
                ReplicaStore.Promotion p = net.receiver.store().failover("r4", tmp.resolve("r4.raw"));
                assertArrayEquals(backend.peek(0, (int) CAPACITY), Files.readAllBytes(p.image()));
            }
        }
    }

    /** A failover in the middle of a resync (regions copied out of order) rolls back to the latest checkpoint. */
    @Test
    void failoverOfAnInconsistentReplicaRollsBackToItsLatestCheckpoint() throws Exception {
        Path root = java.nio.file.Files.createDirectories(tmp.resolve("replicas"));
        java.time.Clock clock = java.time.Clock.systemUTC();
        byte[] atCheckpoint;
        try (ReplicaImage image = ReplicaImage.create(root, "r5", new byte[16], CAPACITY, 512, clock,
                ReplicaImage.Retention.DEFAULT)) {
            image.apply(List.of(new ReplicaImage.Change(0, 8192, java.nio.ByteBuffer.wrap(pattern(1, 8192)))));
            image.checkpoint(java.time.Instant.now(), Checkpoint.Cause.FLUSH);
            atCheckpoint = Files.readAllBytes(root.resolve("r5").resolve(ReplicaImage.IMAGE));
            image.consistent(false);
            image.apply(List.of(new ReplicaImage.Change(4096, 65536, java.nio.ByteBuffer.wrap(pattern(2, 65536))),
                    new ReplicaImage.Change(1 << 20, 4096, null)));
            image.sync();
        }
        ReplicaStore store = ReplicaStore.open(root);
        assertTrue(!store.list().get(0).consistent());
        ReplicaStore.Promotion p = store.failover("r5", tmp.resolve("r5.raw"));
        assertTrue(p.rolledBackTo().isPresent(), p.toString());
        assertArrayEquals(atCheckpoint, Files.readAllBytes(p.image()));
    }
}
