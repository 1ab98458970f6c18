package io.weir.filter;

/**
 * Optional abilities of a disk. The backend offers a set; each filter, from the backend side outwards, may
 * only narrow what the layer below offers ({@link Filter#capabilities(java.util.Set)}). The result is
 * negotiated once when the stack is built and is what front ends advertise.
 */
public enum Capability {
    /** FLUSH makes completed writes durable (the device has a volatile cache worth flushing). */
    FLUSH,
    /** Writes may carry forced unit access. */
    FUA,
    /** UNMAP (trim) is honoured rather than ignored. */
    UNMAP,
    /** WRITE_ZEROES is handled without the client sending zeros. */
    WRITE_ZEROES,
    /** Every connection to the disk sees the same data and a FLUSH on one covers writes from all. */
    MULTI_CONN
}
