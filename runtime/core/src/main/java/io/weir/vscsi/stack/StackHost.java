package io.weir.vscsi.stack;

/**
 * What a layer needs from the disk it lives on: the geometry, the stack currently published, and accounting
 * of requests filters submit on their own (so a drain waits for them too).
 */
public interface StackHost extends Geometry {
    /** The stack published now. */
    Stack current();

    /** A filter-originated request entered the stack. */
    void filterRequestStarted();

    /** A filter-originated request completed. */
    void filterRequestEnded();
}
