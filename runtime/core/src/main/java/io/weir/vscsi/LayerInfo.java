package io.weir.vscsi;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

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
 * @param metrics     what the filter publishes about itself (names to numbers, strings, booleans), sorted by name
 */
public record LayerInfo(String filterName, FilterClass filterClass, String bundle, long faults, String fenced,
                        FencePolicy policy, Map<String, Object> metrics) {
    public LayerInfo {
        metrics = Collections.unmodifiableMap(new TreeMap<>(metrics));
    }

    /** A layer that publishes no metrics (the form of version 1.2). */
    public LayerInfo(String filterName, FilterClass filterClass, String bundle, long faults, String fenced,
            FencePolicy policy) {
        this(filterName, filterClass, bundle, faults, fenced, policy, Map.of());
    }

    /** A healthy layer (the form of version 1.0). */
    public LayerInfo(String filterName, FilterClass filterClass, String bundle, long faults) {
        this(filterName, filterClass, bundle, faults, "", FencePolicy.of(filterClass));
    }

    public boolean isFenced() {
        return !fenced.isEmpty();
    }
}
