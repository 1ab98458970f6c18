package io.weir.frontend.nbd;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * Direct buffers for one connection's READ and WRITE payloads, reused from request to request.
 *
 * <p>Why direct: the JDK copies a heap buffer through a temporary direct buffer on every socket and file
 * operation, and a gathering socket write that the kernel takes only in part copies all of its heap buffers
 * again on the next call. With direct buffers the payload goes from the socket to {@code pwrite} and from
 * {@code pread} to the socket without a copy in Java.
 *
 * <p>Ownership: a buffer is taken for one request and given back only once that request's reply has been
 * sent (or dropped because the connection ended), that is, after the disk completed the request exactly
 * once; the disk, its filters and its backend no longer own it then. A request is never handed the pooled
 * buffer itself but a slice of exactly its length.
 *
 * <p>Bounds: only payloads of at most {@link #MAX_POOLED} bytes use the pool (larger ones get heap buffers,
 * as before); buffers in use are bounded by the connection's byte budget like any payload; idle buffers kept
 * for reuse are bounded by {@link #MAX_IDLE_BYTES}, beyond which a returned buffer is left to the garbage
 * collector. Thread-safe (taken by the reader, given back by the writer).
 */
final class BufferPool {
    /** Largest payload served from the pool: 1 MiB. */
    static final int MAX_POOLED = 1 << 20;
    /** Idle bytes kept per connection. */
    static final long MAX_IDLE_BYTES = 16L << 20;
    private static final int MIN_SHIFT = 12; // 4 KiB
    private static final int CLASSES = 20 - MIN_SHIFT + 1;

    @SuppressWarnings("unchecked")
    private final ArrayDeque<ByteBuffer>[] free = new ArrayDeque[CLASSES];
    private long idleBytes;

    BufferPool() {
        for (int i = 0; i < CLASSES; i++) {
            free[i] = new ArrayDeque<>();
        }
    }

    /** Whether a payload of {@code length} bytes is served from the pool. */
    static boolean pooled(int length) {
        return length > 0 && length <= MAX_POOLED;
    }

    private static int sizeClass(int length) {
        int shift = Math.max(MIN_SHIFT, 32 - Integer.numberOfLeadingZeros(length - 1));
        return shift - MIN_SHIFT;
    }

    /** A cleared buffer of capacity at least {@code length} ({@link #pooled} must hold). */
    ByteBuffer take(int length) {
        int c = sizeClass(length);
        synchronized (this) {
            ByteBuffer b = free[c].pollLast();
            if (b != null) {
                idleBytes -= b.capacity();
                return b.clear();
            }
        }
        return ByteBuffer.allocateDirect(1 << (c + MIN_SHIFT));
    }

    /** Give back a buffer from {@link #take}; its user must be done with it and every slice of it. */
    void give(ByteBuffer b) {
        synchronized (this) {
            if (idleBytes + b.capacity() <= MAX_IDLE_BYTES) {
                idleBytes += b.capacity();
                free[sizeClass(b.capacity())].addLast(b);
            }
        }
    }
}
