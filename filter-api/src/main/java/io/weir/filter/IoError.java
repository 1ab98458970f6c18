package io.weir.filter;

/**
 * Why a request failed. Front ends map each error to their protocol's code (for NBD the errno named
 * here), so a filter should pick the most specific one.
 */
public enum IoError {
    /** The request is malformed: bad alignment, bad flags, zero or oversized length (EINVAL). */
    INVALID,
    /** The range lies partly or wholly outside the disk (EINVAL for reads, ENOSPC for writes). */
    OUT_OF_RANGE,
    /** The operation is not supported by this disk's negotiated capabilities (ENOTSUP). */
    NOT_SUPPORTED,
    /** The disk is read-only (EPERM). */
    READ_ONLY,
    /** The backing store is out of space (ENOSPC). */
    NO_SPACE,
    /** A medium or device error (EIO). */
    IO,
    /** A filter broke its contract or was fenced; the message names the filter (EIO). */
    FILTER_FAULT,
    /** A deadline passed before the request could complete (EIO). */
    TIMED_OUT,
    /** The disk is shutting down (ESHUTDOWN). */
    SHUTDOWN
}
