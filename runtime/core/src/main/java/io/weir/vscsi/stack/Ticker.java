package io.weir.vscsi.stack;

/**
 * A disk's coarse clock: a count the deadline watchdog advances once per round, read by the data path where a
 * real clock call would cost too much.
 */
public final class Ticker {
    private volatile long now;

    long now() {
        return now;
    }

    /** One watchdog round has passed. */
    public void tick() {
        now++;
    }
}
