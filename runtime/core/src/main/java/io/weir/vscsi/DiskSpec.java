package io.weir.vscsi;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The definition of a virtual disk, as kept in the catalog.
 *
 * @param id             identifier: 1-64 characters of lower-case letters, digits, '-' and '_', starting
 *                       with a letter or digit
 * @param capacity       capacity in bytes: a positive multiple of {@code blockSize}
 * @param blockSize      logical block size: 512 or 4096
 * @param backendType    the backend provider's type, for example {@code file}
 * @param backendOptions options for the backend
 * @param filters        the filter policy: filters attached to the disk (order in the list is irrelevant;
 *                       the stack is ordered by filter class)
 */
public record DiskSpec(String id, long capacity, int blockSize, String backendType,
                       Map<String, String> backendOptions, List<FilterAttachment> filters) {
    public DiskSpec {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(backendType, "backendType");
        backendOptions = Map.copyOf(backendOptions);
        filters = List.copyOf(filters);
    }

    /** This spec with another capacity. */
    public DiskSpec withCapacity(long newCapacity) {
        return new DiskSpec(id, newCapacity, blockSize, backendType, backendOptions, filters);
    }

    /** This spec with another filter policy. */
    public DiskSpec withFilters(List<FilterAttachment> newFilters) {
        return new DiskSpec(id, capacity, blockSize, backendType, backendOptions, newFilters);
    }
}
