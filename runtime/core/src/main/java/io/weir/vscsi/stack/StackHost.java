package io.weir.vscsi.stack;

import io.weir.filter.IoStatus;

/**
 * What a layer needs from the disk it lives on: the geometry, the stack currently published, and accounting
 * of requests filters submit on their own (so a drain waits for them too).
 */
public interface StackHost extends Geometry {
    /** The stack published now. */
    Stack current();

    /** Whether nothing has written to the disk since its storage was created empty. */
    boolean blank();

    /**
     * Called before a request that modifies the disk enters the stack: records, durably, that the disk is no
     * longer blank. Returns null when recorded (or already recorded), else the failure to complete the request with.
     */
    IoStatus beforeModify();

    /** A filter-originated request entered the stack. */
    void filterRequestStarted();

    /** A filter-originated request completed. */
    void filterRequestEnded();
}
