package io.weir.samples.replication;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import io.weir.backend.memory.MemoryBackend;
import io.weir.filter.FilterClass;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;
import io.weir.vscsi.standalone.Disks;
import io.weir.vscsi.standalone.StandaloneDisk;

/**
 * Write latency and IOPS without replication (the peer), with asynchronous and with synchronous replication to a
 * receiver on loopback (mutual TLS 1.3; replica image and journal on this machine's file system, fsync'd), and the
 * RPO of asynchronous replication under a sustained load. Primaries are memory disks, so the numbers show what
 * replication adds, not what a device costs. Arguments: seconds per measurement (default 5), and optionally the
 * directory under which the receiver keeps its replicas (default: the temporary directory). Run by
 * {@code bench/replication-latency.sh}.
 */
public final class ReplicationBenchmark {
    private static final long CAPACITY = 256L << 20;
    private static final int BLOCK = 4096;
    private static final int DEPTH = 16;

    private ReplicationBenchmark() {
    }

    private record Result(String mode, double p50, double p99, double mean, double iops, String rpo) {
    }

    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 5;
        Path root = args.length > 1 ? Files.createTempDirectory(Files.createDirectories(Path.of(args[1])),
                "weir-replication-bench") : Files.createTempDirectory("weir-replication-bench");
        TestPki pki = new TestPki(root.resolve("pki"), "bench");
        TestPki.Node primary = pki.node("primary");
        TestPki.Node replica = pki.node("replica");
        List<Result> results = new ArrayList<>();
        try (ReplicaReceiver receiver = ReplicaReceiver.start(new ReplicaReceiver.Config("127.0.0.1", 0,
                Files.createDirectories(root.resolve("replicas")), TestPki.credentials(replica), Duration.ofHours(1),
                256L << 20))) {
            for (String mode : List.of("none", "async", "sync")) {
                ReplicationFilterFactory factory = new ReplicationFilterFactory();
                Disks.Builder b = Disks.builder("bench-" + mode).backend(MemoryBackend.durable(CAPACITY))
                        .maxQueueDepth(64).sidecarDirectory(Files.createDirectories(root.resolve("sc-" + mode)));
                if (!mode.equals("none")) {
                    Map<String, Object> c = new HashMap<>();
                    c.put("replication.target", "127.0.0.1:" + receiver.port());
                    c.put("replication.mode", mode);
                    c.put("replication.keystore", primary.keystore().toString());
                    c.put("replication.keystore.passwordFile", primary.passwordFile().toString());
                    c.put("replication.trust", primary.trust().toString());
                    b.filter("replication", FilterClass.REPLICATION, factory, c);
                }
                try (StandaloneDisk disk = b.open()) {
                    warmUp(disk, factory, mode);
                    double[] lat = latencies(disk, seconds);
                    Sampler rpo = mode.equals("async") ? new Sampler(factory, disk.id()) : null;
                    double iops = iops(disk, seconds);
                    String rpoText = rpo == null ? "-" : rpo.stop();
                    results.add(new Result(mode, percentile(lat, 50), percentile(lat, 99),
                            Arrays.stream(lat).average().orElse(0), iops, rpoText));
                }
            }
        } finally {
            try (Stream<Path> files = Files.walk(root)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        System.out.printf(Locale.ROOT, "4 KiB random writes, memory primaries, receiver on loopback (TLS 1.3, fsync) "
                + "with replicas under %s, %.0f s per measurement%n", root.getParent(), seconds);
        System.out.printf(Locale.ROOT, "%-26s %10s %10s %10s %14s  %s%n", "replication", "QD1 p50", "QD1 p99",
                "QD1 mean", "QD" + DEPTH + " IOPS", "RPO under the QD" + DEPTH + " load (lag max / mean, bytes max)");
        for (Result r : results) {
            String name = r.mode().equals("none") ? "none (peer)" : r.mode();
            System.out.printf(Locale.ROOT, "%-26s %8.1f µs %7.1f µs %7.1f µs %14.0f  %s%n", name, r.p50(), r.p99(),
                    r.mean(), r.iops(), r.rpo());
        }
    }

    private static void warmUp(StandaloneDisk disk, ReplicationFilterFactory factory, String mode) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        while (System.nanoTime() < end) {
            write(disk).get(30, TimeUnit.SECONDS);
        }
        if (!mode.equals("none")) {
            end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < end && factory.metrics(disk.id()).map(m -> m.lagBytes() > 0
                    || m.state() != ReplicationMetrics.LinkState.STREAMING).orElse(true)) {
                Thread.sleep(10);
            }
        }
    }

    private static final AtomicLong TAGS = new AtomicLong();

    private static CompletableFuture<IoStatus> write(StandaloneDisk disk) throws InterruptedException {
        long offset = ThreadLocalRandom.current().nextLong(CAPACITY / BLOCK) * BLOCK;
        byte[] data = new byte[BLOCK];
        ThreadLocalRandom.current().nextBytes(data);
        CompletableFuture<IoStatus> done = new CompletableFuture<>();
        disk.submit(IoRequest.write(TAGS.incrementAndGet(), offset, ByteBuffer.wrap(data), false), done::complete);
        return done;
    }

    private static double[] latencies(StandaloneDisk disk, double seconds) throws Exception {
        List<Double> out = new ArrayList<>();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < end) {
            long t0 = System.nanoTime();
            IoStatus st = write(disk).get(30, TimeUnit.SECONDS);
            out.add((System.nanoTime() - t0) / 1e3);
            if (!st.isOk()) {
                throw new IllegalStateException(st.toString());
            }
        }
        return out.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    }

    private static double iops(StandaloneDisk disk, double seconds) throws Exception {
        AtomicLong done = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < DEPTH; i++) {
            Thread t = new Thread(() -> {
                try {
                    while (!stop.get()) {
                        if (!write(disk).get(30, TimeUnit.SECONDS).isOk()) {
                            throw new IllegalStateException("write failed");
                        }
                        done.incrementAndGet();
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            threads.add(t);
        }
        long t0 = System.nanoTime();
        threads.forEach(Thread::start);
        Thread.sleep((long) (seconds * 1000));
        stop.set(true);
        for (Thread t : threads) {
            t.join();
        }
        return done.get() / ((System.nanoTime() - t0) / 1e9);
    }

    private static double percentile(double[] sorted, int p) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) (sorted.length * p / 100.0))];
    }

    /** Samples an asynchronous disk's lag every 50 ms. */
    private static final class Sampler {
        private final Thread thread;
        private final AtomicBoolean stop = new AtomicBoolean();
        private double maxLag;
        private double sumLag;
        private long maxBytes;
        private int samples;
        private ReplicationMetrics last;

        Sampler(ReplicationFilterFactory factory, String disk) {
            thread = new Thread(() -> {
                while (!stop.get()) {
                    factory.metrics(disk).ifPresent(m -> {
                        double lag = m.lag().toNanos() / 1e6;
                        maxLag = Math.max(maxLag, lag);
                        sumLag += lag;
                        maxBytes = Math.max(maxBytes, m.lagBytes());
                        samples++;
                        last = m;
                    });
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            thread.start();
        }

        String stop() throws InterruptedException {
            stop.set(true);
            thread.join();
            return String.format(Locale.ROOT, "%.1f ms / %.1f ms, %d bytes (%d samples; overflows %d, resynced %d "
                    + "bytes)", maxLag, samples == 0 ? 0 : sumLag / samples, maxBytes, samples,
                    last == null ? 0 : last.overflows(), last == null ? 0 : last.resyncDone());
        }
    }
}
