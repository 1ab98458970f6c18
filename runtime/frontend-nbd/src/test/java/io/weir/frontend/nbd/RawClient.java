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

    /** Greet and NBD_OPT_GO to {@code export}; fails unless the server acknowledges. */
    RawClient go(String export) throws IOException {
        greet(Nbd.CLIENT_FLAG_FIXED_NEWSTYLE | Nbd.CLIENT_FLAG_NO_ZEROES);
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
