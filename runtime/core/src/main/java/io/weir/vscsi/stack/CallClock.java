package io.weir.vscsi.stack;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * When the threads now inside one filter's {@code handle} or {@code completed} entered it, so the deadline watchdog
 * can tell a filter that blocks its caller's thread. Time is the disk's {@link Ticker} (advanced by the watchdog),
 * so timing a call costs a volatile read and two array writes, not a clock call. Slots are indexed by thread id; a
 * thread whose slot is taken (another thread with the same index, or a nested call) is simply not timed: a missed
 * measurement, never a false one. Each slot has a 128-byte line to itself, so threads timing calls of the same filter
 * at once never write to a shared cache line.
 */
final class CallClock {
    private static final int SLOTS = 32; // a power of two: more than the threads that drive one disk at once
    private static final int STRIDE = 16; // longs per slot: 128 bytes, two cache lines (adjacent-line prefetch)
    private static final long FREE = -1;

    private final Ticker ticker;
    private final AtomicLongArray since = new AtomicLongArray(SLOTS * STRIDE);

    CallClock(Ticker ticker) {
        this.ticker = ticker;
        for (int i = 0; i < SLOTS; i++) {
            since.setPlain(i * STRIDE, FREE);
        }
    }

    /** The calling thread enters the filter; returns its slot, or -1 when it is not timed. */
    int enter() {
        int slot = ((int) Thread.currentThread().getId() & (SLOTS - 1)) * STRIDE;
        if (since.getPlain(slot) != FREE) {
            return -1;
        }
        since.setRelease(slot, ticker.now());
        return slot;
    }

    /** The calling thread left the filter. */
    void exit(int slot) {
        if (slot >= 0) {
            since.setRelease(slot, FREE);
        }
    }

    /** How many ticks the longest call now in progress has lasted (0 when none). */
    long longestTicks() {
        long now = ticker.now();
        long longest = 0;
        for (int i = 0; i < SLOTS; i++) {
            long t = since.getAcquire(i * STRIDE);
            if (t != FREE) {
                longest = Math.max(longest, now - t);
            }
        }
        return longest;
    }
}
