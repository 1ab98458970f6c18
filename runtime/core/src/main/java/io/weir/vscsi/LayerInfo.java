package io.weir.vscsi;

import io.weir.filter.FilterClass;

/**
 * One filter in a disk's stack.
 *
 * @param filterName  the filter's name
 * @param filterClass its class (which fixes its position)
 * @param bundle      the symbolic name and version of the bundle that provides it
 * @param faults      contract violations and exceptions reported against it on this disk
 * @param fenced      why the filter is fenced on this disk, empty while it is healthy
 * @param policy      what the disk does while it is fenced ({@link FencePolicy#of})
 */
public record LayerInfo(String filterName, FilterClass filterClass, String bundle, long faults, String fenced,
                        FencePolicy policy) {
    /** A healthy layer (the form of version 1.0). */
    public LayerInfo(String filterName, FilterClass filterClass, String bundle, long faults) {
        this(filterName, filterClass, bundle, faults, "", FencePolicy.of(filterClass));
    }

    public boolean isFenced() {
        return !fenced.isEmpty();
    }
}
