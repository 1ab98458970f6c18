package io.weir.filter;

/**
 * The class of a filter. The class fixes the filter's position in every stack: a disk holds at most one
 * filter per class, and filters are ordered by {@link #order()} from the guest side (1) down to the
 * backend (6). The order is part of this API; it never depends on install order or service ranking.
 */
public enum FilterClass {
    /** Observes requests and completions; never changes data. */
    INSPECTION(1, false),
    /** Transforms data to take less space below it. */
    COMPRESSION(2, false),
    /** Transforms data so nothing below it sees plaintext. Vendor only. */
    ENCRYPTION(3, true),
    /** Copies writes to another place; sees every write before a cache can absorb it. */
    REPLICATION(4, false),
    /** Serves reads and may absorb writes from a faster device. */
    CACHE(5, false),
    /** Shapes the timing of requests reaching the datastore. Vendor only. */
    QOS(6, true);

    private final int order;
    private final boolean vendorOnly;

    FilterClass(int order, boolean vendorOnly) {
        this.order = order;
        this.vendorOnly = vendorOnly;
    }

    /** Position in the stack, 1 nearest the guest, 6 nearest the backend. */
    public int order() {
        return order;
    }

    /** Whether only the vendor may ship filters of this class, whatever a partner certificate says. */
    public boolean vendorOnly() {
        return vendorOnly;
    }

    /** Whether this class sits nearer the guest than {@code other}. */
    public boolean isOuterTo(FilterClass other) {
        return order < other.order;
    }
}
