package io.weir.samples.cache;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import io.weir.backend.Backend;
import io.weir.backend.ForwardingBackend;
import io.weir.backend.memory.MemoryBackend;
import io.weir.filter.FilterClass;
import io.weir.filter.IoCallback;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;
import io.weir.vscsi.standalone.Disks;
import io.weir.vscsi.standalone.StandaloneDisk;

/**
 * Two measurements on one Zipfian 4 KiB trace (and its seed), printed as tables:
 * <ol>
 *   <li>hit ratio of S3-FIFO (the cache's policy) against LRU and the offline optimum (Belady's MIN) at several cache
 *       sizes, on the trace alone and with a one-pass scan of cold blocks mixed in;</li>
 *   <li>IOPS of a disk over a backend that adds a fixed latency (a {@link ForwardingBackend}), without a cache and
 *       with the cache in write-through and write-back mode on a local cache file.</li>
 * </ol>
 * Arguments: seconds per IOPS run (default 5), backend latency in ms (default 1). Run by
 * {@code bench/cache-zipf.sh}.
 */
public final class CacheBenchmark {
    private static final int BLOCK = 4096;
    private static final int BLOCKS = 65_536; // a 256 MiB disk of 4 KiB blocks
    private static final double ZIPF = 0.99;

    private CacheBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 5;
        long latencyMs = args.length > 1 ? Long.parseLong(args[1]) : 1;
        hitRatios();
        iops(seconds, latencyMs);
    }

    /** Zipf(s) ranks over {@code n} items, scattered over the disk by a fixed permutation. */
    static final class Zipf {
        private final double[] cdf;
        private final int[] place;
        private final Random random;

        Zipf(int n, double s, long seed) {
            cdf = new double[n];
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += 1 / Math.pow(i + 1, s);
                cdf[i] = sum;
            }
            for (int i = 0; i < n; i++) {
                cdf[i] /= sum;
            }
            random = new Random(seed);
            place = new int[n];
            for (int i = 0; i < n; i++) {
                place[i] = i;
            }
            Random shuffle = new Random(seed ^ 0x5DEECE66DL);
            for (int i = n - 1; i > 0; i--) {
                int j = shuffle.nextInt(i + 1);
                int t = place[i];
                place[i] = place[j];
                place[j] = t;
            }
        }

        int next() {
            int i = java.util.Arrays.binarySearch(cdf, random.nextDouble());
            return place[i < 0 ? -i - 1 : i];
        }
    }

    private static long[] trace(int length, boolean withScan) {
        Zipf z = new Zipf(BLOCKS, ZIPF, 42);
        long[] t = new long[length];
        long scan = BLOCKS; // cold blocks beyond the Zipf set
        for (int i = 0; i < length; i++) {
            boolean scanning = withScan && i >= length / 3 && i < length / 3 + length / 4;
            t[i] = scanning && i % 2 == 0 ? scan++ : z.next();
        }
        return t;
    }

    private static void hitRatios() {
        int length = 2_000_000;
        System.out.println("Hit ratio on a Zipfian (s=" + ZIPF + ") trace of " + length + " 4 KiB reads over " + BLOCKS
                + " blocks (seed 42)");
        for (boolean scan : new boolean[] {false, true}) {
            long[] t = trace(length, scan);
            System.out.println(scan ? "with a one-pass scan of cold blocks interleaved over a quarter of the trace:"
                    : "trace alone:");
            System.out.printf(Locale.ROOT, "%-12s %10s %10s %10s%n", "cache size", "S3-FIFO", "LRU", "Belady");
            for (int size : new int[] {655, 3277, 6554, 16384}) {
                System.out.printf(Locale.ROOT, "%5d (%4.1f%%) %9.2f%% %9.2f%% %9.2f%%%n", size, 100.0 * size / BLOCKS,
                        100 * s3fifo(t, size), 100 * lru(t, size), 100 * belady(t, size));
            }
        }
    }

    static double s3fifo(long[] trace, int size) {
        S3Fifo p = new S3Fifo(size);
        long hits = 0;
        for (long k : trace) {
            if (p.contains(k)) {
                p.hit(k);
                hits++;
            } else {
                if (p.size() >= size) {
                    p.evict(x -> true);
                }
                p.insert(k);
            }
        }
        return (double) hits / trace.length;
    }

    static double lru(long[] trace, int size) {
        LinkedHashMap<Long, Boolean> lru = new LinkedHashMap<>(size * 2, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, Boolean> e) {
                return size() > size;
            }
        };
        long hits = 0;
        for (long k : trace) {
            if (lru.get(k) != null) {
                hits++;
            } else {
                lru.put(k, Boolean.TRUE);
            }
        }
        return (double) hits / trace.length;
    }

    /** Belady's MIN: on a miss with a full cache, evict the block whose next use is farthest away. */
    static double belady(long[] trace, int size) {
        int n = trace.length;
        int[] next = new int[n];
        Map<Long, Integer> seen = new HashMap<>();
        for (int i = n - 1; i >= 0; i--) {
            Integer j = seen.put(trace[i], i);
            next[i] = j == null ? Integer.MAX_VALUE : j;
        }
        TreeSet<long[]> byNext = new TreeSet<>((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0])
                : Long.compare(a[1], b[1]));
        Map<Long, long[]> cached = new HashMap<>();
        long hits = 0;
        for (int i = 0; i < n; i++) {
            long k = trace[i];
            long[] e = cached.get(k);
            if (e != null) {
                hits++;
                byNext.remove(e);
            } else if (cached.size() >= size) {
                long[] victim = byNext.pollLast();
                cached.remove(victim[1]);
            }
            long[] now = {next[i], k};
            cached.put(k, now);
            byNext.add(now);
        }
        return (double) hits / n;
    }

    /** A backend that completes every request {@code latency} after the one below did. */
    static final class SlowBackend extends ForwardingBackend {
        private final ScheduledExecutorService timer;
        private final long nanos;

        SlowBackend(Backend delegate, Duration latency, ScheduledExecutorService timer) {
            super(delegate);
            this.timer = timer;
            this.nanos = latency.toNanos();
        }

        @Override
        public void submit(IoRequest request, IoCallback callback) {
            super.submit(request, status -> timer.schedule(() -> callback.done(status), nanos, TimeUnit.NANOSECONDS));
        }
    }

    private static void iops(double seconds, long latencyMs) throws Exception {
        ScheduledExecutorService timer = Executors.newScheduledThreadPool(2);
        Path dir = Files.createTempDirectory("weir-cache-bench-");
        int depth = 16;
        long cacheBytes = 6554L * BLOCK; // 10% of the disk
        System.out.println();
        System.out.println("IOPS, 4 KiB, " + depth + " in flight, Zipfian (s=" + ZIPF + ") over a " + BLOCKS * BLOCK / (1 << 20)
                + " MiB disk, backend +" + latencyMs + " ms per request, cache " + cacheBytes / (1 << 20)
                + " MiB (10%) on a local file, " + seconds + " s per run after a warm-up of the same length");
        System.out.printf(Locale.ROOT, "%-26s %10s %10s %10s%n", "configuration", "reads", "70/30 r/w", "hit ratio");
        for (String config : List.of("no cache", "write-through", "write-back")) {
            double[] results = new double[2];
            double hitRatio = 0;
            for (int mix = 0; mix < 2; mix++) {
                String id = "bench-" + config.replace(' ', '-') + "-" + mix;
                MemoryBackend memory = MemoryBackend.builder((long) BLOCKS * BLOCK).name(id).build();
                CacheFilterFactory factory = new CacheFilterFactory();
                Disks.Builder b = Disks.builder(id).backend(new SlowBackend(memory, Duration.ofMillis(latencyMs), timer))
                        .maxQueueDepth(64);
                if (!config.equals("no cache")) {
                    b.filter("cache", FilterClass.CACHE, factory, Map.of("cache.mode", config, "cache.directory",
                            dir.toString(), "cache.size", cacheBytes, "cache.writeback.high", 60,
                            "cache.writeback.low", 40));
                }
                try (StandaloneDisk d = b.open()) {
                    int readPercent = mix == 0 ? 100 : 70;
                    run(d, depth, readPercent, seconds, 1); // warm-up
                    results[mix] = run(d, depth, readPercent, seconds, 2);
                    if (mix == 0) {
                        hitRatio = factory.metrics(id).map(CacheMetrics::hitRatio).orElse(0.0);
                    }
                }
            }
            System.out.printf(Locale.ROOT, "%-26s %10.0f %10.0f %9.1f%%%n", config, results[0], results[1],
                    100 * hitRatio);
        }
        timer.shutdownNow();
    }

    /** A closed loop of {@code depth} requests for {@code seconds}; returns completed requests per second. */
    private static double run(StandaloneDisk d, int depth, int readPercent, double seconds, long seed)
            throws Exception {
        Zipf z = new Zipf(BLOCKS, ZIPF, 42 + seed);
        Random random = new Random(seed);
        Semaphore slots = new Semaphore(depth);
        AtomicLong done = new AtomicLong();
        AtomicReference<IoStatus> failure = new AtomicReference<>();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        ArrayDeque<byte[]> payloads = new ArrayDeque<>();
        for (int i = 0; i < 64; i++) {
            byte[] p = new byte[BLOCK];
            random.nextBytes(p);
            payloads.add(p);
        }
        long t0 = System.nanoTime();
        while (System.nanoTime() < end && failure.get() == null) {
            slots.acquire();
            long off = (long) z.next() * BLOCK;
            IoRequest r;
            if (random.nextInt(100) < readPercent) {
                r = IoRequest.read(Io.tag(), off, ByteBuffer.allocate(BLOCK));
            } else {
                byte[] p = payloads.poll();
                payloads.add(p);
                r = IoRequest.write(Io.tag(), off, ByteBuffer.wrap(p), false);
            }
            d.submit(r, st -> {
                if (!st.isOk()) {
                    failure.compareAndSet(null, st);
                }
                done.incrementAndGet();
                slots.release();
            });
        }
        slots.acquire(depth);
        double elapsed = (System.nanoTime() - t0) / 1e9;
        if (failure.get() != null) {
            throw new IllegalStateException("a request failed: " + failure.get());
        }
        return done.get() / elapsed;
    }
}
