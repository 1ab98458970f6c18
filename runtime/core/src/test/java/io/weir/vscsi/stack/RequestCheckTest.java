package io.weir.vscsi.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.EnumSet;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.weir.filter.Capability;
import io.weir.filter.IoError;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;

class RequestCheckTest {
    private static final Set<Capability> ALL = EnumSet.allOf(Capability.class);
    private static final long CAPACITY = 1 << 20;

    @Test
    void requestEndingPastCapacityIsOutOfRange() {
        IoStatus s = RequestCheck.check(IoRequest.unmap(1, CAPACITY - 512, 1024), CAPACITY, 512, 4096, ALL);
        assertEquals(IoError.OUT_OF_RANGE, s.error());
        assertTrue(s.message().contains("capacity of " + CAPACITY), s.message());
    }

    @Test
    void offsetPlusLengthOverflowIsRejectedAsOutOfRange() {
        long offset = Long.MAX_VALUE - 511; // aligned, so only the overflow is wrong
        IoStatus s = RequestCheck.check(IoRequest.unmap(1, offset, 1024), Long.MAX_VALUE, 512, 4096, ALL);
        assertEquals(IoError.OUT_OF_RANGE, s.error());
        assertTrue(s.message().contains("overflows"), s.message());
    }

    @Test
    void misalignedRequestIsInvalidAndNamesTheBlockSize() {
        IoStatus s = RequestCheck.check(IoRequest.read(1, 100, ByteBuffer.allocate(512)), CAPACITY, 512, 4096, ALL);
        assertEquals(IoError.INVALID, s.error());
        assertTrue(s.message().contains("512-byte block size"), s.message());
    }

    @Test
    void oversizedDataRequestIsInvalidButLargeUnmapIsNot() {
        assertEquals(IoError.INVALID,
                RequestCheck.check(IoRequest.write(1, 0, ByteBuffer.allocate(8192), false), CAPACITY, 512, 4096, ALL).error());
        assertNull(RequestCheck.check(IoRequest.unmap(1, 0, 8192), CAPACITY, 512, 4096, ALL));
    }

    @Test
    void zeroLengthRangeIsInvalid() {
        assertEquals(IoError.INVALID, RequestCheck.check(IoRequest.unmap(1, 0, 0), CAPACITY, 512, 4096, ALL).error());
    }

    @Test
    void operationsOutsideNegotiatedCapabilitiesAreNotSupported() {
        Set<Capability> none = EnumSet.noneOf(Capability.class);
        assertEquals(IoError.NOT_SUPPORTED, RequestCheck.check(IoRequest.unmap(1, 0, 512), CAPACITY, 512, 4096, none).error());
        assertEquals(IoError.NOT_SUPPORTED,
                RequestCheck.check(IoRequest.writeZeroes(1, 0, 512, false), CAPACITY, 512, 4096, none).error());
        assertEquals(IoError.NOT_SUPPORTED,
                RequestCheck.check(IoRequest.write(1, 0, ByteBuffer.allocate(512), true), CAPACITY, 512, 4096, none).error());
        assertNull(RequestCheck.check(IoRequest.flush(1), CAPACITY, 512, 4096, none));
    }

    @Test
    void validationAcceptsExactlyTheRequestsInsideTheDisk() {
        Random random = new Random(42);
        for (int i = 0; i < 100_000; i++) {
            int blockSize = random.nextBoolean() ? 512 : 4096;
            long capacity = (1 + random.nextInt(1 << 16)) * (long) blockSize;
            long offset = random.nextInt(4) == 0 ? random.nextLong() & Long.MAX_VALUE
                    : (long) (random.nextDouble() * capacity * 1.1);
            if (random.nextBoolean()) {
                offset -= offset % blockSize;
            }
            int length = random.nextInt(3) == 0 ? random.nextInt(1 << 20) : blockSize * random.nextInt(300);
            int max = 128 * 1024;
            IoStatus s = RequestCheck.check(IoRequest.unmap(i, offset, length), capacity, blockSize, max, ALL);
            boolean inside = length > 0 && offset % blockSize == 0 && length % blockSize == 0
                    && offset <= capacity && length <= capacity - offset;
            if (inside) {
                assertNull(s, () -> "rejected a valid request: " + s);
            } else {
                assertNotNull(s, "accepted offset " + "" + " outside the disk");
            }
        }
    }
}
