package io.weir.vscsi;

import io.weir.filter.FilterClass;

/**
 * One filter in a disk's stack.
 *
 * @param filterName the filter's name
 * @param filterClass its class (which fixes its position)
 * @param bundle     the symbolic name and version of the bundle that provides it
 * @param faults     contract violations and exceptions reported against it on this disk
 */
public record LayerInfo(String filterName, FilterClass filterClass, String bundle, long faults) {
}
