package io.weir.certification.broken;

import io.weir.certification.reference.WriteBackCache;

/**
 * A write-back cache that keeps dirty data in memory without a bound: while the layer below stalls it
 * acknowledges every write and holds all of it on the heap. The kit's {@code non-blocking} check fails it: a
 * write-back cache may absorb more than a queue depth of writes only on a device of its own.
 */
public final class HoardsWrites extends WriteBackCache {
    public HoardsWrites() {
        super(Integer.MAX_VALUE);
    }
}
