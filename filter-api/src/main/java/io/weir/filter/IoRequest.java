package io.weir.filter;

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * One block request: an operation over a byte range, with a data buffer for READ (destination) and WRITE
 * (source), and forced unit access for WRITE and WRITE_ZEROES. Immutable apart from the buffer's contents.
 *
 * <p>Buffers are handed on without copies. The bytes between the buffer's position and limit are the
 * payload; nobody may move that position or limit. Use absolute {@code get}/{@code put} or
 * {@link ByteBuffer#duplicate()}. A filter that changes a WRITE's data passes a new request made with
 * {@link #withData(ByteBuffer)} and leaves the guest's buffer untouched.
 *
 * <p>Requests that reach a filter have already been validated by the runtime (in range, aligned, within
 * size limits). Requests a filter creates are validated again before they reach the layer below.
 */
public final class IoRequest {
    private final long tag;
    private final IoOp op;
    private final long offset;
    private final int length;
    private final ByteBuffer data;
    private final boolean fua;

    private IoRequest(long tag, IoOp op, long offset, int length, ByteBuffer data, boolean fua) {
        this.tag = tag;
        this.op = Objects.requireNonNull(op, "op");
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("negative offset or length: " + offset + "+" + length);
        }
        if (op.hasData() != (data != null)) {
            throw new IllegalArgumentException(op + (data == null ? " needs a buffer" : " takes no buffer"));
        }
        if (data != null && data.remaining() != length) {
            throw new IllegalArgumentException("buffer holds " + data.remaining() + " bytes, length is " + length);
        }
        if (fua && !op.allowsFua()) {
            throw new IllegalArgumentException(op + " cannot carry FUA");
        }
        if (op == IoOp.FLUSH && (offset != 0 || length != 0)) {
            throw new IllegalArgumentException("FLUSH has no range");
        }
        this.offset = offset;
        this.length = length;
        this.data = data;
        this.fua = fua;
    }

    /** A READ of {@code destination.remaining()} bytes at {@code offset} into {@code destination}. */
    public static IoRequest read(long tag, long offset, ByteBuffer destination) {
        return new IoRequest(tag, IoOp.READ, offset, destination.remaining(), destination, false);
    }

    /** A WRITE of {@code source}'s remaining bytes at {@code offset}. */
    public static IoRequest write(long tag, long offset, ByteBuffer source, boolean fua) {
        return new IoRequest(tag, IoOp.WRITE, offset, source.remaining(), source, fua);
    }

    /** A FLUSH. */
    public static IoRequest flush(long tag) {
        return new IoRequest(tag, IoOp.FLUSH, 0, 0, null, false);
    }

    /** An UNMAP (trim) of {@code length} bytes at {@code offset}. */
    public static IoRequest unmap(long tag, long offset, int length) {
        return new IoRequest(tag, IoOp.UNMAP, offset, length, null, false);
    }

    /** A WRITE_ZEROES of {@code length} bytes at {@code offset}. */
    public static IoRequest writeZeroes(long tag, long offset, int length, boolean fua) {
        return new IoRequest(tag, IoOp.WRITE_ZEROES, offset, length, null, fua);
    }

    /** The same request (tag, operation, offset, FUA) over another buffer of the same length. */
    public IoRequest withData(ByteBuffer newData) {
        if (!op.hasData()) {
            throw new IllegalStateException(op + " takes no buffer");
        }
        return new IoRequest(tag, op, offset, newData.remaining(), newData, fua);
    }

    /** The same request with forced unit access set or cleared. */
    public IoRequest withFua(boolean newFua) {
        return newFua == fua ? this : new IoRequest(tag, op, offset, length, data, newFua);
    }

    /** An identifier for logs and diagnostics; unique per disk for requests the runtime creates. */
    public long tag() {
        return tag;
    }

    public IoOp op() {
        return op;
    }

    /** Byte offset on the disk. */
    public long offset() {
        return offset;
    }

    /** Length in bytes (zero for FLUSH). */
    public int length() {
        return length;
    }

    /** {@code offset + length}, computed without overflow (the runtime rejects ranges that would). */
    public long end() {
        return offset + length;
    }

    /** The data buffer for READ and WRITE; {@code null} otherwise. */
    public ByteBuffer data() {
        return data;
    }

    /** Forced unit access: the write must be durable when it completes. */
    public boolean fua() {
        return fua;
    }

    @Override
    public String toString() {
        return op + (op.hasRange() ? "[" + offset + "+" + length + "]" : "") + (fua ? " FUA" : "") + " #" + tag;
    }
}
