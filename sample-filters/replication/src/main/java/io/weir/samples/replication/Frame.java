package io.weir.samples.replication;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * One frame of the replication wire protocol (see the module's README): a 24-byte header, a payload and a CRC32C
 * trailer over header and payload. Frames are immutable once built; the payload buffer is not copied.
 *
 * <pre>
 *  0  u16 magic 0x5752 ("WR")     2  u8 version     3  u8 type
 *  4  u16 flags                   6  u16 reserved (0)
 *  8  u64 sequence number        16  u32 payload length   20 u32 reserved (0)
 * 24  payload ...                 then u32 CRC32C of bytes 0 .. 24+length
 * </pre>
 */
final class Frame {
    static final int MAGIC = 0x5752;
    /** The frame layout (the header's version byte). */
    static final int VERSION = 1;
    /** The protocol spoken over it (offered in HELLO, chosen in WELCOME); 2: BARRIER carries its cause. */
    static final int PROTOCOL = 2;
    /** BARRIER payload: u64 primary time (µs since the epoch), u8 {@link Checkpoint.Cause}. */
    static final int BARRIER_BYTES = 9;
    static final int HEADER = 24;
    /** Largest payload accepted: a maximal write plus its offset field. */
    static final int MAX_PAYLOAD = (64 << 20) + 64;

    /** A BARRIER frame's payload: when and why the primary placed it. */
    static ByteBuffer barrier(java.time.Instant at, Checkpoint.Cause cause) {
        return ByteBuffer.allocate(BARRIER_BYTES).putLong(Journal.micros(at)).put(cause.code()).flip();
    }

    // Types, primary to replica.
    static final int HELLO = 1;
    static final int WRITE = 3;
    static final int ZERO = 4;
    static final int BARRIER = 5;
    static final int RESYNC_BEGIN = 6;
    static final int RESYNC_END = 7;
    static final int GROW = 9;
    static final int PING = 11;
    // Types, replica to primary.
    static final int WELCOME = 2;
    static final int ACK = 8;
    static final int ERROR = 10;

    /** WRITE/ZERO: the primary waits for this frame to be durable on the replica (synchronous mode). */
    static final int FLAG_SYNC = 1;
    /** WRITE: data copied by a resync, not a guest write. */
    static final int FLAG_RESYNC = 2;
    /** ZERO: the range was unmapped (trim) on the primary, not zeroed. */
    static final int FLAG_UNMAP = 4;

    final int type;
    final int flags;
    final long seq;
    final ByteBuffer payload;

    Frame(int type, int flags, long seq, ByteBuffer payload) {
        this.type = type;
        this.flags = flags;
        this.seq = seq;
        this.payload = payload == null ? ByteBuffer.allocate(0) : payload;
    }

    boolean has(int flag) {
        return (flags & flag) != 0;
    }

    /** Bytes this frame occupies on the wire. */
    int wireSize() {
        return HEADER + payload.remaining() + 4;
    }

    /** Write the frame; the caller flushes. */
    void writeTo(OutputStream out) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(HEADER);
        header.putShort((short) MAGIC).put((byte) VERSION).put((byte) type).putShort((short) flags)
                .putShort((short) 0).putLong(seq).putInt(payload.remaining()).putInt(0);
        CRC32C crc = new CRC32C();
        crc.update(header.array(), 0, HEADER);
        crc.update(payload.duplicate());
        out.write(header.array());
        ByteBuffer p = payload.duplicate();
        if (p.hasArray()) {
            out.write(p.array(), p.arrayOffset() + p.position(), p.remaining());
        } else {
            byte[] chunk = new byte[Math.min(p.remaining(), 64 << 10)];
            while (p.hasRemaining()) {
                int n = Math.min(chunk.length, p.remaining());
                p.get(chunk, 0, n);
                out.write(chunk, 0, n);
            }
        }
        int c = (int) crc.getValue();
        out.write(new byte[] {(byte) (c >>> 24), (byte) (c >>> 16), (byte) (c >>> 8), (byte) c});
    }

    /**
     * Read one frame.
     *
     * @throws EOFException   the peer closed the stream between frames
     * @throws ProtocolException the bytes are not a valid frame of this version
     */
    static Frame readFrom(DataInputStream in) throws IOException {
        byte[] header = new byte[HEADER];
        int first = in.read();
        if (first < 0) {
            throw new EOFException("peer closed the stream");
        }
        header[0] = (byte) first;
        in.readFully(header, 1, HEADER - 1);
        ByteBuffer h = ByteBuffer.wrap(header);
        int magic = h.getShort() & 0xffff;
        int version = h.get() & 0xff;
        int type = h.get() & 0xff;
        int flags = h.getShort() & 0xffff;
        h.getShort();
        long seq = h.getLong();
        int length = h.getInt();
        if (magic != MAGIC) {
            throw new ProtocolException("not a replication frame (magic 0x" + Integer.toHexString(magic) + ")");
        }
        if (version != VERSION) {
            throw new ProtocolException("frame version " + version + ", this side speaks " + VERSION);
        }
        if (length < 0 || length > MAX_PAYLOAD) {
            throw new ProtocolException("frame payload of " + length + " bytes exceeds " + MAX_PAYLOAD);
        }
        byte[] payload = new byte[length];
        in.readFully(payload);
        int expected = in.readInt();
        CRC32C crc = new CRC32C();
        crc.update(header);
        crc.update(payload);
        if ((int) crc.getValue() != expected) {
            throw new ProtocolException("frame #" + seq + " of type " + type + " fails its CRC32C");
        }
        return new Frame(type, flags, seq, ByteBuffer.wrap(payload));
    }

    static ByteBuffer utf8(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(2 + b.length).putShort((short) b.length).put(b).flip();
    }

    static String readUtf8(ByteBuffer b) throws ProtocolException {
        int n = b.getShort() & 0xffff;
        if (n > b.remaining()) {
            throw new ProtocolException("truncated string");
        }
        byte[] s = new byte[n];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "frame type " + type + " #" + seq + " (" + payload.remaining() + " bytes)";
    }

    /** A peer broke the protocol; the connection is closed. */
    static final class ProtocolException extends IOException {
        private static final long serialVersionUID = 1L;

        ProtocolException(String message) {
            super(message);
        }
    }
}
