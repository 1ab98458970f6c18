package io.weir.samples.qos;

/**
 * What the scheduler of one backend group dispatches into its backend.
 *
 * @param iops  requests per second released into the backend, the backend's sustainable rate as the operator
 *              knows it (0: not paced; the depth alone then bounds the rate, and the backend's speed sets it)
 * @param depth most requests of the group outstanding below the filter at once, at least 1: the queue the
 *              scheduler keeps the device fed with, so that arbitration happens here and not in the device
 */
public record GroupCapacity(long iops, int depth) {
    /** Outstanding requests per group when {@code qos.group.depth} is not given. */
    public static final int DEFAULT_DEPTH = 32;

    /** Checks the values. */
    public GroupCapacity {
        if (iops < 0) {
            throw new IllegalArgumentException("qos.group.iops must not be negative, got " + iops);
        }
        if (depth < 1) {
            throw new IllegalArgumentException("qos.group.depth must be at least 1, got " + depth);
        }
    }
}
