package io.weir.samples.replication;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * Accepts replication streams over mutual TLS and keeps one durable replica per disk in a directory (see
 * {@link ReplicaStore} for reading them back). Each stream is applied in order; a FLUSH barrier makes everything
 * before it durable and records a checkpoint; a synchronous write is durable before it is acknowledged. A second
 * stream for a disk replaces the first (the primary reconnected, or its filter instance was swapped).
 *
 * <p>Threads: one accepting, and per connection one reading frames and one applying them.
 */
public final class ReplicaReceiver implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ReplicaReceiver.class.getName());
    private static final int QUEUE_FRAMES = 256;
    /** Most payload bytes read from one stream and not yet applied (TCP backpressure beyond). */
    private static final int QUEUE_BYTES = 64 << 20;
    private static final int BATCH_FRAMES = 256;
    private static final long SYNC_BYTES = 8L << 20;
    private static final long SYNC_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** Handshake, and silence from a connected primary (it pings every second) before the link is dropped. */
    static final int IDLE_TIMEOUT_MILLIS = 10_000;

    /**
     * What a receiver needs.
     *
     * @param bindAddress address to listen on
     * @param port        TCP port (0: any free port, see {@link ReplicaReceiver#port()})
     * @param directory   where replicas live, one directory per disk
     * @param tls            this node's key material and the root the primaries' certificates must chain to
     * @param retentionAge   how much point-in-time history to keep per disk
     * @param retentionBytes how many bytes of journal to keep per disk at most
     */
    public record Config(String bindAddress, int port, Path directory, TlsCredentials tls, Duration retentionAge,
                         long retentionBytes) {
        public Config {
            Objects.requireNonNull(bindAddress, "bindAddress");
            Objects.requireNonNull(directory, "directory");
            Objects.requireNonNull(tls, "tls");
            Objects.requireNonNull(retentionAge, "retentionAge");
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be 0..65535, got " + port);
            }
            if (retentionBytes < 1) {
                throw new IllegalArgumentException("retentionBytes must be positive, got " + retentionBytes);
            }
        }
    }

    private final Config config;
    private final Clock clock;
    private final SSLServerSocket server;
    private final Thread acceptor;
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    /** Every session whose applier has not finished yet (including ones already replaced or disconnected). */
    private final java.util.Set<Session> live = ConcurrentHashMap.newKeySet();
    private final AtomicLong frames = new AtomicLong();
    private volatile boolean closed;

    private ReplicaReceiver(Config config, Clock clock) throws IOException {
        this.config = config;
        this.clock = clock;
        Files.createDirectories(config.directory());
        this.server = config.tls().listen(config.bindAddress(), config.port());
        this.acceptor = new Thread(this::acceptLoop, "weir-replica-accept-" + server.getLocalPort());
        acceptor.setDaemon(true);
    }

    /** Listen and serve until {@link #close()}. */
    public static ReplicaReceiver start(Config config) throws IOException {
        ReplicaReceiver r = new ReplicaReceiver(config, Clock.systemUTC());
        r.acceptor.start();
        LOG.log(Level.INFO, "replica receiver listening on " + config.bindAddress() + ":" + r.port() + ", replicas in "
                + config.directory());
        return r;
    }

    /** The port listened on. */
    public int port() {
        return server.getLocalPort();
    }

    /** The replicas this receiver writes. */
    public ReplicaStore store() throws IOException {
        return ReplicaStore.open(config.directory());
    }

    /** Disks with a connected stream now. */
    public List<String> connectedDisks() {
        return List.copyOf(sessions.keySet());
    }

    /** Frames applied since start, over every stream. */
    public long framesApplied() {
        return frames.get();
    }

    /** Cut every connection (the primaries reconnect); the listener stays. For operators and tests. */
    public void dropConnections() {
        for (Session s : sessions.values()) {
            s.stop();
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        for (Session s : live) {
            s.stop();
            s.join();
        }
        try {
            acceptor.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                SSLSocket socket = (SSLSocket) server.accept();
                Thread t = new Thread(() -> serve(socket), "weir-replica-conn-" + socket.getPort());
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                if (!closed) {
                    LOG.log(Level.WARNING, "replica receiver: accept failed: " + e.getMessage());
                }
            }
        }
    }

    /** One connection: handshake, HELLO, then read frames into the session's queue. */
    private void serve(SSLSocket socket) {
        Session session = null;
        try {
            socket.setSoTimeout(IDLE_TIMEOUT_MILLIS);
            socket.setTcpNoDelay(true);
            socket.startHandshake();
            DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 256 << 10));
            OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 16 << 10);
            Frame hello = Frame.readFrom(in);
            if (hello.type != Frame.HELLO) {
                throw new Frame.ProtocolException("expected HELLO, got type " + hello.type);
            }
            session = open(socket, out, hello);
            if (session == null) {
                return;
            }
            while (!session.stopped) {
                Frame f = Frame.readFrom(in);
                session.queuedBytes.acquire(Session.weight(f));
                session.queue.put(f);
            }
        } catch (IOException e) {
            if (session != null && !session.stopped && !closed) {
                LOG.log(Level.INFO, "replica receiver: stream of disk '" + session.diskId + "' ended: "
                        + e.getMessage());
            } else if (session == null && !closed) {
                LOG.log(Level.WARNING, "replica receiver: connection from " + socket.getRemoteSocketAddress()
                        + " refused: " + e.getMessage());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (session != null) {
                session.stop();
            } else {
                closeQuietly(socket);
            }
        }
    }

    private Session open(SSLSocket socket, OutputStream out, Frame hello) throws IOException {
        ByteBuffer p = hello.payload;
        int minVersion = p.getShort() & 0xffff;
        int maxVersion = p.getShort() & 0xffff;
        byte[] streamId = new byte[16];
        p.get(streamId);
        long capacity = p.getLong();
        int blockSize = p.getInt();
        int flags = p.get() & 0xff;
        String diskId = Frame.readUtf8(p);
        if (minVersion > Frame.PROTOCOL || maxVersion < Frame.PROTOCOL) {
            refuse(out, "protocol versions " + minVersion + ".." + maxVersion + " not supported; this replica speaks "
                    + Frame.PROTOCOL);
            return null;
        }
        try {
            ReplicaImage.directoryOf(config.directory(), diskId);
        } catch (IllegalArgumentException e) {
            refuse(out, e.getMessage());
            return null;
        }
        sessions.remove(diskId);
        for (Session old : live) {
            // The previous stream of this disk, connected or still closing its replica: it must be done first.
            if (old.diskId.equals(diskId)) {
                old.stop();
                old.join();
            }
        }
        boolean known;
        ReplicaImage image;
        if (ReplicaImage.exists(config.directory(), diskId)) {
            image = ReplicaImage.locked(ReplicaImage.directoryOf(config.directory(), diskId),
                    () -> ReplicaImage.open(config.directory(), diskId, clock, retention(), true));
            if (image.failedOver()) {
                image.close();
                refuse(out, "the replica of disk '" + diskId + "' was promoted (failover); it accepts no stream");
                return null;
            }
            known = Arrays.equals(image.streamId(), streamId);
            if (known && capacity < image.capacity()) {
                image.close();
                refuse(out, "disk '" + diskId + "' is " + capacity + " bytes, smaller than its replica ("
                        + image.capacity() + ")");
                return null;
            }
            if (!known) {
                image.close();
                image = null;
            }
        } else {
            image = null;
            known = false;
        }
        if (image == null) {
            image = ReplicaImage.create(config.directory(), diskId, streamId, capacity, blockSize, clock,
                    retention());
            LOG.log(Level.INFO, "replica receiver: new stream " + HexFormat.of().formatHex(streamId) + " for disk '"
                    + diskId + "' (" + capacity + " bytes)" + ((flags & 1) != 0 ? " of a blank disk" : ""));
        } else if (capacity > image.capacity()) {
            ReplicaImage img = image;
            ReplicaImage.locked(img.directory(), () -> {
                img.grow(capacity);
                return null;
            });
        }
        ByteBuffer welcome = ByteBuffer.allocate(11).putShort((short) Frame.PROTOCOL).put((byte) (known ? 0 : 1))
                .putLong(image.capacity()).flip();
        new Frame(Frame.WELCOME, 0, 0, welcome).writeTo(out);
        out.flush();
        socket.setSoTimeout(IDLE_TIMEOUT_MILLIS);
        Session s = new Session(diskId, socket, out, image);
        sessions.put(diskId, s);
        live.add(s);
        s.applier.start();
        return s;
    }

    private ReplicaImage.Retention retention() {
        return new ReplicaImage.Retention(config.retentionAge(), config.retentionBytes());
    }

    private static void refuse(OutputStream out, String message) throws IOException {
        LOG.log(Level.WARNING, "replica receiver: refused a stream: " + message);
        new Frame(Frame.ERROR, 0, 0, Frame.utf8(message)).writeTo(out);
        out.flush();
    }

    private static void closeQuietly(SSLSocket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // already gone
        }
    }

    /** One stream: frames queued by the connection's reader, applied in order by the applier thread. */
    private final class Session {
        final String diskId;
        final SSLSocket socket;
        final OutputStream out;
        final ReplicaImage image;
        final BlockingQueue<Frame> queue = new ArrayBlockingQueue<>(QUEUE_FRAMES);
        final java.util.concurrent.Semaphore queuedBytes = new java.util.concurrent.Semaphore(QUEUE_BYTES);
        final Thread applier;
        volatile boolean stopped;
        private long applied;
        private long durable;
        private long unsyncedBytes;
        private long lastSync = System.nanoTime();

        Session(String diskId, SSLSocket socket, OutputStream out, ReplicaImage image) {
            this.diskId = diskId;
            this.socket = socket;
            this.out = out;
            this.image = image;
            this.applier = new Thread(this::applyLoop, "weir-replica-apply-" + diskId);
            applier.setDaemon(true);
        }

        static int weight(Frame f) {
            return Math.min(QUEUE_BYTES, f.payload.remaining());
        }

        void stop() {
            stopped = true;
            // Not interrupted: an interrupt closes the image's file channel mid-write. It polls its queue instead.
            closeQuietly(socket);
            sessions.remove(diskId, this);
        }

        void join() {
            if (Thread.currentThread() == applier) {
                return;
            }
            try {
                applier.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private void applyLoop() {
            List<Frame> batch = new ArrayList<>();
            try {
                while (!stopped) {
                    Frame first;
                    try {
                        first = queue.poll(50, TimeUnit.MILLISECONDS);
                    } catch (InterruptedException e) {
                        break;
                    }
                    if (first == null) {
                        if (applied > durable && System.nanoTime() - lastSync > SYNC_NANOS) {
                            syncAndAck();
                        }
                        continue;
                    }
                    batch.clear();
                    batch.add(first);
                    queue.drainTo(batch, BATCH_FRAMES - 1);
                    boolean durableWanted = ReplicaImage.locked(image.directory(), () -> applyBatch(batch));
                    for (Frame f : batch) {
                        queuedBytes.release(weight(f));
                    }
                    if (image.promoted()) {
                        throw new IOException("the replica of disk '" + diskId + "' was promoted (failover); it "
                                + "accepts no stream");
                    }
                    if (durableWanted || queue.isEmpty() || unsyncedBytes > SYNC_BYTES
                            || System.nanoTime() - lastSync > SYNC_NANOS) {
                        syncAndAck();
                    }
                }
            } catch (IOException e) {
                if (!stopped) {
                    LOG.log(Level.WARNING, "replica receiver: disk '" + diskId + "': " + e.getMessage());
                    try {
                        new Frame(Frame.ERROR, 0, 0, Frame.utf8(e.getMessage() == null ? e.toString()
                                : e.getMessage())).writeTo(out);
                        out.flush();
                    } catch (IOException ignored) {
                        // the link is gone as well
                    }
                }
            } finally {
                stopped = true;
                closeQuietly(socket);
                sessions.remove(diskId, this);
                try {
                    ReplicaImage.locked(image.directory(), () -> {
                        image.close();
                        return null;
                    });
                } catch (IOException e) {
                    LOG.log(Level.WARNING, "replica receiver: disk '" + diskId + "': closing: " + e.getMessage());
                } finally {
                    live.remove(this);
                }
            }
        }

        /** Apply frames in order; returns whether one of them must be durable before it is acknowledged. */
        private boolean applyBatch(List<Frame> batch) throws IOException {
            boolean durableWanted = false;
            List<ReplicaImage.Change> changes = new ArrayList<>();
            for (Frame f : batch) {
                switch (f.type) {
                    case Frame.WRITE, Frame.ZERO -> {
                        ByteBuffer p = f.payload.duplicate();
                        long offset = p.getLong();
                        ReplicaImage.Change c = f.type == Frame.WRITE
                                ? new ReplicaImage.Change(offset, p.remaining(), p.slice())
                                : new ReplicaImage.Change(offset, p.getInt(), null);
                        for (ReplicaImage.Change earlier : changes) {
                            if (earlier.overlaps(c)) {
                                image.apply(changes);
                                changes.clear();
                                break;
                            }
                        }
                        changes.add(c);
                        unsyncedBytes += c.length();
                        durableWanted |= f.has(Frame.FLAG_SYNC);
                    }
                    case Frame.BARRIER -> {
                        image.apply(changes);
                        changes.clear();
                        if (f.payload.remaining() != Frame.BARRIER_BYTES) {
                            throw new Frame.ProtocolException("a BARRIER of " + f.payload.remaining() + " bytes, not "
                                    + Frame.BARRIER_BYTES);
                        }
                        Checkpoint.Cause cause;
                        try {
                            cause = Checkpoint.Cause.of(f.payload.get(8));
                        } catch (IllegalArgumentException e) {
                            throw new Frame.ProtocolException("BARRIER: " + e.getMessage());
                        }
                        image.checkpoint(Journal.micros(f.payload.getLong(0)), cause);
                        unsyncedBytes = 0;
                        lastSync = System.nanoTime();
                        durable = f.seq;
                        durableWanted = true;
                    }
                    case Frame.RESYNC_BEGIN -> {
                        image.apply(changes);
                        changes.clear();
                        image.consistent(false);
                    }
                    case Frame.RESYNC_END -> {
                        image.apply(changes);
                        changes.clear();
                        image.consistent(true);
                    }
                    case Frame.GROW -> {
                        image.apply(changes);
                        changes.clear();
                        image.grow(f.payload.getLong(0));
                    }
                    case Frame.PING -> durableWanted |= applied > durable || changes.size() > 0;
                    default -> throw new Frame.ProtocolException("unexpected frame type " + f.type + " in a stream");
                }
                if (f.seq > 0) {
                    applied = Math.max(applied, f.seq);
                }
                frames.incrementAndGet();
            }
            image.apply(changes);
            return durableWanted || batch.get(batch.size() - 1).type == Frame.PING;
        }

        private void syncAndAck() throws IOException {
            ReplicaImage.locked(image.directory(), () -> {
                image.sync();
                return null;
            });
            unsyncedBytes = 0;
            lastSync = System.nanoTime();
            durable = applied;
            new Frame(Frame.ACK, 0, durable, null).writeTo(out);
            out.flush();
        }
    }
}
