package io.weir.samples.encryption;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

import io.weir.backend.memory.MemoryBackend;
import io.weir.filter.FilterClass;
import io.weir.filter.FilterFactory;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;
import io.weir.vscsi.standalone.Disks;
import io.weir.vscsi.standalone.StandaloneDisk;

/**
 * What encryption costs. Part 1, the cipher alone on one thread with 4 KiB data units: XTS-AES-256 encrypt (into a
 * fresh buffer, as a WRITE does) and decrypt (in place, as a READ does), against the JDK's AES-256/ECB over the same
 * bytes, the primitive XTS is built on. Part 2, 4 KiB random reads and writes at queue depth 32 on a standalone disk
 * over a memory backend: the encryption filter against a pass-through filter in the same place. Arguments: seconds
 * per measurement (default 3). Run by {@code bench/encryption-throughput.sh}.
 */
public final class EncryptionBenchmark {
    private static final int UNIT = 4096;
    private static final int DEPTH = 32;
    private static final long WORKING_SET = 64L << 20;

    private EncryptionBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 3;
        System.out.printf(Locale.ROOT, "%s %s, %d cores, %.1f s per measurement%n",
                System.getProperty("java.vm.name"), System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(), seconds);

        System.out.println();
        System.out.println("cipher alone, one thread, 4 KiB data units");
        System.out.printf(Locale.ROOT, "  %-44s %10s%n", "", "MB/s");
        byte[] key = new byte[64];
        new SecureRandom().nextBytes(key);
        try (XtsAes xts = new XtsAes(key, UNIT)) {
            ByteBuffer plain = ByteBuffer.allocate(UNIT);
            ThreadLocalRandom.current().nextBytes(plain.array());
            ByteBuffer data = ByteBuffer.allocate(UNIT);
            Cipher ecb = Cipher.getInstance("AES/ECB/NoPadding");
            ecb.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, 0, 32, "AES"));
            byte[] in = plain.array();
            byte[] out = new byte[UNIT];
            Op encrypt = n -> xts.encrypt(n, plain, ByteBuffer.allocate(UNIT));
            Op decrypt = n -> xts.decrypt(n, data);
            Op peer = n -> ecb.update(in, 0, UNIT, out, 0);
            double warm = Math.max(2, seconds);
            for (Op op : List.of(encrypt, decrypt, peer)) { // until the JIT has compiled the AES intrinsics
                mbPerSecond(warm, op);
            }
            System.out.printf(Locale.ROOT, "  %-44s %10.0f%n", "XTS-AES-256 encrypt (fresh output buffer)",
                    mbPerSecond(seconds, encrypt));
            System.out.printf(Locale.ROOT, "  %-44s %10.0f%n", "XTS-AES-256 decrypt (in place)",
                    mbPerSecond(seconds, decrypt));
            System.out.printf(Locale.ROOT, "  %-44s %10.0f%n", "peer: JDK AES-256/ECB/NoPadding, no tweak",
                    mbPerSecond(seconds, peer));
        }

        System.out.println();
        System.out.println("standalone disk, memory backend, 4 KiB random I/O over " + (WORKING_SET >> 20)
                + " MiB, queue depth " + DEPTH);
        Path dir = Files.createTempDirectory("weir-encryption-bench");
        Keystores ks = new Keystores(dir);
        Map<String, Object> config = Keystores.config(ks.keystore("kek", Map.of("bench", Keystores.aesKey(256))),
                ks.passwordFile("kek", Keystores.PASSWORD), "bench");
        FilterFactory passThrough = context -> (request, chain) -> chain.pass();
        try (StandaloneDisk plainDisk = disk("passthrough", passThrough, Map.of(), dir.resolve("p"));
             StandaloneDisk encDisk = disk("encryption", new EncryptionFilterFactory(), config, dir.resolve("e"))) {
            for (StandaloneDisk d : List.of(plainDisk, encDisk)) { // warm-up
                load(d, false, Math.max(2, seconds));
                load(d, true, Math.max(2, seconds));
            }
            double[][] best = new double[2][2];
            for (int round = 0; round < 2; round++) { // alternate, keep the best of two
                for (int op = 0; op < 2; op++) {
                    best[0][op] = Math.max(best[0][op], load(plainDisk, op == 1, seconds));
                    best[1][op] = Math.max(best[1][op], load(encDisk, op == 1, seconds));
                }
            }
            System.out.printf(Locale.ROOT, "  %-6s %18s %18s %8s%n", "op", "pass-through IOPS", "encryption IOPS",
                    "cost");
            String[] ops = {"read", "write"};
            for (int op = 0; op < 2; op++) {
                System.out.printf(Locale.ROOT, "  %-6s %18.0f %18.0f %7.1f%%%n", ops[op], best[0][op], best[1][op],
                        100 * (1 - best[1][op] / best[0][op]));
            }
        } finally {
            try (var paths = Files.walk(dir)) {
                for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private interface Op {
        void run(long n) throws Exception;
    }

    /** Runs {@code op} on 4 KiB for {@code seconds}; MB/s (10^6 bytes). */
    private static double mbPerSecond(double seconds, Op op) throws Exception {
        long count = 0;
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        long now;
        do {
            for (int i = 0; i < 256; i++) {
                op.run(count++);
            }
            now = System.nanoTime();
        } while (now < end);
        return count * (double) UNIT / ((now - start) / 1e9) / 1e6;
    }

    /** A disk with the filter of {@code factory}, every block written once (so reads decrypt real ciphertext). */
    private static StandaloneDisk disk(String name, FilterFactory factory, Map<String, Object> config, Path sidecars)
            throws Exception {
        StandaloneDisk disk = Disks.builder("bench-" + name).backend(MemoryBackend.durable(WORKING_SET))
                .blockSize(UNIT).maxQueueDepth(DEPTH).sidecarDirectory(Files.createDirectories(sidecars))
                .filter(name, FilterClass.ENCRYPTION, factory, config).open();
        byte[] fill = new byte[1 << 20];
        ThreadLocalRandom.current().nextBytes(fill);
        for (long at = 0; at < WORKING_SET; at += fill.length) {
            Io.write(disk, at, fill, false);
        }
        return disk;
    }

    /** {@link #DEPTH} threads, each with one request in flight (the memory backend completes inline). */
    private static double load(StandaloneDisk disk, boolean write, double seconds) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        LongAdder done = new LongAdder();
        CountDownLatch finished = new CountDownLatch(DEPTH);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < DEPTH; t++) {
            Thread th = new Thread(() -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                byte[] data = new byte[UNIT];
                random.nextBytes(data);
                ByteBuffer buffer = ByteBuffer.allocate(UNIT);
                try {
                    while (!stop.get()) {
                        long at = random.nextLong(WORKING_SET / UNIT) * UNIT;
                        IoRequest r = write ? IoRequest.write(Io.tag(), at, ByteBuffer.wrap(data), false)
                                : IoRequest.read(Io.tag(), at, buffer.clear());
                        CompletableFuture<IoStatus> f = new CompletableFuture<>();
                        disk.submit(r, f::complete);
                        IoStatus s = f.get(30, TimeUnit.SECONDS);
                        if (!s.isOk()) {
                            throw new IllegalStateException(r + ": " + s);
                        }
                        done.increment();
                    }
                } catch (Exception e) {
                    e.printStackTrace();
                } finally {
                    finished.countDown();
                }
            }, "bench-" + t);
            threads.add(th);
        }
        long start = System.nanoTime();
        threads.forEach(Thread::start);
        Thread.sleep((long) (seconds * 1000));
        stop.set(true);
        long count = done.sum();
        double elapsed = (System.nanoTime() - start) / 1e9;
        finished.await(30, TimeUnit.SECONDS);
        return count / elapsed;
    }
}
