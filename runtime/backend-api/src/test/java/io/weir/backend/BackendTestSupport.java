package io.weir.backend;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;

/** Helpers for tests that drive a {@link Backend} one request at a time and wait for each completion. */
public final class BackendTestSupport {
    private BackendTestSupport() {
    }

    /** Submit {@code request} and wait up to a minute for its status; a second callback is an assertion error. */
    public static IoStatus call(Backend backend, IoRequest request) throws Exception {
        CompletableFuture<IoStatus> done = new CompletableFuture<>();
        backend.submit(request, status -> {
            if (!done.complete(status)) {
                throw new AssertionError("callback called twice for " + request);
            }
        });
        return done.get(1, TimeUnit.MINUTES);
    }

    /** {@link #call} and assert that the request succeeded. */
    public static void ok(Backend backend, IoRequest request) throws Exception {
        IoStatus status = call(backend, request);
        assertTrue(status.isOk(), () -> request + " -> " + status);
    }

    /** Write {@code data} at {@code offset} and assert success. */
    public static void write(Backend backend, long offset, ByteBuffer data, boolean fua) throws Exception {
        ok(backend, IoRequest.write(0, offset, data, fua));
    }

    /** Read {@code length} bytes at {@code offset}, asserting success. */
    public static byte[] read(Backend backend, long offset, int length) throws Exception {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        ok(backend, IoRequest.read(0, offset, buffer));
        return buffer.array();
    }

    /** A heap buffer of {@code length} pseudo-random bytes, the same for the same {@code seed}. */
    public static ByteBuffer filled(int length, int seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return ByteBuffer.wrap(bytes);
    }
}
