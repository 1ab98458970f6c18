package io.weir.vscsi.stack;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import io.weir.filter.IoCallback;
import io.weir.filter.IoChain;
import io.weir.filter.IoError;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;
import io.weir.vscsi.FencePolicy;

/**
 * One request at one layer: the {@link IoChain} the filter disposes of the request through, and the callback
 * through which the layer below reports back. Enforces exactly one disposition and exactly one completion.
 */
final class Exchange implements IoChain, IoCallback {
    private static final int PENDING = 0;
    private static final int PASSED = 1;
    private static final int DONE = 2;
    private static final int DEFERRED = 3;
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(Exchange.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Stack stack;
    private final int index;
    private final Layer layer;
    private final IoRequest request;
    private final IoCallback up;
    @SuppressWarnings("unused") // accessed through STATE
    private volatile int state;
    /** When the filter deferred the request (System.nanoTime), for the deadline watchdog. */
    private long deferredAt;
    /** The thread inside the filter's handle for this request and its CallClock slot (-1: none, or not timed). */
    private Thread handler;
    private int slot = -1;

    Exchange(Stack stack, int index, Layer layer, IoRequest request, IoCallback up) {
        this.stack = stack;
        this.index = index;
        this.layer = layer;
        this.request = request;
        this.up = up;
    }

    @Override
    public IoRequest request() {
        return request;
    }

    @Override
    public void pass() {
        claim(PASSED, "passed");
        dispatchBelow(request);
    }

    /** The stack calls the filter's handle for this request on the current thread. */
    void enterHandle() {
        handler = Thread.currentThread();
        slot = layer.calls().enter();
    }

    /** The filter's handle returned (or threw). */
    void exitHandle() {
        layer.calls().exit(slot);
        slot = -1;
        handler = null;
    }

    /**
     * Hand the request to the layer below. Time spent below, on the thread still inside this filter's handle, is not
     * the filter's: its clock pauses meanwhile, so a slow backend never looks like a filter blocking its caller.
     */
    private void dispatchBelow(IoRequest r) {
        if (handler != Thread.currentThread() || slot < 0) {
            stack.dispatch(index + 1, r, this);
            return;
        }
        layer.calls().exit(slot);
        try {
            stack.dispatch(index + 1, r, this);
        } finally {
            slot = layer.calls().enter();
        }
    }

    @Override
    public void pass(IoRequest replacement) {
        if (replacement == request) {
            pass();
            return;
        }
        claim(PASSED, "passed");
        String wrong = null;
        if (replacement == null) {
            wrong = "passed null in place of " + request;
        } else if (replacement.op() != request.op()) {
            wrong = "passed a " + replacement.op() + " in place of " + request;
        } else {
            StackHost host = layer.context().host();
            IoStatus bad = RequestCheck.checkRange(replacement, host.capacity(), host.blockSize(), host.maxRequestLength());
            if (bad != null) {
                wrong = "passed an invalid request in place of " + request + ": " + bad.message();
            }
        }
        if (wrong != null) {
            String message = layer.label() + " " + wrong;
            layer.fault(message, null);
            STATE.setVolatile(this, DONE);
            up.done(IoStatus.failed(IoError.FILTER_FAULT, message));
            return;
        }
        dispatchBelow(replacement);
    }

    @Override
    public void complete() {
        claim(DONE, "completed");
        up.done(IoStatus.OK);
    }

    @Override
    public void fail(IoError error, String message) {
        claim(DONE, "failed");
        if (error == null) {
            String m = layer.label() + " failed " + request + " without an error code: " + message;
            layer.fault(m, null);
            up.done(IoStatus.failed(IoError.FILTER_FAULT, m));
            return;
        }
        up.done(IoStatus.failed(error, layer.name() + ": " + message));
    }

    /** The layer below completed the request this layer passed. */
    @Override
    public void done(IoStatus status) {
        // An inner layer's exchange reports at most once by construction; only the backend, below the last
        // layer, needs the compare-and-set that catches a second completion.
        if (index == stack.size() - 1) {
            if (!STATE.compareAndSet(this, PASSED, DONE)) {
                layer.faultBelow("the backend below " + layer.label() + " completed " + request + " more than once");
                return;
            }
        } else {
            STATE.setRelease(this, DONE);
        }
        IoStatus result;
        String fence = layer.fenced();
        if (fence != null) {
            // fenced while the request was below: a bypassable layer is stepped around, any other fails it
            up.done(layer.policy() == FencePolicy.BYPASS ? status
                    : IoStatus.failed(IoError.FILTER_FAULT, layer.label() + " is fenced: " + fence));
            return;
        }
        int slot = layer.calls().enter();
        try {
            result = layer.filter().completed(request, status);
            if (result == null) {
                String m = layer.label() + " returned no status for the completion of " + request;
                layer.fault(m, null);
                result = IoStatus.failed(IoError.FILTER_FAULT, m);
            }
        } catch (RuntimeException | LinkageError e) {
            String m = layer.label() + " threw " + e + " on the completion of " + request;
            layer.fault(m, e);
            result = IoStatus.failed(IoError.FILTER_FAULT, m);
        } finally {
            layer.calls().exit(slot);
        }
        up.done(result);
    }

    /** {@code handle} returned without a disposition: the filter deferred the request. */
    void returned() {
        if (state == PENDING) {
            deferredAt = System.nanoTime();
            if (STATE.compareAndSet(this, PENDING, DEFERRED)) {
                layer.deferred().incrementAndGet();
                layer.held().add(this);
                if ((int) STATE.getVolatile(this) != DEFERRED) {
                    layer.held().remove(this); // disposed of meanwhile, before it was registered
                }
            }
        }
    }

    long deferredAt() {
        return deferredAt;
    }

    /** The filter held this request past its deadline: fail it with TIMED_OUT and fence the layer. */
    boolean expire(long deadlineMillis) {
        if (!release(DONE)) {
            return false;
        }
        String m = layer.label() + " held " + request + " for more than its " + deadlineMillis + " ms deadline";
        layer.fault(m, null);
        up.done(IoStatus.failed(IoError.TIMED_OUT, m));
        return true;
    }

    /** The filter threw from {@code handle}: fail the request unless it was already disposed of. */
    void threw(Throwable e) {
        String m = layer.label() + " threw " + e + " while handling " + request;
        layer.fault(m, e);
        if (STATE.compareAndSet(this, PENDING, DONE) || release(DONE)) {
            up.done(IoStatus.failed(IoError.FILTER_FAULT, m));
        }
    }

    /** Move a deferred exchange to {@code next}, ending its deferral; false if it was not deferred. */
    private boolean release(int next) {
        if (STATE.compareAndSet(this, DEFERRED, next)) {
            layer.deferred().decrementAndGet();
            layer.held().remove(this);
            return true;
        }
        return false;
    }

    private void claim(int next, String verb) {
        int prior = (int) STATE.compareAndExchange(this, PENDING, next);
        if (prior == DEFERRED && release(next)) {
            return;
        }
        if (prior != PENDING) {
            prior = (int) STATE.getVolatile(this);
            String m = layer.label() + " " + verb + " " + request + " after it had already "
                    + (prior == PASSED ? "passed it down" : "completed or failed it")
                    + ": each request must be disposed of exactly once";
            layer.fault(m, null);
            throw new IllegalStateException(m);
        }
    }
}
