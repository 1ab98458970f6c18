package io.weir.frontend.nbd;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;

import io.weir.backend.InlineIo;
import io.weir.filter.Capability;
import io.weir.filter.IoCallback;
import io.weir.filter.IoError;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;
import io.weir.vscsi.VirtualDisk;

/**
 * One NBD client: the fixed newstyle handshake, then the transmission phase with simple replies, or structured
 * replies (one chunk per reply) when the client negotiated them.
 *
 * <p>Threads: a reader reads and validates each request, reads a WRITE's payload only after checking its
 * length, and submits to the disk (which may block it: backpressure). Completions never touch the socket:
 * {@link IoCallback}s must not block, so they queue the reply and a writer thread sends replies in completion
 * order (NBD matches them by handle), several per write when they queue up. Each request holds an in-flight
 * slot and its payload bytes until its reply is written; when either runs out the reader stops reading, so a
 * client that does not read its replies stalls only itself.
 *
 * <p>Queue depth 1 without thread switches: when a READ or WRITE is the only request in flight and no other
 * is buffered, the reader offers to carry the backend's I/O ({@link InlineIo}). Replies completed on the
 * reader thread (such I/O, a backend that completes inline, refusals) are written by the reader itself once
 * its submit returned, when the writer is not writing ({@link #sendLock} keeps replies whole); otherwise they
 * go to the writer's queue. A request served this way crosses no thread at all, as in a single-threaded server.
 */
final class NbdConnection {
    /** Largest option payload read during negotiation; a larger one is refused and the client disconnected. */
    static final int MAX_OPTION_BYTES = 64 << 10;
    /**
     * A WRITE longer than the disk's maximum is consumed through a small scratch buffer and refused with EINVAL
     * up to this length (the protocol asks not to treat less than 32 MiB as an attack); beyond it the client is
     * disconnected without reading the payload.
     */
    static final long MAX_DISCARDED_PAYLOAD = 32L << 20;
    /** TRIM and WRITE_ZEROES longer than this are split into several requests to the disk. */
    static final int CHUNK = 1 << 30;
    private static final int BATCH = 64;
    private static final long BATCH_BYTES = 256 << 10;
    private static final int INPUT_BYTES = 64 << 10;

    private static final System.Logger LOG = System.getLogger("io.weir.frontend.nbd");

    private static final int HANDSHAKE = 0;
    private static final int TRANSMISSION = 1;
    private static final int TIMED_OUT = 2;

    /** {@link #readerGuard}: abort may interrupt the reader at once. */
    private static final int INTERRUPTIBLE = 0;
    /** {@link #readerGuard}: the reader may be doing backend I/O for an {@link InlineIo} offer. */
    private static final int CARRYING_IO = 1;
    /** {@link #readerGuard}: abort came during {@link #CARRYING_IO}; the reader interrupts itself afterwards. */
    private static final int INTERRUPT_DEFERRED = 2;
    /** {@link #readerGuard}: the reader was interrupted (or interrupted itself); it makes no more offers. */
    private static final int INTERRUPTED = 3;

    private final NbdServer server;
    private final SocketChannel channel;
    private final String peer;
    private final Thread reader;
    private final LinkedBlockingQueue<Reply> replies = new LinkedBlockingQueue<>();
    private final AtomicInteger phase = new AtomicInteger(HANDSHAKE);
    private final CountDownLatch ended = new CountDownLatch(1);
    /** Held while replies are written, by the writer or by the reader: each reply reaches the socket whole. */
    private final ReentrantLock sendLock = new ReentrantLock();
    /**
     * An interrupt during file channel I/O closes the channel for every user of the disk, so {@link #abort}
     * never interrupts the reader while it carries backend I/O: it leaves a deferred interrupt instead.
     */
    private final AtomicInteger readerGuard = new AtomicInteger(INTERRUPTIBLE);
    /** Replies completed on the reader thread, sent by {@link #sendReady} once the reader's submit returned. */
    private final List<Reply> ready = new ArrayList<>();
    private Thread writer;
    private int maxInFlight;
    /** The reader's reply header room and gathering list (the writer has its own). */
    private ByteBuffer readerHeaders;
    private final List<ByteBuffer> readerBuffers = new ArrayList<>();
    private Semaphore slots;
    private Semaphore bytes;
    private ByteBuffer scratch;
    /**
     * Bytes read from the socket and not consumed yet (read mode: position to limit). Several small requests
     * are read with one system call; a payload at least half its size is read straight into its own buffer.
     */
    private final ByteBuffer in = ByteBuffer.allocateDirect(INPUT_BYTES).limit(0);
    private final BufferPool pool = new BufferPool();
    private boolean noZeroes;
    private String export = "";
    /**
     * Structured replies were negotiated. Set during the handshake, before the writer starts (so the writer sees
     * it), never changed afterwards.
     */
    private boolean structured;
    /** The export the last NBD_OPT_SET_META_CONTEXT selected {@code base:allocation} for, or null. */
    private String allocationExport;
    /** {@code base:allocation} is selected for the export being served: BLOCK_STATUS is allowed. */
    private boolean allocationSelected;
    private volatile boolean closed;
    private volatile boolean shuttingDown;
    private volatile boolean writeFailed;

    /**
     * A reply to send. Simple replies: the header, then {@code data} on success of a READ. Structured replies:
     * one chunk with NBD_REPLY_FLAG_DONE: NBD_REPLY_TYPE_ERROR with {@code message} on error,
     * NBD_REPLY_TYPE_OFFSET_DATA at {@code offset} for READ data, NBD_REPLY_TYPE_BLOCK_STATUS with the encoded
     * {@code status} payload, NBD_REPLY_TYPE_NONE otherwise. {@code pooled}, when not null, is the request's
     * payload buffer, given back to the pool once the reply is sent or dropped.
     */
    private record Reply(long handle, int error, String message, long offset, ByteBuffer data,
            ByteBuffer status, int bytePermits, ByteBuffer pooled) {
    }

