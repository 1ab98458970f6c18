package io.weir.vscsi;

/** Where a disk is in its life. */
public enum DiskState {
    /** Defined in the catalog, waiting for its backend provider or a filter factory to appear. */
    WAITING,
    /** Serving I/O. */
    ONLINE,
    /** Stunned: new requests are parked until it resumes. */
    STUNNED,
    /** Serving, but a filter was fenced or a device reported errors; see the reason. */
    DEGRADED,
    /** Could not be opened; see the reason. */
    FAILED,
    /** Closed for good. */
    CLOSED
}
