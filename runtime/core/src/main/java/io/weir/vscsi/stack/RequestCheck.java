package io.weir.vscsi.stack;

import java.util.Set;

import io.weir.filter.Capability;
import io.weir.filter.IoError;
import io.weir.filter.IoOp;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;

/**
 * Validates requests against a disk's geometry before any filter or backend sees them: operation allowed by
 * the negotiated capabilities, alignment, non-zero length, size limit, and a range that neither overflows nor
 * ends past the capacity. Returns {@code null} for a valid request, else the failure to report.
 */
public final class RequestCheck {
    private RequestCheck() {
    }

    /** Checks a request arriving from a front end. */
    public static IoStatus check(IoRequest r, long capacity, int blockSize, int maxDataLength, Set<Capability> caps) {
        IoOp op = r.op();
        if (op == IoOp.UNMAP && !caps.contains(Capability.UNMAP)) {
            return IoStatus.failed(IoError.NOT_SUPPORTED, "UNMAP is not supported by this disk");
        }
        if (op == IoOp.WRITE_ZEROES && !caps.contains(Capability.WRITE_ZEROES)) {
            return IoStatus.failed(IoError.NOT_SUPPORTED, "WRITE_ZEROES is not supported by this disk");
        }
        if (r.fua() && !caps.contains(Capability.FUA)) {
            return IoStatus.failed(IoError.NOT_SUPPORTED, "FUA is not supported by this disk");
        }
        return checkRange(r, capacity, blockSize, maxDataLength);
    }

    /** Checks the range of a request: what filters must respect when they pass or submit requests. */
    public static IoStatus checkRange(IoRequest r, long capacity, int blockSize, int maxDataLength) {
        if (!r.op().hasRange()) {
            return null;
        }
        long offset = r.offset();
        int length = r.length();
        if (length <= 0) {
            return IoStatus.failed(IoError.INVALID, r.op() + " of zero length at offset " + offset);
        }
        if (r.op().hasData() && length > maxDataLength) {
            return IoStatus.failed(IoError.INVALID, r.op() + " of " + length + " bytes exceeds the maximum of "
                    + maxDataLength + " bytes per request");
        }
        if (offset % blockSize != 0 || length % blockSize != 0) {
            return IoStatus.failed(IoError.INVALID, r.op() + " at offset " + offset + " length " + length
                    + " is not aligned to the " + blockSize + "-byte block size");
        }
        long end = offset + length;
        if (end < offset) {
            return IoStatus.failed(IoError.OUT_OF_RANGE, r.op() + " at offset " + offset + " length " + length
                    + " overflows");
        }
        if (end > capacity) {
            return IoStatus.failed(IoError.OUT_OF_RANGE, r.op() + " at offset " + offset + " length " + length
                    + " ends past the disk's capacity of " + capacity + " bytes");
        }
        return null;
    }
}