    private static final Reply END = new Reply(0, 0, null, 0, null, null, 0, null);
    /**
     * Room per reply in the writer's header buffer: a chunk header and the fixed part of its payload (at most
     * OFFSET_DATA's 8-byte offset), rounded up to 8 bytes; also fits a simple reply header.
     */
    private static final int HEADER_SLOT = Nbd.STRUCTURED_REPLY_HEADER_BYTES + Long.BYTES + Integer.BYTES;
    /** Error messages in NBD_REPLY_TYPE_ERROR chunks are cut to this many bytes (the protocol allows 4096). */
    static final int MAX_ERROR_MESSAGE = 1024;
    /** Descriptors sent at most per BLOCK_STATUS reply; the client asks again for the rest. */
    static final int MAX_EXTENTS = 1024;

    /** The client broke the protocol in a way that leaves no safe way to go on. */
    static final class Violation extends IOException {
        private static final long serialVersionUID = 1L;

        Violation(String message) {
            super(message);
        }
    }

    NbdConnection(NbdServer server, SocketChannel channel, String peer) {
        this.server = server;
        this.channel = channel;
        this.peer = peer;
        this.reader = new Thread(this::run, "weir-nbd-reader-" + peer);
        this.reader.setDaemon(true);
    }

    void start() {
        reader.start();
    }

    /** Read no more requests: finish those already read, then disconnect (server shutdown). */
    void shutdown() {
        shuttingDown = true;
        try {
            channel.shutdownInput();
        } catch (IOException e) {
            abort();
        }
    }

    /** Disconnect now. */
    void abort() {
        closed = true;
        NbdServer.closeQuietly(channel);
        interruptReader();
        Thread w = writer;
        if (w != null) {
            w.interrupt();
        }
    }

    /** Interrupt the reader now, or, while it carries backend I/O, as soon as that I/O is over. */
    private void interruptReader() {
        while (true) {
            int state = readerGuard.get();
            if (state == INTERRUPTIBLE && readerGuard.compareAndSet(INTERRUPTIBLE, INTERRUPTED)) {
                reader.interrupt();
                return;
            }
            if (state == CARRYING_IO && readerGuard.compareAndSet(CARRYING_IO, INTERRUPT_DEFERRED)
                    || state == INTERRUPT_DEFERRED || state == INTERRUPTED) {
                return;
            }
        }
    }

