package io.weir.certification.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import io.weir.filter.ControlEvent;

/**
 * What the kit saw of the candidate's own calls on one disk: how long it spent in {@code handle} and
 * {@code completed} (on the caller's thread), how long it took to answer each control event, and any request or
 * completion that reached it out of class order.
 */
public final class Observation {
    private static final int KEEP = 20;

    /** One control event the candidate answered. */
    public record EventCall(ControlEvent.Kind kind, long nanos, String outcome) {
    }

    private final AtomicLong maxHandleNanos = new AtomicLong();
    private final AtomicLong maxCompletedNanos = new AtomicLong();
    private volatile String slowestHandle = "";
    private volatile String slowestCompleted = "";
    private final AtomicLong handled = new AtomicLong();
    /** Calls of handle / completed that lasted longer than {@link #SLOW_CALL_NANOS}. */
    private final AtomicLong slowHandles = new AtomicLong();
    private final AtomicLong slowCompleted = new AtomicLong();
    /** A call longer than this counts as slow (the non-blocking check's limit per call). */
    public static final long SLOW_CALL_NANOS = 50_000_000L;
    private final List<EventCall> events = new ArrayList<>();
    private final List<String> orderViolations = new ArrayList<>();
    private final AtomicLong orderChecks = new AtomicLong();

    void handleTook(long nanos, Object request) {
        handled.incrementAndGet();
        if (nanos > SLOW_CALL_NANOS) {
            slowHandles.incrementAndGet();
        }
        if (raise(maxHandleNanos, nanos)) {
            slowestHandle = String.valueOf(request);
        }
    }

    void completedTook(long nanos, Object request) {
        if (nanos > SLOW_CALL_NANOS) {
            slowCompleted.incrementAndGet();
        }
        if (raise(maxCompletedNanos, nanos)) {
            slowestCompleted = String.valueOf(request);
        }
    }

    private static boolean raise(AtomicLong max, long value) {
        long prior = max.get();
        while (value > prior) {
            if (max.compareAndSet(prior, value)) {
                return true;
            }
            prior = max.get();
        }
        return false;
    }

    synchronized void event(EventCall call) {
        events.add(call);
    }

    void orderChecked() {
        orderChecks.incrementAndGet();
    }

    synchronized void orderViolation(String what) {
        if (orderViolations.size() < KEEP) {
            orderViolations.add(what);
        }
    }

    /** How many handle calls were slow, and completed calls. */
    public long slowHandles() {
        return slowHandles.get();
    }

    public long slowCompleted() {
        return slowCompleted.get();
    }

    public long maxHandleNanos() {
        return maxHandleNanos.get();
    }

    public long maxCompletedNanos() {
        return maxCompletedNanos.get();
    }

    public String slowestHandle() {
        return slowestHandle;
    }

    public String slowestCompleted() {
        return slowestCompleted;
    }

    /** Requests the candidate's {@code handle} was called for. */
    public long handled() {
        return handled.get();
    }

    public synchronized List<EventCall> events() {
        return List.copyOf(events);
    }

    public synchronized List<String> orderViolations() {
        return List.copyOf(orderViolations);
    }

    /** How many order checks were made (one per request down and one per completion up). */
    public long orderChecks() {
        return orderChecks.get();
    }
}
