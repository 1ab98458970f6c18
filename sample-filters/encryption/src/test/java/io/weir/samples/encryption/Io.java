package io.weir.samples.encryption;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;
import io.weir.vscsi.VirtualDisk;

/** Requests on a disk, waited for. */
final class Io {
    private static final AtomicLong TAGS = new AtomicLong();

    private Io() {
    }

    static IoStatus run(VirtualDisk disk, IoRequest request) throws Exception {
        CompletableFuture<IoStatus> done = new CompletableFuture<>();
        disk.submit(request, done::complete);
        return done.get(30, TimeUnit.SECONDS);
    }

    static void write(VirtualDisk disk, long offset, byte[] data, boolean fua) throws Exception {
        IoStatus s = run(disk, IoRequest.write(TAGS.incrementAndGet(), offset, ByteBuffer.wrap(data.clone()), fua));
        assertTrue(s.isOk(), () -> "write at " + offset + ": " + s);
    }

    static byte[] read(VirtualDisk disk, long offset, int length) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(length);
        IoStatus s = run(disk, IoRequest.read(TAGS.incrementAndGet(), offset, b));
        assertTrue(s.isOk(), () -> "read at " + offset + ": " + s);
        return b.array();
    }

    static long tag() {
        return TAGS.incrementAndGet();
    }
}