    boolean awaitEnd(long nanos) {
        try {
            return ended.await(nanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void run() {
        long timeout = server.settings().handshakeTimeout().toNanos();
        ScheduledFuture<?> watchdog = server.timer().schedule(this::handshakeExpired, timeout, TimeUnit.NANOSECONDS);
        try {
            VirtualDisk disk = handshake();
            watchdog.cancel(false);
            if (disk != null && phase.compareAndSet(HANDSHAKE, TRANSMISSION)) {
                LOG.log(System.Logger.Level.DEBUG, () -> "NBD client " + peer + " uses export '" + export + "'");
                transmission(disk);
            }
        } catch (Violation e) {
            LOG.log(System.Logger.Level.WARNING, "NBD client " + peer + ": " + e.getMessage() + "; disconnected");
        } catch (IOException e) {
            if (phase.get() == TIMED_OUT) {
                LOG.log(System.Logger.Level.WARNING, "NBD client " + peer + " did not finish the handshake within "
                        + server.settings().handshakeTimeout().toSeconds() + " s; disconnected");
            } else if (e instanceof EOFException) {
                LOG.log(System.Logger.Level.WARNING, "NBD client " + peer + " closed the connection in the middle of "
                        + "a message" + (export.isEmpty() ? "" : " (export '" + export + "')") + "; disconnected");
            } else if (!closed && !shuttingDown) {
                LOG.log(System.Logger.Level.INFO, "NBD client " + peer + ": connection ended: " + e);
            }
        } catch (InterruptedException e) {
            LOG.log(System.Logger.Level.DEBUG, () -> "NBD client " + peer + " interrupted (server stopping)");
        } catch (RuntimeException | Error e) {
            LOG.log(System.Logger.Level.ERROR, "NBD client " + peer + ": unexpected failure; disconnected", e);
        } finally {
            watchdog.cancel(false);
            finish();
        }
    }

    private void handshakeExpired() {
        if (phase.compareAndSet(HANDSHAKE, TIMED_OUT)) {
            NbdServer.closeQuietly(channel);
        }
    }

    private void finish() {
        closed = true;
        NbdServer.closeQuietly(channel);
        ready.forEach(this::release); // left by a failure between a refusal and its send; the socket is closed
        ready.clear();
        Thread w = writer;
        if (w != null) {
            replies.add(END);
            try {
                w.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                w.interrupt();
            }
        }
        server.connectionEnded(this);
        ended.countDown();
    }

    // ---------------------------------------------------------------- handshake

    /** Negotiate; returns the disk to serve, or {@code null} when the client aborted or left. */
    private VirtualDisk handshake() throws IOException {
        ByteBuffer hello = ByteBuffer.allocate(18);
        hello.putLong(Nbd.INIT_PASSWD).putLong(Nbd.IHAVEOPT).putShort((short) (Nbd.FLAG_FIXED_NEWSTYLE | Nbd.FLAG_NO_ZEROES));
        writeFully(hello.flip());
        ByteBuffer flags = ByteBuffer.allocate(4);
        if (!readMessage(flags)) {
            return null;
        }
        int clientFlags = flags.getInt(0);
        if ((clientFlags & ~(Nbd.CLIENT_FLAG_FIXED_NEWSTYLE | Nbd.CLIENT_FLAG_NO_ZEROES)) != 0) {
            throw new Violation(String.format("unknown client flags 0x%08x", clientFlags));
        }
        noZeroes = (clientFlags & Nbd.CLIENT_FLAG_NO_ZEROES) != 0;
        ByteBuffer head = ByteBuffer.allocate(16);
        while (true) {
            head.clear();
            if (!readMessage(head)) {
                LOG.log(System.Logger.Level.DEBUG, () -> "NBD client " + peer + " left during negotiation");
                return null;
            }
            long magic = head.getLong(0);
            int option = head.getInt(8);
            long length = Integer.toUnsignedLong(head.getInt(12));
            if (magic != Nbd.IHAVEOPT) {
                throw new Violation(String.format("bad magic 0x%016x where an option (IHAVEOPT) was expected; "
                        + "commands are only valid after negotiation", magic));
            }
            if (length > MAX_OPTION_BYTES) {
                optionReply(option, Nbd.REP_ERR_TOO_BIG, "option data of " + length + " bytes exceeds the limit of "
                        + MAX_OPTION_BYTES);
                throw new Violation("option " + option + " announced " + length + " bytes of data, more than the "
                        + "limit of " + MAX_OPTION_BYTES);
            }
            byte[] data = new byte[(int) length];
            readFully(ByteBuffer.wrap(data));
            switch (option) {
                case Nbd.OPT_EXPORT_NAME -> {
                    String name = new String(data, StandardCharsets.UTF_8);
                    VirtualDisk disk = server.exports().find(name);
                    if (disk == null) {
                        throw new Violation("NBD_OPT_EXPORT_NAME names no served export: '" + name + "'");
                    }
                    enter(name);
                    ByteBuffer reply = ByteBuffer.allocate(10 + (noZeroes ? 0 : 124));
                    reply.putLong(disk.capacity())
                            .putShort((short) Nbd.transmissionFlags(disk.capabilities(), structured));
                    writeFully(reply.clear());
                    return disk;
                }
                case Nbd.OPT_ABORT -> {
                    optionReply(option, Nbd.REP_ACK, (byte[]) null);
                    LOG.log(System.Logger.Level.DEBUG, () -> "NBD client " + peer + " aborted the negotiation");
                    return null;
                }
                case Nbd.OPT_LIST -> list(data);
                case Nbd.OPT_INFO, Nbd.OPT_GO -> {
                    VirtualDisk disk = info(option, data);
                    if (disk != null && option == Nbd.OPT_GO) {
                        return disk;
                    }
                }
                case Nbd.OPT_STRUCTURED_REPLY -> structuredReply(data);
                case Nbd.OPT_LIST_META_CONTEXT, Nbd.OPT_SET_META_CONTEXT -> metaContext(option, data);
                case Nbd.OPT_STARTTLS -> optionReply(option, Nbd.REP_ERR_UNSUP, "TLS is not supported");
                default -> optionReply(option, Nbd.REP_ERR_UNSUP, "option " + option + " is not supported");
            }
        }
    }

    private void list(byte[] data) throws IOException {
        if (data.length != 0) {
            optionReply(Nbd.OPT_LIST, Nbd.REP_ERR_INVALID, "NBD_OPT_LIST takes no data");
            return;
        }
        if (server.isClosed()) {
            optionReply(Nbd.OPT_LIST, Nbd.REP_ERR_SHUTDOWN, "the server is shutting down");
            return;
        }
        for (String name : server.exports().names()) {
            byte[] n = name.getBytes(StandardCharsets.UTF_8);
            ByteBuffer b = ByteBuffer.allocate(4 + n.length).putInt(n.length).put(n);
            optionReply(Nbd.OPT_LIST, Nbd.REP_SERVER, b.array());
        }
        optionReply(Nbd.OPT_LIST, Nbd.REP_ACK, (byte[]) null);
    }

    /** NBD_OPT_INFO / NBD_OPT_GO; returns the disk when the reply was NBD_REP_ACK. */
    private VirtualDisk info(int option, byte[] data) throws IOException {
        ByteBuffer in = ByteBuffer.wrap(data);
        if (data.length < 6) {
            optionReply(option, Nbd.REP_ERR_INVALID, "option data too short: " + data.length + " bytes");
            return null;
        }
        long nameLength = Integer.toUnsignedLong(in.getInt());
        if (nameLength > data.length - 6L) {
            optionReply(option, Nbd.REP_ERR_INVALID, "export name length " + nameLength + " exceeds the option data");
            return null;
        }
        if (nameLength > Nbd.MAX_STRING) {
            optionReply(option, Nbd.REP_ERR_TOO_BIG, "export name longer than " + Nbd.MAX_STRING + " bytes");
            return null;
        }
        String name = new String(data, 4, (int) nameLength, StandardCharsets.UTF_8);
        in.position(4 + (int) nameLength);
        int requests = Short.toUnsignedInt(in.getShort());
        if (in.remaining() != 2 * requests) {
            optionReply(option, Nbd.REP_ERR_INVALID, requests + " information requests do not match the "
                    + in.remaining() + " bytes left in the option");
            return null;
        }
        boolean wantName = false;
        boolean wantDescription = false;
        for (int i = 0; i < requests; i++) {
            int type = Short.toUnsignedInt(in.getShort());
            wantName |= type == Nbd.INFO_NAME;
            wantDescription |= type == Nbd.INFO_DESCRIPTION;
        }
        if (server.isClosed()) {
            optionReply(option, Nbd.REP_ERR_SHUTDOWN, "the server is shutting down");
            return null;
        }
        VirtualDisk disk = server.exports().find(name);
        if (disk == null) {
            String known = String.join(", ", server.exports().names());
            optionReply(option, Nbd.REP_ERR_UNKNOWN, (name.isEmpty() ? "there is no default export"
                    : "no export named '" + name + "'") + "; name one of: " + (known.isEmpty() ? "(none)" : known));
            return null;
        }
        ByteBuffer exportInfo = ByteBuffer.allocate(12).putShort((short) Nbd.INFO_EXPORT).putLong(disk.capacity())
                .putShort((short) Nbd.transmissionFlags(disk.capabilities(), structured));
        optionReply(option, Nbd.REP_INFO, exportInfo.array());
        if (wantName) {
            byte[] n = name.getBytes(StandardCharsets.UTF_8);
            optionReply(option, Nbd.REP_INFO, ByteBuffer.allocate(2 + n.length).putShort((short) Nbd.INFO_NAME)
                    .put(n).array());
        }
        if (wantDescription) {
            byte[] d = ("Weir virtual disk " + name).getBytes(StandardCharsets.UTF_8);
            optionReply(option, Nbd.REP_INFO, ByteBuffer.allocate(2 + d.length)
                    .putShort((short) Nbd.INFO_DESCRIPTION).put(d).array());
        }
        // Sent whether or not it was asked for: the disk enforces its block size either way, and clients that
        // did not ask still get clean EINVAL replies for unaligned requests.
        ByteBuffer sizes = ByteBuffer.allocate(14).putShort((short) Nbd.INFO_BLOCK_SIZE)
                .putInt(Nbd.minimumBlock(disk)).putInt(Nbd.preferredBlock(disk)).putInt(Nbd.maximumBlock(disk));
        optionReply(option, Nbd.REP_INFO, sizes.array());
        optionReply(option, Nbd.REP_ACK, (byte[]) null);
        if (option == Nbd.OPT_GO) {
            enter(name);
        }
        return disk;
    }

    /**
     * The client goes into transmission with export {@code name}: BLOCK_STATUS is allowed only if the last
     * NBD_OPT_SET_META_CONTEXT selected {@code base:allocation} for this very export (the protocol forbids the
     * client anything else; a client that does it anyway gets EINVAL for BLOCK_STATUS, logged here).
     */
    private void enter(String name) {
        export = name;
        allocationSelected = name.equals(allocationExport);
        if (allocationExport != null && !allocationSelected) {
            LOG.log(System.Logger.Level.INFO, "NBD client " + peer + " selected " + Nbd.BASE_ALLOCATION
                    + " for export '" + allocationExport + "' but uses '" + name + "'; BLOCK_STATUS is refused");
        }
    }

    /**
     * NBD_OPT_STRUCTURED_REPLY: ACK once. Data with it, or asking again once negotiated, is
     * NBD_REP_ERR_INVALID (structured replies stay negotiated either way).
     */
    private void structuredReply(byte[] data) throws IOException {
        if (data.length != 0) {
            optionReply(Nbd.OPT_STRUCTURED_REPLY, Nbd.REP_ERR_INVALID,
                    "NBD_OPT_STRUCTURED_REPLY takes no data, got " + data.length + " bytes");
        } else if (structured) {
            optionReply(Nbd.OPT_STRUCTURED_REPLY, Nbd.REP_ERR_INVALID,
                    "structured replies are already negotiated on this connection");
        } else {
            structured = true;
            optionReply(Nbd.OPT_STRUCTURED_REPLY, Nbd.REP_ACK, (byte[]) null);
        }
    }

    /**
     * NBD_OPT_LIST_META_CONTEXT and NBD_OPT_SET_META_CONTEXT. The only context is {@code base:allocation}.
     * Queries: {@code base:allocation} matches it; {@code base:} is a wildcard for LIST and ignored by SET, as
     * the protocol asks; other leaf names of {@code base:} and every other namespace match nothing; a query
     * without a namespace and colon is NBD_REP_ERR_INVALID. LIST without queries lists every context; SET
     * without queries selects none. SET replaces the selection even when it fails. Both need structured replies
     * first (NBD_REP_ERR_INVALID) and a served export (NBD_REP_ERR_UNKNOWN).
     */
    private void metaContext(int option, byte[] data) throws IOException {
        boolean set = option == Nbd.OPT_SET_META_CONTEXT;
        String optionName = set ? "NBD_OPT_SET_META_CONTEXT" : "NBD_OPT_LIST_META_CONTEXT";
        if (set) {
            allocationExport = null;
        }
        if (!structured) {
            optionReply(option, Nbd.REP_ERR_INVALID, optionName + " needs NBD_OPT_STRUCTURED_REPLY first");
            return;
        }
        ByteBuffer in = ByteBuffer.wrap(data);
        String name = string(in);
        if (name == null || in.remaining() < 4) {
            optionReply(option, Nbd.REP_ERR_INVALID, optionName + ": export name length exceeds the option data");
            return;
        }
        long count = Integer.toUnsignedLong(in.getInt());
        boolean matched = count == 0 && !set;
        for (long i = 0; i < count; i++) {
            String query = string(in);
            if (query == null) {
                optionReply(option, Nbd.REP_ERR_INVALID, optionName + ": query " + (i + 1) + " of " + count
                        + " exceeds the option data");
                return;
            }
            int colon = query.indexOf(':');
            if (colon <= 0) {
                optionReply(option, Nbd.REP_ERR_INVALID, optionName + ": query '" + query
                        + "' does not start with a namespace and a colon");
                return;
            }
            boolean base = query.substring(0, colon).equals(Nbd.BASE_NAMESPACE);
            String leaf = query.substring(colon + 1);
            matched |= base && (leaf.equals("allocation") || (!set && leaf.isEmpty()));
        }
        if (in.hasRemaining()) {
            optionReply(option, Nbd.REP_ERR_INVALID, optionName + ": " + in.remaining()
                    + " bytes left after the last of " + count + " queries");
            return;
        }
        if (server.isClosed()) {
            optionReply(option, Nbd.REP_ERR_SHUTDOWN, "the server is shutting down");
            return;
        }
        if (server.exports().find(name) == null) {
            optionReply(option, Nbd.REP_ERR_UNKNOWN, optionName + ": no export named '" + name + "'");
            return;
        }
        if (matched) {
            byte[] context = Nbd.BASE_ALLOCATION.getBytes(StandardCharsets.UTF_8);
            int id = set ? Nbd.BASE_ALLOCATION_ID : 0; // LIST's ids are reserved: 0
            optionReply(option, Nbd.REP_META_CONTEXT, ByteBuffer.allocate(4 + context.length).putInt(id)
                    .put(context).array());
            if (set) {
                allocationExport = name;
            }
        }
        optionReply(option, Nbd.REP_ACK, (byte[]) null);
    }

    /** A 32-bit length and that many bytes of UTF-8, or null when they run past the data or the string limit. */
    private static String string(ByteBuffer in) {
        if (in.remaining() < 4) {
            return null;
        }
        long length = Integer.toUnsignedLong(in.getInt());
        if (length > in.remaining() || length > Nbd.MAX_STRING) {
            return null;
        }
        byte[] b = new byte[(int) length];
        in.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private void optionReply(int option, int type, String message) throws IOException {
        optionReply(option, type, message == null ? null : message.getBytes(StandardCharsets.UTF_8));
    }

    private void optionReply(int option, int type, byte[] data) throws IOException {
        int length = data == null ? 0 : data.length;
        ByteBuffer b = ByteBuffer.allocate(20 + length);
        b.putLong(Nbd.REPLY_MAGIC).putInt(option).putInt(type).putInt(length);
        if (data != null) {
            b.put(data);
        }
        writeFully(b.flip());
    }

    // ---------------------------------------------------------------- transmission

    private void transmission(VirtualDisk disk) throws IOException, InterruptedException {
        maxInFlight = server.settings().maxInFlight();
        readerHeaders = ByteBuffer.allocateDirect(HEADER_SLOT);
        long budget = Math.max(server.settings().maxBufferedBytes(), disk.maxRequestLength());
        slots = new Semaphore(maxInFlight);
        bytes = new Semaphore((int) Math.min(Integer.MAX_VALUE, budget));
        writer = new Thread(this::writeLoop, "weir-nbd-writer-" + peer);
        writer.setDaemon(true);
        writer.start();
        ByteBuffer header = ByteBuffer.allocate(Nbd.REQUEST_HEADER_BYTES);
        while (true) {
            header.clear();
            if (shuttingDown || !readMessage(header)) {
                LOG.log(System.Logger.Level.DEBUG, () -> "NBD client " + peer + (shuttingDown
                        ? ": server stopping, finishing requests in flight" : " closed without NBD_CMD_DISC"));
                break;
            }
            int magic = header.getInt(0);
            if (magic != Nbd.REQUEST_MAGIC) {
                throw new Violation(String.format("bad request magic 0x%08x", magic));
            }
            int flags = Short.toUnsignedInt(header.getShort(4));
            int type = Short.toUnsignedInt(header.getShort(6));
            long handle = header.getLong(8);
            long offset = header.getLong(16);
            long length = Integer.toUnsignedLong(header.getInt(24));
            if (type == Nbd.CMD_DISC) {
                LOG.log(System.Logger.Level.DEBUG, () -> "NBD client " + peer + " disconnects (NBD_CMD_DISC)");
                break;
            }
            slots.acquire();
            dispatch(disk, type, flags, handle, offset, length);
            sendReady();
        }
        slots.acquire(maxInFlight); // every request read so far has been answered
        slots.release(maxInFlight);
        if (writeFailed) {
            throw new IOException("writing replies failed");
        }
    }

    private void dispatch(VirtualDisk disk, int type, int flags, long handle, long offset, long length)
            throws IOException, InterruptedException {
        switch (type) {
            case Nbd.CMD_WRITE -> write(disk, flags, handle, offset, length);
            case Nbd.CMD_READ -> {
                // DF is honoured trivially: every READ is answered with a single content chunk.
                int allowed = ignorableFua(disk) | (structured ? Nbd.CMD_FLAG_DF : 0);
                if ((flags & ~allowed) != 0) {
                    refuse(handle, Nbd.EINVAL, type, String.format("READ with flags 0x%04x; %s", flags,
                            structured ? "only DF and FUA apply" : "only FUA applies (DF needs structured replies)"));
                } else if (length > disk.maxRequestLength()) {
                    refuse(handle, Nbd.EINVAL, type, "READ of " + length + " bytes exceeds the maximum of "
                            + disk.maxRequestLength());
                } else if (!inRange(disk, offset, length)) {
                    refuse(handle, Nbd.errno(IoError.OUT_OF_RANGE, type), type, outOfRange(disk, offset, length));
                } else {
                    bytes.acquire((int) length);
                    ByteBuffer pooled = BufferPool.pooled((int) length) ? pool.take((int) length) : null;
                    ByteBuffer buffer = pooled != null ? pooled.slice(0, (int) length)
                            : ByteBuffer.allocate((int) length);
                    Pending p = new Pending(handle, type, offset, buffer, (int) length, 1, pooled);
                    submitData(disk, IoRequest.read(server.nextTag(), offset, buffer), p);
                }
            }
            case Nbd.CMD_FLUSH -> {
                if ((flags & ~ignorableFua(disk)) != 0 || offset != 0 || length != 0) {
                    refuse(handle, Nbd.EINVAL, type, "FLUSH takes no flags but FUA, no offset and no length");
                } else {
                    submit(disk, IoRequest.flush(server.nextTag()),
                            new Pending(handle, type, 0, null, 0, 1, null));
                }
            }
            case Nbd.CMD_TRIM, Nbd.CMD_WRITE_ZEROES -> zeroOrTrim(disk, type, flags, handle, offset, length);
            case Nbd.CMD_BLOCK_STATUS -> blockStatus(disk, flags, handle, offset, length);
            default -> refuse(handle, Nbd.EINVAL, type, Nbd.commandName(type) + " is unknown or was not negotiated");
        }
    }

    private void write(VirtualDisk disk, int flags, long handle, long offset, long length)
            throws IOException, InterruptedException {
        if (length > disk.maxRequestLength()) {
            if (length > MAX_DISCARDED_PAYLOAD) {
                throw new Violation("WRITE of " + length + " bytes exceeds the maximum of " + disk.maxRequestLength()
                        + " by too much to consume its payload");
            }
            skip(length); // through a small scratch buffer, never a buffer of the announced size
            refuse(handle, Nbd.EINVAL, Nbd.CMD_WRITE, "WRITE of " + length + " bytes exceeds the maximum of "
                    + disk.maxRequestLength() + "; payload discarded");
            return;
        }
        bytes.acquire((int) length);
        ByteBuffer pooled = BufferPool.pooled((int) length) ? pool.take((int) length) : null;
        ByteBuffer buffer = pooled != null ? pooled.slice(0, (int) length) : ByteBuffer.allocate((int) length);
        try {
            readFully(buffer);
        } catch (IOException e) {
            bytes.release((int) length);
            if (pooled != null) {
                pool.give(pooled);
            }
            throw e;
        }
        buffer.flip();
        String problem = null;
        int errno = Nbd.EINVAL;
        if ((flags & ~Nbd.CMD_FLAG_FUA) != 0) {
            problem = String.format("WRITE with flags 0x%04x; only FUA applies", flags);
        } else if (!inRange(disk, offset, length)) {
            problem = outOfRange(disk, offset, length);
            errno = Nbd.errno(IoError.OUT_OF_RANGE, Nbd.CMD_WRITE);
        }
        if (problem != null) {
            bytes.release((int) length);
            if (pooled != null) {
                pool.give(pooled);
            }
            refuse(handle, errno, Nbd.CMD_WRITE, problem);
            return;
        }
        boolean fua = (flags & Nbd.CMD_FLAG_FUA) != 0;
        submitData(disk, IoRequest.write(server.nextTag(), offset, buffer, fua),
                new Pending(handle, Nbd.CMD_WRITE, offset, null, (int) length, 1, pooled));
    }

    /**
     * FUA when the export offers it: the protocol has the server accept it on every command then, ignoring it
     * where nothing is written (READ, FLUSH, BLOCK_STATUS).
     */
    private static int ignorableFua(VirtualDisk disk) {
        return disk.capabilities().contains(Capability.FUA) ? Nbd.CMD_FLAG_FUA : 0;
    }

    /**
     * BLOCK_STATUS for {@code base:allocation}, the one context there is. Refused with EINVAL unless structured
     * replies were negotiated and {@code base:allocation} was selected for this export, for flags other than
     * REQ_ONE (and an ignored FUA), a zero length, a range that is not aligned to the block size or reaches
     * beyond the disk. The length is not bound by the maximum request length (nothing is transferred).
     */
    private void blockStatus(VirtualDisk disk, int flags, long handle, long offset, long length) {
        int type = Nbd.CMD_BLOCK_STATUS;
        int bs = disk.blockSize();
        if (!structured || !allocationSelected) {
            refuse(handle, Nbd.EINVAL, type, structured ? "no meta context was selected for export '" + export
                    + "' (NBD_OPT_SET_META_CONTEXT " + Nbd.BASE_ALLOCATION + ")"
                    : "BLOCK_STATUS needs structured replies and a meta context, neither was negotiated");
        } else if ((flags & ~(Nbd.CMD_FLAG_REQ_ONE | ignorableFua(disk))) != 0) {
            refuse(handle, Nbd.EINVAL, type, String.format("BLOCK_STATUS with flags 0x%04x; only REQ_ONE applies",
                    flags));
        } else if (length == 0) {
            refuse(handle, Nbd.EINVAL, type, "BLOCK_STATUS of 0 bytes at " + Long.toUnsignedString(offset));
        } else if (!inRange(disk, offset, length)) {
            refuse(handle, Nbd.EINVAL, type, outOfRange(disk, offset, length));
        } else if (offset % bs != 0 || length % bs != 0) {
            refuse(handle, Nbd.EINVAL, type, "BLOCK_STATUS range " + offset + "+" + length
                    + " is not aligned to the block size of " + bs);
        } else {
            boolean one = (flags & Nbd.CMD_FLAG_REQ_ONE) != 0;
            CompletionStage<List<AllocationSource.Extent>> answer;
            try {
                answer = server.allocation().extents(disk, offset, length);
            } catch (RuntimeException e) {
                answer = CompletableFuture.failedFuture(e);
            }
            answer.whenComplete((extents, failure) -> {
                ByteBuffer payload = null;
                String problem;
                if (failure != null) {
                    problem = "the allocation source failed: " + failure;
                } else {
                    try {
                        payload = encodeBlockStatus(Nbd.BASE_ALLOCATION_ID, extents, length, bs, one);
                        problem = null;
                    } catch (IllegalArgumentException e) {
                        problem = e.getMessage();
                    }
                }
                if (payload != null) {
                    queue(new Reply(handle, 0, null, offset, null, payload, 0, null));
                } else {
                    LOG.log(System.Logger.Level.WARNING, "NBD client " + peer + ": BLOCK_STATUS of " + offset + "+"
                            + length + " on export '" + export + "' failed: " + problem);
                    queue(new Reply(handle, Nbd.EIO, "block status: " + problem, 0, null, null, 0, null));
                }
            });
        }
    }

    /**
     * The NBD_REPLY_TYPE_BLOCK_STATUS payload for {@code extents}, which describe the bytes from the request's
     * offset on: the context id, then (length, flags) descriptors, cut off at the request's {@code length} (the
     * last descriptor shortened to end there), at one descriptor with {@code one} (REQ_ONE) and at
     * {@link #MAX_EXTENTS}. Since the request lies within the disk, so does the answer.
     *
     * @throws IllegalArgumentException when the extents break the rules of {@link AllocationSource}, naming the rule
     */
    static ByteBuffer encodeBlockStatus(int contextId, List<AllocationSource.Extent> extents, long length,
            int blockSize, boolean one) {
        if (extents == null || extents.isEmpty()) {
            throw new IllegalArgumentException("the allocation source answered no extent");
        }
        int max = one ? 1 : MAX_EXTENTS;
        ByteBuffer b = ByteBuffer.allocate(4 + 8 * Math.min(max, extents.size())).putInt(contextId);
        long covered = 0;
        int n = 0;
        for (AllocationSource.Extent e : extents) {
            if (covered >= length || n >= max) {
                break;
            }
            if (e.length() <= 0 || e.length() % blockSize != 0) {
                throw new IllegalArgumentException("extent " + n + " of " + e.length() + " bytes is "
                        + (e.length() <= 0 ? "empty" : "not a multiple of the block size " + blockSize));
            }
            long take = Math.min(e.length(), length - covered); // length < 2^32: fits the descriptor
            b.putInt((int) take).putInt(e.flags());
            covered += take;
            n++;
        }
        return b.flip();
    }

    /**
     * TRIM (FUA accepted and ignored: trimmed contents are undefined anyway) and WRITE_ZEROES. NO_HOLE is a
     * hint: the backend may allocate the zeroes or not (the core has no way to ask for either). FAST_ZERO is
     * always refused with ENOTSUP before anything reaches the disk, which the protocol allows whenever the
     * server cannot tell in advance that zeroing is faster than writing: that is always so here, as a filter
     * (encryption, for one) may have to write every zero block in full whatever the backend can do.
     */
    private void zeroOrTrim(VirtualDisk disk, int type, int flags, long handle, long offset, long length)
            throws InterruptedException {
        boolean zeroes = type == Nbd.CMD_WRITE_ZEROES;
        int allowed = zeroes ? Nbd.CMD_FLAG_FUA | Nbd.CMD_FLAG_NO_HOLE | Nbd.CMD_FLAG_FAST_ZERO : Nbd.CMD_FLAG_FUA;
        if ((flags & ~allowed) != 0) {
            refuse(handle, Nbd.EINVAL, type, String.format("%s with flags 0x%04x", Nbd.commandName(type), flags));
            return;
        }
        if (zeroes && (flags & Nbd.CMD_FLAG_FAST_ZERO) != 0) {
            if (!disk.capabilities().contains(Capability.WRITE_ZEROES)) {
                // NBD_FLAG_SEND_FAST_ZERO was not offered either: EINVAL, as for any flag not negotiated.
                refuse(handle, Nbd.EINVAL, type, "FAST_ZERO on an export without WRITE_ZEROES");
            } else {
                refuse(handle, Nbd.ENOTSUP, type, "zeroing is never known to be fast here: write the zeroes instead");
            }
            return;
        }
        if (!inRange(disk, offset, length)) {
            refuse(handle, Nbd.errno(IoError.OUT_OF_RANGE, type), type, outOfRange(disk, offset, length));
            return;
        }
        boolean fua = zeroes && (flags & Nbd.CMD_FLAG_FUA) != 0;
        int parts = (int) Math.max(1, (length + CHUNK - 1) / CHUNK);
        Pending p = new Pending(handle, type, offset, null, 0, parts, null);
        for (int i = 0; i < parts; i++) {
            long at = offset + (long) i * CHUNK;
            int len = (int) Math.min(CHUNK, length - (long) i * CHUNK);
            long tag = server.nextTag();
            submit(disk, zeroes ? IoRequest.writeZeroes(tag, at, len, fua) : IoRequest.unmap(tag, at, len), p);
        }
    }

    private static boolean inRange(VirtualDisk disk, long offset, long length) {
        long capacity = disk.capacity();
        return offset >= 0 && length <= capacity && offset <= capacity - length;
    }

    private static String outOfRange(VirtualDisk disk, long offset, long length) {
        return "range " + Long.toUnsignedString(offset) + "+" + length + " is outside the disk of " + disk.capacity()
                + " bytes";
    }

    private void submit(VirtualDisk disk, IoRequest request, Pending pending) throws InterruptedException {
        try {
            disk.submit(request, pending);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "NBD client " + peer + ": submitting " + request + " failed", e);
            // The disk may hold the request's buffer after all: never reuse it.
            pending.disown();
            pending.done(IoStatus.failed(IoError.IO, "submit failed: " + e));
        }
    }

    /**
     * Submit a READ or WRITE. When it is the connection's only request in flight and no further request is
     * buffered, the reader has nothing to do until its reply, so it offers the backend its thread
     * ({@link InlineIo}) and is kept from interrupts meanwhile ({@link #readerGuard}). While the offer is open,
     * {@link #abort} cannot interrupt a reader that the disk's admission blocks; the disk's other requests
     * still free the slot it waits for.
     */
    private void submitData(VirtualDisk disk, IoRequest request, Pending pending) throws InterruptedException {
        boolean alone = !in.hasRemaining() && slots.availablePermits() == maxInFlight - 1;
        if (!alone || !readerGuard.compareAndSet(INTERRUPTIBLE, CARRYING_IO)) {
            submit(disk, request, pending);
            return;
        }
        try (InlineIo.Offer offer = InlineIo.offer()) {
            submit(disk, request, pending);
        } finally {
            if (!readerGuard.compareAndSet(CARRYING_IO, INTERRUPTIBLE)) {
                readerGuard.set(INTERRUPTED); // abort came meanwhile
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Answer a request with an error without involving the disk. */
    private void refuse(long handle, int errno, int type, String why) {
        LOG.log(System.Logger.Level.INFO, "NBD client " + peer + ": " + Nbd.commandName(type) + " refused with errno "
                + errno + ": " + why);
        queue(new Reply(handle, errno, why, 0, null, null, 0, null));
    }

    private void queue(Reply reply) {
        if (closed) {
            release(reply);
        } else if (Thread.currentThread() == reader) {
            ready.add(reply); // the reader may be deep inside the disk's submit: sent once that returned
        } else {
            replies.add(reply);
        }
    }

    /**
     * Send the replies completed on the reader thread: straight to the socket when the writer is not writing,
     * which saves waking it; else through its queue. Like the writer, the reader may then block on a client
     * that does not read its replies, which stalls that client only.
     */
    private void sendReady() {
        if (ready.isEmpty()) {
            return;
        }
        if (closed) {
            ready.forEach(this::release);
        } else if (sendLock.tryLock()) {
            try {
                send(ready, readerHeaders(ready.size()), readerBuffers);
            } finally {
                sendLock.unlock();
            }
        } else {
            replies.addAll(ready);
        }
        ready.clear();
    }

    /** Header room for {@code n} replies on the reader (one, except after a multi-part TRIM or a refusal). */
    private ByteBuffer readerHeaders(int n) {
        if (readerHeaders.capacity() < n * HEADER_SLOT) {
            readerHeaders = ByteBuffer.allocateDirect(n * HEADER_SLOT);
        }
        return readerHeaders;
    }

    private void release(Reply reply) {
        if (reply.pooled() != null) {
            pool.give(reply.pooled());
        }
        if (reply.bytePermits() > 0) {
            bytes.release(reply.bytePermits());
        }
        slots.release();
    }

    /** Collects the completion(s) of one NBD request and queues its reply after the last one. */
    private final class Pending implements IoCallback {
        private final long handle;
        private final int type;
        private final long offset;
        private final ByteBuffer data;
        private final int bytePermits;
        private final AtomicInteger remaining;
        private final AtomicReference<IoStatus> failure = new AtomicReference<>();
        private volatile ByteBuffer pooled;

        Pending(long handle, int type, long offset, ByteBuffer data, int bytePermits, int parts, ByteBuffer pooled) {
            this.handle = handle;
            this.type = type;
            this.offset = offset;
            this.data = data;
            this.bytePermits = bytePermits;
            this.remaining = new AtomicInteger(parts);
            this.pooled = pooled;
        }

        /** Keep the payload buffer out of the pool: whether the disk is done with it is not known. */
        void disown() {
            pooled = null;
        }

        @Override
        public void done(IoStatus status) {
            if (!status.isOk()) {
                failure.compareAndSet(null, status);
            }
            if (remaining.decrementAndGet() != 0) {
                return;
            }
            IoStatus failed = failure.get();
            if (failed == null) {
                ByteBuffer payload = data == null ? null : data.duplicate().clear();
                queue(new Reply(handle, 0, null, offset, payload, null, bytePermits, pooled));
            } else {
                int errno = Nbd.errno(failed.error(), type);
                LOG.log(System.Logger.Level.INFO, () -> "NBD client " + peer + ": " + Nbd.commandName(type)
                        + " failed with errno " + errno + ": " + failed);
                queue(new Reply(handle, errno, failed.message(), 0, null, null, bytePermits, pooled));
            }
        }
    }

    private void writeLoop() {
        List<Reply> batch = new ArrayList<>(BATCH);
        List<ByteBuffer> buffers = new ArrayList<>(2 * BATCH);
        // Reply headers of one batch, direct so that the gathering write copies nothing.
        ByteBuffer headers = ByteBuffer.allocateDirect(BATCH * HEADER_SLOT);
        try {
            while (true) {
                Reply first = replies.take();
                boolean end = first == END;
                if (!end) {
                    batch.add(first);
                }
                // Up to BATCH replies, but no more payload than BATCH_BYTES after the first: a reply's buffer
                // goes back to the pool only after its write, so a long batch holds many buffers.
                long payload = first.data() == null ? 0 : first.data().remaining();
                Reply next;
                while (!end && batch.size() < BATCH && payload < BATCH_BYTES && (next = replies.poll()) != null) {
                    if (next == END) {
                        end = true;
                    } else {
                        batch.add(next);
                        payload += next.data() == null ? 0 : next.data().remaining();
                    }
                }
                sendLock.lock();
                try {
                    send(batch, headers, buffers);
                } finally {
                    sendLock.unlock();
                }
                batch.clear();
                if (end) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Write {@code batch} with one gathering write (nothing once a write failed), then release each reply's
     * slot, bytes and buffer. The caller holds {@link #sendLock}; {@code headers} has room for every reply.
     */
    private void send(List<Reply> batch, ByteBuffer headers, List<ByteBuffer> buffers) {
        int at = 0;
        for (Reply r : batch) {
            ByteBuffer h = headers.slice(at, HEADER_SLOT);
            at += HEADER_SLOT;
            if (structured) {
                encodeChunk(r, h, buffers);
            } else {
                h.putInt(Nbd.SIMPLE_REPLY_MAGIC).putInt(r.error()).putLong(r.handle()).flip();
                buffers.add(h);
                if (r.error() == 0 && r.data() != null && r.data().hasRemaining()) {
                    buffers.add(r.data());
                }
            }
        }
        if (!writeFailed && !buffers.isEmpty()) {
            try {
                writeFully(buffers.toArray(ByteBuffer[]::new));
            } catch (IOException e) {
                writeFailed = true;
                if (!closed) {
                    LOG.log(System.Logger.Level.INFO, "NBD client " + peer + ": cannot send replies: " + e
                            + "; disconnected");
                }
                NbdServer.closeQuietly(channel); // the reader stops too
            }
        }
        buffers.clear();
        batch.forEach(this::release);
    }

    /** The structured reply to {@code r}: one chunk, flagged DONE, its header written into {@code h}. */
    private static void encodeChunk(Reply r, ByteBuffer h, List<ByteBuffer> out) {
        h.putInt(Nbd.STRUCTURED_REPLY_MAGIC).putShort((short) Nbd.REPLY_FLAG_DONE);
        if (r.error() != 0) {
            ByteBuffer message = errorMessage(r.message());
            h.putShort((short) Nbd.REPLY_TYPE_ERROR).putLong(r.handle()).putInt(6 + message.remaining())
                    .putInt(r.error()).putShort((short) message.remaining()).flip();
            out.add(h);
            if (message.hasRemaining()) {
                out.add(message);
            }
        } else if (r.data() != null && r.data().hasRemaining()) {
            h.putShort((short) Nbd.REPLY_TYPE_OFFSET_DATA).putLong(r.handle()).putInt(8 + r.data().remaining())
                    .putLong(r.offset()).flip();
            out.add(h);
            out.add(r.data());
        } else if (r.status() != null) {
            h.putShort((short) Nbd.REPLY_TYPE_BLOCK_STATUS).putLong(r.handle()).putInt(r.status().remaining()).flip();
            out.add(h);
            out.add(r.status());
        } else {
            // Success without payload, including a READ of 0 bytes (a data chunk must carry at least one byte).
            h.putShort((short) Nbd.REPLY_TYPE_NONE).putLong(r.handle()).putInt(0).flip();
            out.add(h);
        }
    }

    /** {@code message} as UTF-8, cut at a character boundary to {@link #MAX_ERROR_MESSAGE} bytes. */
    static ByteBuffer errorMessage(String message) {
        ByteBuffer b = ByteBuffer.allocate(MAX_ERROR_MESSAGE);
        if (message != null) {
            StandardCharsets.UTF_8.newEncoder().onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE)
                    .encode(CharBuffer.wrap(message), b, true); // stops before a character that does not fit
        }
        return b.flip();
    }

    // ---------------------------------------------------------------- socket helpers

    /** Fill {@code b}; false on a clean end of stream before its first byte, EOFException after. */
    private boolean readMessage(ByteBuffer b) throws IOException {
        if (!in.hasRemaining() && fill() < 0) {
            return false;
        }
        readFully(b);
        return true;
    }

    private void readFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (in.hasRemaining()) {
                int n = Math.min(in.remaining(), b.remaining());
                b.put(b.position(), in, in.position(), n);
                b.position(b.position() + n);
                in.position(in.position() + n);
            } else if (b.remaining() >= INPUT_BYTES / 2) {
                if (channel.read(b) < 0) {
                    throw new EOFException();
                }
            } else if (fill() < 0) {
                throw new EOFException();
            }
        }
    }

    /** Read what the socket has into the empty input buffer; -1 at the end of the stream. */
    private int fill() throws IOException {
        in.clear();
        int n = channel.read(in);
        in.flip();
        return n;
    }

    private void skip(long n) throws IOException {
        if (scratch == null) {
            scratch = ByteBuffer.allocate(64 << 10);
        }
        long left = n;
        while (left > 0) {
            scratch.clear().limit((int) Math.min(scratch.capacity(), left));
            readFully(scratch);
            left -= scratch.limit();
        }
    }

    private void writeFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            channel.write(b);
        }
    }

    private void writeFully(ByteBuffer[] bs) throws IOException {
        ByteBuffer last = bs[bs.length - 1];
        while (last.hasRemaining()) {
            channel.write(bs);
        }
    }
}
