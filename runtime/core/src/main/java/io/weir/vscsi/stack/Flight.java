package io.weir.vscsi.stack;

import io.weir.filter.IoCallback;

/**
 * The top of one request's journey through a stack: receives its final completion and remembers how deep
 * the request last went, so a stalled drain can say which layer holds it.
 */
public abstract class Flight implements IoCallback {
    /** Index of the layer that last received the request; the stack's size means the backend. */
    volatile int depth;

    /** The layer index that last received this request (stack size = backend). */
    public int depth() {
        return depth;
    }
}
