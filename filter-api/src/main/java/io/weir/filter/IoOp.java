package io.weir.filter;

/** The operation of an {@link IoRequest}. */
public enum IoOp {
    /** Read {@code length} bytes at {@code offset} into the request's buffer. */
    READ,
    /** Write the request's buffer at {@code offset}. May carry FUA. */
    WRITE,
    /** Make every write completed before this FLUSH was received durable. Offset and length are zero. */
    FLUSH,
    /** Discard a range (trim); later reads of it return zeros or the old data, never other data. */
    UNMAP,
    /** Write zeros over a range without a data buffer. May carry FUA. */
    WRITE_ZEROES;

    /** Whether the request carries a data buffer (READ: destination, WRITE: source). */
    public boolean hasData() {
        return this == READ || this == WRITE;
    }

    /** Whether the operation changes the disk's contents. */
    public boolean modifies() {
        return this == WRITE || this == UNMAP || this == WRITE_ZEROES;
    }

    /** Whether the operation may carry forced unit access. */
    public boolean allowsFua() {
        return this == WRITE || this == WRITE_ZEROES;
    }

    /** Whether the operation addresses a byte range of the disk (all but FLUSH). */
    public boolean hasRange() {
        return this != FLUSH;
    }
}
