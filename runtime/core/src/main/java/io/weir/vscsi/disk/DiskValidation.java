package io.weir.vscsi.disk;

import java.util.regex.Pattern;

import io.weir.vscsi.DiskException;
import io.weir.vscsi.DiskException.Reason;

/** Checks of disk names and geometry, with messages that name the value and the rule. */
public final class DiskValidation {
    private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");
    /** Largest capacity a disk may have: 2^60 bytes (1 EiB). */
    public static final long MAX_CAPACITY = 1L << 60;

    private DiskValidation() {
    }

    public static void checkId(String id) throws DiskException {
        if (id == null || !ID.matcher(id).matches()) {
            throw new DiskException(Reason.INVALID, "disk name '" + id + "' is invalid: use 1-64 lower-case"
                    + " letters, digits, '-' and '_', starting with a letter or digit");
        }
    }

    public static void checkGeometry(String id, long capacity, int blockSize) throws DiskException {
        if (blockSize != 512 && blockSize != 4096) {
            throw new DiskException(Reason.INVALID, "disk '" + id + "': block size " + blockSize
                    + " is not 512 or 4096");
        }
        if (capacity <= 0 || capacity > MAX_CAPACITY) {
            throw new DiskException(Reason.INVALID, "disk '" + id + "': capacity " + capacity
                    + " is outside 1.." + MAX_CAPACITY + " bytes");
        }
        if (capacity % blockSize != 0) {
            throw new DiskException(Reason.INVALID, "disk '" + id + "': capacity " + capacity
                    + " is not a multiple of the block size " + blockSize);
        }
    }
}
