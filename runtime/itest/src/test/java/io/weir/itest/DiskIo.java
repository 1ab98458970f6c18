package io.weir.itest;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;
import io.weir.vscsi.VirtualDisk;

/** Synchronous I/O against a {@link VirtualDisk}, and recognisable data patterns. */
final class DiskIo {
    /** Guard against a request that never completes; not a timing check. */
    private static final long WAIT_SECONDS = 30;

    private DiskIo() {
    }

    /** Submit {@code request} and wait for its one completion. */
    static IoStatus run(VirtualDisk disk, IoRequest request) throws InterruptedException {
        CompletableFuture<IoStatus> done = new CompletableFuture<>();
        disk.submit(request, status -> {
            if (!done.complete(status)) {
                throw new AssertionError(request + " completed twice: " + status);
            }
        });
        try {
            return done.get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError(request.toString(), e.getCause());
        } catch (TimeoutException e) {
            throw new AssertionError(request + " did not complete within " + WAIT_SECONDS + " s");
        }
    }

    /** {@code length} bytes that depend on {@code seed} and on each byte's disk offset. */
    static ByteBuffer pattern(long seed, long offset, int length) {
        ByteBuffer b = ByteBuffer.allocate(length);
        for (int i = 0; i < length; i++) {
            long x = (offset + i) * 0x9E3779B97F4A7C15L ^ seed;
            b.put(i, (byte) (x ^ (x >>> 29)));
        }
        return b;
    }
}
