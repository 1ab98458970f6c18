package io.weir.vscsi;

import java.util.List;

import io.weir.filter.FilterClass;

/**
 * A filter factory known to the runtime.
 *
 * @param filterName  the declared name
 * @param filterClass the declared class
 * @param bundle      symbolic name and version of the providing bundle
 * @param disks       the disks it is attached to
 */
public record FilterInfo(String filterName, FilterClass filterClass, String bundle, List<String> disks) {
    public FilterInfo {
        disks = List.copyOf(disks);
    }
}
