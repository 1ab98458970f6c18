package io.weir.frontend.nbd;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A minimal NBD client over a plain socket, for driving the server byte by byte (including badly). */
final class RawClient implements AutoCloseable {
    final Socket socket;
    final DataInputStream in;
    final DataOutputStream out;
    long size;
    int transmissionFlags;

    /** An option reply: its type and data. */
    record OptReply(int option, int type, byte[] data) {
        String text() {
            return new String(data, StandardCharsets.UTF_8);
        }
    }

    /** A simple reply: its error and handle. */
    record Reply(int error, long handle) {
    }

    /** One structured reply chunk: its flags, type, handle and payload. */
    record Chunk(int flags, int type, long handle, byte[] payload) {
        boolean done() {
            return (flags & Nbd.REPLY_FLAG_DONE) != 0;
        }

        java.nio.ByteBuffer buffer() {
            return java.nio.ByteBuffer.wrap(payload);
        }

        /** The error of an error chunk. */
        int error() {
            return buffer().getInt();
        }

        /** The message of an error chunk. */
        String message() {
            java.nio.ByteBuffer b = buffer();
            b.getInt();
            int n = b.getShort() & 0xffff;
            return new String(payload, 6, n, StandardCharsets.UTF_8);
        }
    }

    RawClient(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(60_000); // a safety net against a hung test, not an assertion
        in = new DataInputStream(socket.getInputStream());
        out = new DataOutputStream(socket.getOutputStream());
    }

    /** Read the server's greeting and answer with the given client flags; returns the handshake flags. */
    int greet(int clientFlags) throws IOException {
        if (in.readLong() != Nbd.INIT_PASSWD || in.readLong() != Nbd.IHAVEOPT) {
            throw new IOException("not an NBD fixed newstyle server");
        }
        int flags = in.readUnsignedShort();
        out.writeInt(clientFlags);
        out.flush();
        return flags;
    }

    void option(int option, byte[] data) throws IOException {
        out.writeLong(Nbd.IHAVEOPT);
        out.writeInt(option);
        out.writeInt(data.length);
        out.write(data);
        out.flush();
    }

    OptReply optReply() throws IOException {
        long magic = in.readLong();
        if (magic != Nbd.REPLY_MAGIC) {
            throw new IOException("bad option reply magic " + Long.toHexString(magic));
        }
        int option = in.readInt();
        int type = in.readInt();
        byte[] data = new byte[in.readInt()];
        in.readFully(data);
        return new OptReply(option, type, data);
    }

    static byte[] goData(String name, int... infos) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 + n.length + 2 + 2 * infos.length);
        b.putInt(n.length).put(n).putShort((short) infos.length);
        for (int i : infos) {
            b.putShort((short) i);
        }
        return b.array();
    }

    /** The data of NBD_OPT_LIST_META_CONTEXT / NBD_OPT_SET_META_CONTEXT. */
    static byte[] metaData(String export, String... queries) {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (DataOutputStream d = new DataOutputStream(bytes)) {
            byte[] n = export.getBytes(StandardCharsets.UTF_8);
            d.writeInt(n.length);
            d.write(n);
            d.writeInt(queries.length);
            for (String q : queries) {
                byte[] b = q.getBytes(StandardCharsets.UTF_8);
                d.writeInt(b.length);
                d.write(b);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Greet and NBD_OPT_GO to {@code export}; fails unless the server acknowledges. */
    RawClient go(String export) throws IOException {
        greet(Nbd.CLIENT_FLAG_FIXED_NEWSTYLE | Nbd.CLIENT_FLAG_NO_ZEROES);
        return goAfterGreeting(export);
    }

    /**
     * Greet, negotiate structured replies and select {@code base:allocation} for {@code export}, then GO;
     * returns the id the server gave the context.
     */
    int goStructured(String export) throws IOException {
        greet(Nbd.CLIENT_FLAG_FIXED_NEWSTYLE | Nbd.CLIENT_FLAG_NO_ZEROES);
        option(Nbd.OPT_STRUCTURED_REPLY, new byte[0]);
        OptReply ack = optReply();
        if (ack.type() != Nbd.REP_ACK) {
            throw new IOException("structured replies refused: " + Integer.toHexString(ack.type()));
        }
        option(Nbd.OPT_SET_META_CONTEXT, metaData(export, Nbd.BASE_ALLOCATION));
        OptReply context = optReply();
        if (context.type() != Nbd.REP_META_CONTEXT || optReply().type() != Nbd.REP_ACK) {
            throw new IOException("base:allocation not selected: " + Integer.toHexString(context.type()));
        }
        goAfterGreeting(export);
        return java.nio.ByteBuffer.wrap(context.data()).getInt();
    }

    /** NBD_OPT_GO to {@code export} on a client that already greeted (and maybe negotiated options). */
    RawClient goAfterGreeting(String export) throws IOException {
        option(Nbd.OPT_GO, goData(export, Nbd.INFO_BLOCK_SIZE));
        while (true) {
            OptReply r = optReply();
            if (r.type() == Nbd.REP_ACK) {
                return this;
            }
            if (r.type() != Nbd.REP_INFO) {
                throw new IOException("GO refused: " + Integer.toHexString(r.type()) + " " + r.text());
            }
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(r.data());
            if (b.getShort() == Nbd.INFO_EXPORT) {
                size = b.getLong();
                transmissionFlags = b.getShort() & 0xffff;
            }
        }
    }

    void request(int flags, int type, long handle, long offset, long length) throws IOException {
        out.writeInt(Nbd.REQUEST_MAGIC);
        out.writeShort(flags);
        out.writeShort(type);
        out.writeLong(handle);
        out.writeLong(offset);
        out.writeInt((int) length);
        out.flush();
    }

    Reply reply() throws IOException {
        int magic = in.readInt();
        if (magic != Nbd.SIMPLE_REPLY_MAGIC) {
            throw new IOException("bad reply magic " + Integer.toHexString(magic));
        }
        return new Reply(in.readInt(), in.readLong());
    }

    /** One structured reply chunk. */
    Chunk chunk() throws IOException {
        int magic = in.readInt();
        if (magic != Nbd.STRUCTURED_REPLY_MAGIC) {
            throw new IOException("bad structured reply magic " + Integer.toHexString(magic));
        }
        int flags = in.readUnsignedShort();
        int type = in.readUnsignedShort();
        long handle = in.readLong();
        byte[] payload = new byte[in.readInt()];
        in.readFully(payload);
        return new Chunk(flags, type, handle, payload);
    }

    /** WRITE and wait for its reply. */
    Reply write(long handle, long offset, byte[] data, int flags) throws IOException {
        request(flags, Nbd.CMD_WRITE, handle, offset, data.length);
        out.write(data);
        out.flush();
        return reply();
    }

    /** READ; returns the data, or throws with the error. */
    byte[] read(long handle, long offset, int length) throws IOException {
        request(0, Nbd.CMD_READ, handle, offset, length);
        Reply r = reply();
        if (r.error() != 0) {
            throw new IOException("READ failed with errno " + r.error());
        }
        byte[] data = new byte[length];
        in.readFully(data);
        return data;
    }

    /** Whether the server closed the connection (end of stream or reset) without sending anything more. */
    /** Send bytes the server may refuse to read: a hang-up while sending is the outcome under test, not an error. */
    void sendExpectingHangup(byte[] bytes) throws IOException {
        try {
            out.write(bytes);
            out.flush();
        } catch (java.net.SocketException e) {
            // the server closed first
        }
    }

    boolean closedByServer() {
        try {
            return in.read() < 0;
        } catch (EOFException e) {
            return true;
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // connection reset
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
