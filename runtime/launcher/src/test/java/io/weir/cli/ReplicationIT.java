package io.weir.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.weir.samples.replication.Proxy;

/**
 * The replication sample between two runtimes on loopback, as operators set it up from its README: node
 * certificates from {@code weir pki issue-node}, the receiver started with {@code weir settings set} on the replica
 * runtime, the filter attached on the primary, a real NBD client writing, the link cut through a relay and the
 * primary killed (SIGKILL) at random points; then {@code weir replica} on the replica's folder. Synchronous: no
 * acknowledged write is missing from the promoted replica. Asynchronous: the replica is a FLUSH-consistent prefix of
 * what the client wrote. Both: an image recovered at a checkpoint's time is exactly the disk at that FLUSH.
 */
class ReplicationIT extends WeirProcessTest {
    private static final String RECEIVER_PID = "io.weir.samples.replication.receiver";
    private static final int BLOCK = 4096;
    private static final int BLOCKS = 1024;
    private static final Map<String, String> PASSWORDS = Map.of(Passwords.PKI_ENV, "pki-secret-123",
            Passwords.KEY_ENV, "node-secret-123");

    private Path replicaData;
    private Proxy relay;

    @BeforeEach
    void secondRuntime() throws IOException {
        replicaData = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "weir-rit-");
    }

    @AfterEach
    void cleanUp() throws IOException {
        if (relay != null) {
            relay.close();
        }
        for (Process p : runtimes) {
            p.destroyForcibly();
        }
        deleteTree(replicaData);
    }

    @Test
    void synchronousReplicaHoldsEveryAcknowledgedWriteWhenThePrimaryDies() throws Exception {
        run("sync", Long.getLong("weir.test.seed", System.nanoTime()));
    }

    @Test
    void asynchronousReplicaIsAFlushConsistentPrefixWhenThePrimaryDiesWithTheLinkCut() throws Exception {
        run("async", Long.getLong("weir.test.seed", System.nanoTime()));
    }

    private void run(String mode, long seed) throws Exception {
        String python = python();
        assumeTrue(python != null, "needs python3 with the libnbd binding (Debian: python3-libnbd)");
        Random random = new Random(seed);
        String label = mode + " (seed " + seed + ")";

        // a replication PKI of its own (not the roots that sign bundles), one node certificate per side
        Path pki = Files.createDirectories(replicaData.resolve("pki"));
        assertOk(plain("pki", "init", "--dir", pki.toString(), "--name", "Replication Test Root"));
        assertOk(plain("pki", "issue-node", "--dir", pki.toString(), "--name", "primary", "--host", "127.0.0.1",
                "--out", pki.resolve("primary.p12").toString()));
        assertOk(plain("pki", "issue-node", "--dir", pki.toString(), "--name", "replica", "--host", "127.0.0.1",
                "--out", pki.resolve("replica.p12").toString()));
        Path passwordFile = pki.resolve("node.password");
        Files.writeString(passwordFile, PASSWORDS.get(Passwords.KEY_ENV) + "\n");
        Path root = pki.resolve("root.pem");
        assertTrue(Files.isRegularFile(root), "weir pki init writes root.pem");

        // the replica runtime: the bundle deployed, the receiver started by its settings
        Path replicas = replicaData.resolve("replicas");
        startRuntimeAt(replicaData, replicaData.resolve("runtime.log"), "--no-demo");
        Path jar = Path.of(System.getProperty("weir.test.samples", "target/test-samples"), "weir-sample-replication.jar");
        assertOk(weirAt(replicaData, Map.of(), "filter", "deploy", jar.toString()));
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        Path crl = pki.resolve("root.crl");
        assertOk(weirAt(replicaData, Map.of(), "settings", "set", RECEIVER_PID, "receiver.bind=127.0.0.1",
                "receiver.port=" + port, "receiver.directory=" + replicas, "receiver.keystore=" + pki.resolve("replica.p12"),
                "receiver.keystore.passwordFile=" + passwordFile, "receiver.trust=" + root, "receiver.crl=" + crl,
                "receiver.retention.seconds=3600"));
        awaitListening(port);
        if (mode.equals("sync")) {
            settingsAreCheckedAndOutliveARestart(port);
        }
        relay = new Proxy(port);

        // the primary runtime: the filter attached to a disk, replicating through the relay
        startRuntime(dataDir.resolve("runtime.log"), "--no-demo");
        assertOk(weir("filter", "deploy", jar.toString()));
        assertOk(weir("disk", "create", "d", "--size", "16M"));
        assertOk(weir("filter", "attach", "d", "replication", "--config", "replication.target=127.0.0.1:" + relay.port(),
                "--config", "replication.mode=" + mode, "--config", "replication.keystore=" + pki.resolve("primary.p12"),
                "--config", "replication.keystore.passwordFile=" + passwordFile, "--config", "replication.trust=" + root,
                "--config", "replication.crl=" + crl, "--config", "replication.reconnect.ms=100",
                "--config", "replication.sync.timeout.ms=1000", "--config", "replication.region.bytes=65536"));

        Path log = dataDir.resolve("writes.log");
        Process client = new ProcessBuilder(python, Path.of("src/test/python/replica-writer.py").toString(),
                "nbd+unix:///d?socket=" + dataDir.resolve("run").resolve("nbd.sock"), log.toString(), "--blocks",
                String.valueOf(BLOCKS), "--seed", String.valueOf(seed & 0x7fffffff))
                .redirectErrorStream(true).redirectOutput(dataDir.resolve("client.out").toFile()).start();
        try {
            awaitGuestIo("d");
            awaitStreaming(label);
            Thread.sleep(500 + random.nextInt(1500));
            relay.refuse(true);
            Thread.sleep(300 + random.nextInt(1200));
            if (mode.equals("sync")) {
                relay.refuse(false);
                // a primary killed mid-resync leaves an inconsistent replica (failover rolls back to a checkpoint):
                // wait until the primary streams in order again, then kill it
                awaitStreaming(label);
                awaitReplicaConsistent(replicas, label);
                Thread.sleep(200 + random.nextInt(1500));
            } else {
                Thread.sleep(random.nextInt(500));
            }
            runtimes.get(runtimes.size() - 1).destroyForcibly().waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS);
        } finally {
            assertTrue(client.waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS), "the NBD client did not stop");
        }
        relay.refuse(false);
        Writes writes = Writes.read(log);
        assertTrue(writes.acked > 200, label + ": the client wrote too little to test anything: " + writes.acked);

        // point-in-time recovery: a checkpoint's image is exactly the disk at that FLUSH
        JsonArray checkpoints = JsonParser.parseString(plain("replica", "checkpoints", "--dir", replicas.toString(),
                "--disk", "d", "--json").out()).getAsJsonArray();
        assertTrue(checkpoints.size() > 2, label + ": checkpoints " + checkpoints);
        // the guest's FLUSHes (a finished resync places one too, at a moment no FLUSH of the client's marks)
        List<JsonObject> flushes = new ArrayList<>();
        for (JsonElement e : checkpoints) {
            if (e.getAsJsonObject().get("cause").getAsString().equals("flush")) {
                flushes.add(e.getAsJsonObject());
            }
        }
        assertTrue(flushes.size() > 2, label + ": FLUSH checkpoints " + checkpoints);
        JsonObject chosen = flushes.get(1 + random.nextInt(flushes.size() - 1));
        Instant at = Instant.parse(chosen.get("primaryAt").getAsString());
        Path recovered = replicaData.resolve("recovered.raw");
        assertOk(plain("replica", "recover", "--dir", replicas.toString(), "--disk", "d", "--at", at.toString(), "--out",
                recovered.toString()));
        // The FLUSH in progress at the checkpoint's time (the primary's clock is this machine's): when FLUSHes follow
        // each other closer than the clock's tolerance, any of the candidates may be it, and the image must be one.
        List<Integer> candidates = writes.flushesAt(at);
        assertTrue(!candidates.isEmpty(), label + ": no FLUSH of the client's was in progress at checkpoint " + chosen);
        long[] image = blocks(recovered);
        assertTrue(candidates.stream().anyMatch(i -> writes.isStateOfFlushAfter(writes.flushSeq.get(i), image)),
                label + ": recovered at " + at + " is not the disk as of the FLUSH after any of writes "
                + candidates.stream().map(writes.flushSeq::get).toList());

        // failover: the latest consistent state
        Path promoted = replicaData.resolve("promoted.raw");
        Result failover = plain("replica", "failover", "--dir", replicas.toString(), "--disk", "d", "--out",
                promoted.toString());
        assertOk(failover);
        long[] promotedImage = blocks(promoted);
        if (mode.equals("sync")) {
            writes.checkHoldsEveryAcknowledgedWrite(promotedImage, label);
        } else {
            writes.checkFlushConsistentPrefix(promotedImage, label);
        }
        String list = plain("replica", "list", "--dir", replicas.toString()).out();
        assertTrue(list.contains("failed-over"), list);
        System.out.println("replication " + label + ": " + writes.acked + " writes acknowledged, " + writes.failed
                + " failed, " + writes.flushSeq.size() + " FLUSHes, " + checkpoints.size() + " checkpoints; "
                + failover.out().strip());
    }

    /** The filter's metrics, as {@code weir disk info} shows them, reach STREAMING with a small RPO. */
    private void awaitStreaming(String label) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String info = "";
        while (System.nanoTime() < end) {
            info = weir("disk", "info", "d").out();
            if (info.contains("state=STREAMING")) {
                assertTrue(info.lines().anyMatch(l -> l.startsWith("metrics replication") && l.contains("rpoMillis=")),
                        info);
                return;
            }
            Thread.sleep(200);
        }
        fail(label + ": the primary's replication never reached STREAMING:\n" + info);
    }

    /** Bad receiver settings are refused naming the key; stored ones start the receiver again after a restart. */
    private void settingsAreCheckedAndOutliveARestart(int port) throws Exception {
        Result bad = weirAt(replicaData, Map.of(), "settings", "set", RECEIVER_PID, "receiver.port=eighty",
                "receiver.directory=/tmp/x", "receiver.keystore=/x", "receiver.keystore.passwordFile=/x", "receiver.trust=/x");
        assertEquals(ExitCode.RUNTIME_ERROR, bad.exit(), bad.out());
        assertTrue(bad.err().contains("'receiver.port'"), bad.err());
        Result unknown = weirAt(replicaData, Map.of(), "settings", "set", "io.example.nothing", "a=b");
        assertEquals(ExitCode.RUNTIME_ERROR, unknown.exit(), unknown.out());
        assertTrue(unknown.err().contains("no installed bundle declares settings for 'io.example.nothing'"), unknown.err());
        assertOk(weirAt(replicaData, Map.of(), "stop"));
        runtimes.get(0).waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS);
        startRuntimeAt(replicaData, replicaData.resolve("runtime2.log"), "--no-demo");
        awaitListening(port);
        Result list = weirAt(replicaData, Map.of(), "settings", "list");
        assertOk(list);
        assertTrue(list.out().contains(RECEIVER_PID + ":") && list.out().contains("receiver.port = " + port), list.out());
    }

    /** A weir command without {@code --data-dir} (pki, replica), with the test's passwords. */
    private Result plain(String... args) throws Exception {
        return finish(start(PASSWORDS, args));
    }

    private static void awaitListening(int port) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(PATIENCE_SECONDS);
        while (System.nanoTime() < end) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
                return;
            } catch (IOException notYet) {
                Thread.sleep(100);
            }
        }
        fail("the receiver never listened on port " + port);
    }

    private void awaitReplicaConsistent(Path replicas, String label) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String last = "";
        while (System.nanoTime() < end) {
            Thread.sleep(200);
            last = plain("replica", "list", "--dir", replicas.toString(), "--json").out();
            for (JsonElement e : JsonParser.parseString(last).getAsJsonArray()) {
                if (e.getAsJsonObject().get("state").getAsString().equals("consistent")) {
                    return;
                }
            }
        }
        fail(label + ": the replica did not become consistent after the link healed: " + last);
    }

    /** Sequence number of the write each block of a raw image holds (0: never written). */
    private static long[] blocks(Path image) throws IOException {
        byte[] all = Files.readAllBytes(image);
        assertTrue(all.length >= BLOCK * BLOCKS, image + " is " + all.length + " bytes");
        long[] seq = new long[BLOCKS];
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < BLOCKS; i++) {
            long block = b.getLong(i * BLOCK);
            long s = b.getLong(i * BLOCK + 8);
            if (block == 0 && s == 0) {
                continue;
            }
            assertEquals(i, block, "block " + i + " holds the header of block " + block);
            for (int k = 16; k < BLOCK; k++) {
                assertEquals((byte) ((i + s) & 0xFF), all[i * BLOCK + k], "block " + i + " is torn (write " + s + ")");
            }
            seq[i] = s;
        }
        return seq;
    }

    /** What the client's log says: each write's block and fate, and the completed FLUSHes. */
    static final class Writes {
        final Map<Long, Integer> blockOf = new HashMap<>();
        final Set<Long> ok = ConcurrentHashMap.newKeySet();
        final Set<Long> bad = ConcurrentHashMap.newKeySet();
        final List<Long> flushSeq = new ArrayList<>();
        final List<double[]> flushTimes = new ArrayList<>();
        long acked;
        long failed;
        long last;

        static Writes read(Path log) throws IOException {
            Writes w = new Writes();
            for (String line : Files.readAllLines(log)) {
                String[] f = line.trim().split(" ");
                switch (f[0]) {
                    case "S" -> {
                        w.blockOf.put(Long.parseLong(f[1]), Integer.parseInt(f[2]));
                        w.last = Long.parseLong(f[1]);
                    }
                    case "A" -> {
                        w.ok.add(Long.parseLong(f[1]));
                        w.acked++;
                    }
                    case "X" -> {
                        w.bad.add(Long.parseLong(f[1]));
                        w.failed++;
                    }
                    case "F" -> {
                        if (f.length == 4) {
                            w.flushSeq.add(Long.parseLong(f[1]));
                            w.flushTimes.add(new double[] {Double.parseDouble(f[2]), Double.parseDouble(f[3])});
                        }
                    }
                    default -> {
                        // FX, or a line cut short when the client stopped
                    }
                }
            }
            return w;
        }

        /** The disk after every write up to {@code seq} (one at a time, so no overlap): a successful write's value. */
        long[] stateAfter(long seq) {
            long[] s = new long[BLOCKS];
            for (long q = 1; q <= seq; q++) {
                if (ok.contains(q)) {
                    s[blockOf.get(q)] = q;
                }
            }
            return s;
        }

        /**
         * Whether {@code image} is the disk as of the FLUSH after write {@code seq}: each block holds the last write
         * to it that completed OK, or a later one that failed (a failed write's data may have reached the disk).
         */
        boolean isStateOfFlushAfter(long seq, long[] image) {
            long[] want = stateAfter(seq);
            for (int b = 0; b < BLOCKS; b++) {
                long v = image[b];
                if (v != want[b] && !(bad.contains(v) && blockOf.get(v) == b && v > want[b] && v <= seq)) {
                    return false;
                }
            }
            return true;
        }

        /** The FLUSHes that may have been in progress at {@code at} (primary's clock, give or take 2 ms). */
        List<Integer> flushesAt(Instant at) {
            double t = at.getEpochSecond() + at.getNano() / 1e9;
            List<Integer> out = new ArrayList<>();
            for (int i = 0; i < flushTimes.size(); i++) {
                double[] w = flushTimes.get(i);
                if (w[0] - 0.002 <= t && t <= w[1] + 0.002) {
                    out.add(i);
                }
            }
            return out;
        }

        /** Whether {@code seq} may be what a block holds: a write to it that did not complete OK, or ran when cut. */
        private boolean wroteTo(int block, long seq) {
            return seq == 0 || (blockOf.containsKey(seq) && blockOf.get(seq) == block);
        }

        void checkHoldsEveryAcknowledgedWrite(long[] image, String label) {
            for (int b = 0; b < BLOCKS; b++) {
                long lastOk = 0;
                boolean undefined = false;
                for (long q = 1; q <= last; q++) {
                    if (blockOf.get(q) == b) {
                        if (ok.contains(q)) {
                            lastOk = q;
                            undefined = false;
                        } else {
                            undefined = true; // failed or in flight at the end: either value may be there
                        }
                    }
                }
                if (!undefined && image[b] != lastOk) {
                    fail(label + ": block " + b + " holds write " + image[b] + " on the replica; the last write to it "
                            + "acknowledged was " + lastOk);
                }
                if (undefined && (image[b] < lastOk || !wroteTo(b, image[b]))) {
                    fail(label + ": block " + b + " holds write " + image[b] + " on the replica, older than the "
                            + "acknowledged write " + lastOk);
                }
            }
        }

        void checkFlushConsistentPrefix(long[] image, String label) {
            for (int b = 0; b < BLOCKS; b++) {
                if (!wroteTo(b, image[b])) {
                    fail(label + ": block " + b + " holds write " + image[b] + ", which never wrote it");
                }
            }
            // The newest write the replica holds was sent after every FLUSH before it, and the stream keeps FLUSH
            // barriers: so the replica must hold the whole state of the last FLUSH completed before that write was
            // sent (each block at that state or at a later write to it; writes after that FLUSH land in any order).
            long newest = 0;
            for (long v : image) {
                newest = Math.max(newest, v);
            }
            int barrier = -1;
            for (int i = 0; i < flushSeq.size() && flushSeq.get(i) < newest; i++) {
                barrier = i;
            }
            if (barrier >= 0) {
                long[] want = stateAfter(flushSeq.get(barrier));
                for (int b = 0; b < BLOCKS; b++) {
                    if (image[b] < want[b]) {
                        fail(label + ": the replica holds write " + newest + " but block " + b + " holds write "
                                + image[b] + ", older than write " + want[b] + " which the FLUSH after write "
                                + flushSeq.get(barrier) + " made durable before it");
                    }
                }
            }
            System.out.println("replication " + label + ": the replica holds writes up to " + newest + " and the whole "
                    + "state of the FLUSH after write " + (barrier < 0 ? 0 : flushSeq.get(barrier)) + " (last write sent "
                    + last + ", " + flushSeq.size() + " FLUSHes)");
        }
    }
}
