package io.weir.samples.cache;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.weir.backend.Backend;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;
import io.weir.vscsi.VirtualDisk;

/** Synchronous and asynchronous request helpers for the tests. */
final class Io {
    private static final AtomicLong TAGS = new AtomicLong(1);

    private Io() {
    }

    /**
     * Claim sectors {@code first .. first + count - 1} of a wave's map when none is taken yet, so no two requests of
     * the wave overlap; false (nothing claimed) when one is.
     */
    static boolean claim(boolean[] used, int first, int count) {
        for (int s = first; s < first + count; s++) {
            if (used[s]) {
                return false;
            }
        }
        java.util.Arrays.fill(used, first, first + count, true);
        return true;
    }

    static long tag() {
        return TAGS.incrementAndGet();
    }

    static CompletableFuture<IoStatus> submit(VirtualDisk disk, IoRequest r) throws InterruptedException {
        CompletableFuture<IoStatus> f = new CompletableFuture<>();
        disk.submit(r, f::complete);
        return f;
    }

    static IoStatus run(VirtualDisk disk, IoRequest r) throws Exception {
        return submit(disk, r).get(30, TimeUnit.SECONDS);
    }

    static void write(VirtualDisk disk, long offset, byte[] data) throws Exception {
        ok(run(disk, IoRequest.write(tag(), offset, ByteBuffer.wrap(data.clone()), false)), "write at " + offset);
    }

    static byte[] read(VirtualDisk disk, long offset, int length) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(length);
        ok(run(disk, IoRequest.read(tag(), offset, b)), "read at " + offset);
        return b.array();
    }

    static void flush(VirtualDisk disk) throws Exception {
        ok(run(disk, IoRequest.flush(tag())), "flush");
    }

    static void ok(IoStatus st, String what) {
        if (!st.isOk()) {
            throw new AssertionError(what + " failed: " + st);
        }
    }

    /** Write {@code image} onto a backend directly (durably). */
    static void fill(Backend backend, byte[] image) throws Exception {
        int chunk = 1 << 20;
        for (int at = 0; at < image.length; at += chunk) {
            CompletableFuture<IoStatus> f = new CompletableFuture<>();
            backend.submit(IoRequest.write(tag(), at, ByteBuffer.wrap(image, at, Math.min(chunk, image.length - at))
                    .slice(), false), f::complete);
            ok(f.get(10, TimeUnit.SECONDS), "seeding the backend");
        }
        CompletableFuture<IoStatus> f = new CompletableFuture<>();
        backend.submit(IoRequest.flush(tag()), f::complete);
        ok(f.get(10, TimeUnit.SECONDS), "seeding the backend");
    }

    static Duration seconds(long s) {
        return Duration.ofSeconds(s);
    }
}
