package io.weir.samples.qos;

/** Why the scheduler dispatched a request; each dispatch has exactly one. */
enum Phase {
    /** The disk was behind its reservation (mClock's constraint-based phase). */
    RESERVATION,
    /** Chosen by weight among the disks under their limits (mClock's weight-based phase). */
    SHARE,
    /** A FLUSH at the head of its disk's queue: everything before it was dispatched, so it goes at once. */
    BARRIER,
    /** The disk was stunned, closed or detached: everything it held goes down at once, ignoring limits. */
    RELEASE
}
