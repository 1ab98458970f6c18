package io.weir.vscsi;

import io.weir.filter.FilterClass;

/**
 * What a disk does with a fenced filter: one that threw, broke the request contract, held a request past its
 * deadline or missed a control event's deadline. The policy follows from the filter's class and is chosen so that
 * fencing never costs data: a filter that only observes or schedules can be stepped around, while one that
 * transforms, copies or caches data cannot (a bypassed encryption or compression filter would expose or corrupt
 * data, a bypassed cache could serve stale data or strand dirty data, a bypassed replication filter would let the
 * replica silently diverge).
 */
public enum FencePolicy {
    /** Requests skip the fenced filter and go straight to the layer below; completions skip it too. */
    BYPASS,
    /** Every request reaching the fenced filter fails with {@code FILTER_FAULT}, naming it, until it is detached. */
    FAIL;

    /** The class-safe policy: BYPASS for INSPECTION and QOS, FAIL for the classes that touch data. */
    public static FencePolicy of(FilterClass filterClass) {
        return switch (filterClass) {
            case INSPECTION, QOS -> BYPASS;
            case COMPRESSION, ENCRYPTION, REPLICATION, CACHE -> FAIL;
        };
    }
}
