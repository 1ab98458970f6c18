package io.weir.vscsi;

import java.util.List;
import java.util.Set;

import io.weir.filter.Capability;

/**
 * A snapshot of a disk's definition and condition.
 *
 * @param spec         the catalog definition
 * @param state        the current state
 * @param reason       why the disk is WAITING, DEGRADED or FAILED; empty otherwise
 * @param capabilities what the stack negotiated (empty unless online)
 * @param stack        the filters in stack order, outer (guest side) first
 * @param stats        counters since the disk was opened
 */
public record DiskInfo(DiskSpec spec, DiskState state, String reason, Set<Capability> capabilities,
                       List<LayerInfo> stack, DiskStats stats) {
    public DiskInfo {
        capabilities = Set.copyOf(capabilities);
        stack = List.copyOf(stack);
    }
}
