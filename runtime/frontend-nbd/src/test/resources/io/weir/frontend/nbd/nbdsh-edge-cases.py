# Edge cases of the NBD front end driven through libnbd's Python binding (run by nbdsh with -n -c).
# The URI and the export size come from the environment: NBD_TEST_URI, NBD_TEST_SIZE.
# Every check raises on failure; the last line printed is "edge cases passed".
import errno
import os

import nbd

uri = os.environ["NBD_TEST_URI"]
size = int(os.environ["NBD_TEST_SIZE"])


def expect_error(what, expected, call):
    try:
        call()
    except nbd.Error as e:
        if e.errnum != expected:
            raise AssertionError("%s: expected %s, got %s (%s)" % (what, errno.errorcode[expected], e.errno, e.string))
        return
    raise AssertionError("%s succeeded, expected %s" % (what, errno.errorcode[expected]))


h = nbd.NBD()
h.add_meta_context(nbd.CONTEXT_BASE_ALLOCATION)
h.connect_uri(uri)
assert h.get_size() == size, h.get_size()
assert h.get_structured_replies_negotiated(), "structured replies were not negotiated"
assert h.can_meta_context(nbd.CONTEXT_BASE_ALLOCATION), "base:allocation was not selected"
for name in ("can_df", "can_fua", "can_flush", "can_trim", "can_zero", "can_fast_zero", "can_multi_conn"):
    assert getattr(h, name)(), name
block = h.get_block_size(nbd.SIZE_MINIMUM)

# pwrite with and without FUA, pread back, DF read answered with exactly one data chunk.
data = bytes(range(256)) * 256
h.pwrite(data, 65536, nbd.CMD_FLAG_FUA)
h.pwrite(data[:4096], 1 << 20)
assert h.pread(65536, 65536) == data, "pread after FUA pwrite"
assert h.pread(4096, 1 << 20) == data[:4096], "pread after pwrite"
chunks = []


def chunk(subbuf, offset, status, err):
    chunks.append((offset, len(subbuf), status))
    return 0


buf = h.pread_structured(65536, 65536, chunk, nbd.CMD_FLAG_DF)
assert buf == data, "structured pread"
assert chunks == [(65536, 65536, nbd.READ_DATA)], chunks
h.flush()

# trim, then zero with FUA and NO_HOLE: reads back as zeroes; FAST_ZERO fails fast with ENOTSUP, changing nothing.
h.trim(65536, 2 << 20)
h.zero(65536, 65536, nbd.CMD_FLAG_FUA | nbd.CMD_FLAG_NO_HOLE)
assert h.pread(65536, 65536) == bytes(65536), "zeroed range"
h.pwrite(data, 3 << 20)
expect_error("fast zero", errno.ENOTSUP, lambda: h.zero(65536, 3 << 20, nbd.CMD_FLAG_FAST_ZERO))
assert h.pread(65536, 3 << 20) == data, "a refused fast zero changed the data"

# block status: the whole disk as allocated data, REQ_ONE at the very end, never past the end.
extents = []


def extent(metacontext, offset, entries, err):
    extents.append((metacontext, offset, list(entries)))
    return 0


h.block_status(size, 0, extent)
assert extents == [(nbd.CONTEXT_BASE_ALLOCATION, 0, [size, 0])], extents
extents.clear()
h.block_status(2 * block, size - 2 * block, extent, nbd.CMD_FLAG_REQ_ONE)
assert extents == [(nbd.CONTEXT_BASE_ALLOCATION, size - 2 * block, [2 * block, 0])], extents

# Requests the server must refuse itself: turn off libnbd's own bounds checks so they reach it.
h.set_strict_mode(h.get_strict_mode() & ~nbd.STRICT_BOUNDS)
expect_error("pread across the end", errno.EINVAL, lambda: h.pread(2 * block, size - block))
expect_error("pread after the end", errno.EINVAL, lambda: h.pread(block, size))
expect_error("pwrite after the end", errno.ENOSPC, lambda: h.pwrite(bytes(block), size))
expect_error("zero after the end", errno.ENOSPC, lambda: h.zero(block, size))
expect_error("trim after the end", errno.EINVAL, lambda: h.trim(block, size))
expect_error("block status after the end", errno.EINVAL, lambda: h.block_status(block, size, extent))

# The connection survived every error and the data is intact.
assert h.pread(65536, 3 << 20) == data, "data after the errors"
h.shutdown()
print("edge cases passed")
