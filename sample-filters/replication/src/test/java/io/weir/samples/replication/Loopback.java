package io.weir.samples.replication;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

import io.weir.certification.ReplicaHarness;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;
import io.weir.vscsi.standalone.StandaloneDisk;

/**
 * A primary and a replica in one JVM: a test PKI, a receiver on loopback with its directory, a relay in between
 * that tests can cut or stall, and the filter configuration that points at them. It is also the certification
 * kit's view of the replica ({@link ReplicaHarness}): what the receiver holds durably, and the link to cut.
 */
final class Loopback implements AutoCloseable, ReplicaHarness {
    private static final AtomicLong TAGS = new AtomicLong();
    final Path root;
    final TestPki pki;
    final TestPki.Node primary;
    final TestPki.Node replica;
    final ReplicaReceiver receiver;
    final Proxy proxy;

    Loopback(Path root) throws Exception {
        this(root, Duration.ofDays(1), 1L << 30);
    }

    Loopback(Path root, Duration retentionAge, long retentionBytes) throws Exception {
        this.root = root;
        this.pki = new TestPki(root.resolve("pki"), "test");
        this.primary = pki.node("primary");
        this.replica = pki.node("replica");
        this.receiver = ReplicaReceiver.start(new ReplicaReceiver.Config("127.0.0.1", 0,
                Files.createDirectories(root.resolve("replicas")), TestPki.credentials(replica), retentionAge,
                retentionBytes));
        this.proxy = new Proxy(receiver.port());
    }

    /** The filter's configuration: through the relay, in {@code mode}, with small regions and fast timers. */
    Map<String, Object> config(String mode) {
        Map<String, Object> c = new HashMap<>();
        c.put("replication.target", "127.0.0.1:" + proxy.port());
        c.put("replication.mode", mode);
        c.put("replication.keystore", primary.keystore().toString());
        c.put("replication.keystore.passwordFile", primary.passwordFile().toString());
        c.put("replication.trust", primary.trust().toString());
        c.put("replication.region.bytes", 65536);
        c.put("replication.reconnect.ms", 50);
        c.put("replication.bitmap.clear.ms", 100);
        return c;
    }

    Map<String, Object> config(String mode, Object... keyValues) {
        Map<String, Object> c = config(mode);
        for (int i = 0; i < keyValues.length; i += 2) {
            c.put((String) keyValues[i], keyValues[i + 1]);
        }
        return c;
    }

    Path image(String diskId) {
        return root.resolve("replicas").resolve(diskId).resolve(ReplicaImage.IMAGE);
    }

    byte[] replicaBytes(String diskId, long offset, int length) throws IOException {
        byte[] all = Files.readAllBytes(image(diskId));
        byte[] out = new byte[length];
        System.arraycopy(all, (int) offset, out, 0, (int) Math.min(length, Math.max(0, all.length - offset)));
        return out;
    }

    /** What the replica of {@code diskId} holds durably (acknowledged frames are journaled and written). */
    @Override
    public byte[] read(String diskId, long offset, int length) throws IOException {
        Path dir = image(diskId).getParent();
        if (!Files.exists(dir.resolve("meta"))) {
            return new byte[length];
        }
        return ReplicaImage.locked(dir, () -> {
            ByteBuffer b = ByteBuffer.allocate(length);
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(image(diskId))) {
                Durable.readFully(ch, b, offset);
            }
            return b.array();
        });
    }

    @Override
    public void cut() {
        proxy.refuse(true);
    }

    @Override
    public void heal() {
        proxy.refuse(false);
    }

    static IoStatus run(StandaloneDisk disk, IoRequest r) throws Exception {
        CompletableFuture<IoStatus> done = new CompletableFuture<>();
        disk.submit(r, done::complete);
        return done.get(30, TimeUnit.SECONDS);
    }

    static CompletableFuture<IoStatus> submit(StandaloneDisk disk, IoRequest r) throws InterruptedException {
        CompletableFuture<IoStatus> done = new CompletableFuture<>();
        disk.submit(r, done::complete);
        return done;
    }

    static long tag() {
        return TAGS.incrementAndGet();
    }

    static IoStatus write(StandaloneDisk disk, long offset, byte[] data, boolean fua) throws Exception {
        return run(disk, IoRequest.write(tag(), offset, ByteBuffer.wrap(data.clone()), fua));
    }

    static IoStatus flush(StandaloneDisk disk) throws Exception {
        return run(disk, IoRequest.flush(tag()));
    }

    static byte[] pattern(long seed, int length) {
        byte[] b = new byte[length];
        long x = seed * 0x9E3779B97F4A7C15L + 1;
        for (int i = 0; i < length; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            b[i] = (byte) x;
        }
        return b;
    }

    /** Wait (bounded) until the disk's replication metrics satisfy {@code condition}. */
    static ReplicationMetrics await(ReplicationFilterFactory factory, String diskId,
                                    Predicate<ReplicationMetrics> condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        ReplicationMetrics m = null;
        while (System.nanoTime() < deadline) {
            m = factory.metrics(diskId).orElse(null);
            if (m != null && condition.test(m)) {
                return m;
            }
            Thread.sleep(10);
        }
        assertTrue(false, "timed out waiting until " + what + "; last metrics " + m);
        return m;
    }

    /** Caught up: streaming in order, nothing unacknowledged, nothing dirty. */
    static ReplicationMetrics caughtUp(ReplicationFilterFactory factory, String diskId) throws InterruptedException {
        return await(factory, diskId, m -> m.state() == ReplicationMetrics.LinkState.STREAMING && m.lagBytes() == 0
                && m.dirtyBytes() == 0, "the replica caught up");
    }

    @Override
    public void close() throws Exception {
        proxy.close();
        receiver.close();
    }
}
