package io.weir.certification.internal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import io.weir.backend.ForwardingBackend;
import io.weir.backend.memory.MemoryBackend;
import io.weir.filter.IoCallback;
import io.weir.filter.IoOp;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;

/**
 * The backend of a kit disk: a {@link MemoryBackend} seen through a tap that records every request reaching it
 * (which is everything the candidate and the filters below it sent down) and when each completed, on a clock
 * shared with the guest's completions. It can also stall: hold every request until {@link #release()}.
 */
public final class TapBackend extends ForwardingBackend {
    /** One request that reached the backend: when it arrived and, once known, when and how it completed. */
    public static final class Arrival {
        public final long tag;
        public final IoOp op;
        public final long offset;
        public final int length;
        public final boolean fua;
        public final long arrivedAt;
        private volatile long completedAt = -1;
        private volatile IoStatus status;

        Arrival(IoRequest r, long arrivedAt) {
            this.tag = r.tag();
            this.op = r.op();
            this.offset = r.offset();
            this.length = r.length();
            this.fua = r.fua();
            this.arrivedAt = arrivedAt;
        }

        /** The clock reading when the backend completed it; -1 while it has not. */
        public long completedAt() {
            return completedAt;
        }

        public IoStatus status() {
            return status;
        }

        public long end() {
            return offset + length;
        }

        @Override
        public String toString() {
            return op + (op.hasRange() ? "[" + offset + "+" + length + "]" : "") + (fua ? " FUA" : "") + " #" + tag;
        }
    }

    private record Held(IoRequest request, IoCallback callback) {
    }

    private final MemoryBackend memory;
    private final AtomicLong clock;
    private final List<Arrival> arrivals = new ArrayList<>();
    private final List<Held> held = new ArrayList<>();
    private boolean stalled;

    /** Tap {@code memory}; {@code clock} orders backend completions against the guest's. */
    public TapBackend(MemoryBackend memory, AtomicLong clock) {
        super(memory);
        this.memory = memory;
        this.clock = clock;
    }

    /** Advance the shared clock and return its new reading. */
    public long tick() {
        return clock.incrementAndGet();
    }

    public MemoryBackend memory() {
        return memory;
    }

    @Override
    public void submit(IoRequest request, IoCallback callback) {
        Arrival a = new Arrival(request, clock.incrementAndGet());
        synchronized (this) {
            arrivals.add(a);
            if (stalled) {
                held.add(new Held(request, tapped(a, callback)));
                return;
            }
        }
        memory.submit(request, tapped(a, callback));
    }

    private IoCallback tapped(Arrival a, IoCallback callback) {
        return status -> {
            a.status = status;
            a.completedAt = clock.incrementAndGet();
            callback.done(status);
        };
    }

    /** From now on hold every request without executing it, as a device that stopped answering. */
    public synchronized void stall() {
        stalled = true;
    }

    /** Stop stalling and execute every held request, in arrival order. */
    public void release() {
        List<Held> go;
        synchronized (this) {
            stalled = false;
            go = new ArrayList<>(held);
            held.clear();
        }
        for (Held h : go) {
            memory.submit(h.request(), h.callback());
        }
    }

    /** How many requests the stall holds. */
    public synchronized int heldCount() {
        return held.size();
    }

    /** Every request that reached the backend so far, in arrival order. */
    public synchronized List<Arrival> arrivals() {
        return List.copyOf(arrivals);
    }

    /** Forget the arrivals recorded so far. */
    public synchronized void forget() {
        arrivals.clear();
    }

    @Override
    public void close() throws IOException {
        release();
        memory.close();
    }
}
