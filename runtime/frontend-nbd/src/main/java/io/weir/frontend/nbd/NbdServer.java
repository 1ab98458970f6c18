package io.weir.frontend.nbd;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An NBD server: listeners on TCP and/or a Unix domain socket, and one {@link NbdConnection} (a reader and a
 * writer thread) per client. A client beyond {@link Settings#maxConnections()} is closed at once and logged.
 * Each connection is independent: a hostile or broken one is disconnected and logged, the others carry on.
 */
final class NbdServer implements AutoCloseable {
    /** sockaddr_un.sun_path holds 108 bytes including the terminating NUL. */
    static final int MAX_SOCKET_PATH = 107;

    private static final System.Logger LOG = System.getLogger("io.weir.frontend.nbd");

    /**
     * Limits of one server.
     *
     * @param handshakeTimeout   how long a client may take from connecting to entering transmission
     * @param maxConnections     clients served at once
     * @param maxInFlight        requests read but not yet answered, per connection; beyond it the reader stops
     *                           reading (TCP backpressure)
     * @param maxBufferedBytes   READ/WRITE payload bytes held per connection (at least one largest request is
     *                           always admitted)
     */
    record Settings(Duration handshakeTimeout, int maxConnections, int maxInFlight, long maxBufferedBytes) {
        Settings {
            Objects.requireNonNull(handshakeTimeout, "handshakeTimeout");
            if (handshakeTimeout.isNegative() || handshakeTimeout.isZero() || maxConnections < 1 || maxInFlight < 1
                    || maxBufferedBytes < 1) {
                throw new IllegalArgumentException("NBD settings must be positive: " + handshakeTimeout + ", "
                        + maxConnections + ", " + maxInFlight + ", " + maxBufferedBytes);
            }
        }

        static Settings defaults() {
            return new Settings(Duration.ofSeconds(10), 64, 64, 64L << 20);
        }
    }

    private final Exports exports;
    private final Settings settings;
    private final AllocationSource allocation;
    private final ScheduledExecutorService timer;
    private final Set<NbdConnection> connections = ConcurrentHashMap.newKeySet();
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicLong tags = new AtomicLong();
    private final AtomicLong ids = new AtomicLong();
    private final List<ServerSocketChannel> listeners = new ArrayList<>();
    private final List<String> endpoints = new ArrayList<>();
    private final List<Path> socketFiles = new ArrayList<>();
    private volatile boolean closed;
    private int tcpPort = -1;

    /** A server whose {@code base:allocation} reports every range as allocated data. */
    NbdServer(Exports exports, Settings settings) {
        this(exports, settings, AllocationSource.ALL_DATA);
    }

    /** A server whose {@code base:allocation} answers come from {@code allocation}. */
    NbdServer(Exports exports, Settings settings, AllocationSource allocation) {
        this.exports = Objects.requireNonNull(exports, "exports");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.allocation = Objects.requireNonNull(allocation, "allocation");
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "weir-nbd-timer");
            t.setDaemon(true);
            return t;
        });
    }

    /** Listen on TCP {@code host:port}; port 0 binds an ephemeral port (see {@link #tcpPort()}). */
    synchronized void listenTcp(String host, int port) throws IOException {
        ServerSocketChannel channel = ServerSocketChannel.open();
        try {
            channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            channel.bind(new InetSocketAddress(host, port), 128);
        } catch (IOException e) {
            channel.close();
            throw new IOException("cannot listen for NBD on " + host + ":" + port + ": " + e.getMessage(), e);
        }
        tcpPort = ((InetSocketAddress) channel.getLocalAddress()).getPort();
        String shown = host.contains(":") ? "[" + host + "]" : host;
        startListener(channel, "nbd://" + shown + ":" + tcpPort, "tcp");
    }

    /**
     * Listen on a Unix domain socket at {@code path} (mode 0600; a stale socket file nobody answers on is
     * replaced; one a live server answers on is refused).
     */
    synchronized void listenUnix(Path path) throws IOException {
        Path socket = path.toAbsolutePath();
        int bytes = socket.toString().getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_SOCKET_PATH) {
            throw new IOException("NBD socket path " + socket + " is " + bytes + " bytes long, the system allows "
                    + MAX_SOCKET_PATH);
        }
        Files.createDirectories(socket.getParent());
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(socket);
        if (Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                probe.connect(address);
                throw new IOException("another server already answers on NBD socket " + socket);
            } catch (IOException e) {
                if (e.getMessage() != null && e.getMessage().startsWith("another server")) {
                    throw e;
                }
                Files.delete(socket); // stale, left by a runtime that did not stop cleanly
            }
        }
        ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.bind(address, 128);
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException | UnsupportedOperationException e) {
            channel.close();
            throw new IOException("cannot listen for NBD on " + socket + ": " + e.getMessage(), e);
        }
        socketFiles.add(socket);
        startListener(channel, "nbd+unix:///?socket=" + socket, "unix");
    }

    private void startListener(ServerSocketChannel channel, String endpoint, String kind) {
        listeners.add(channel);
        endpoints.add(endpoint);
        Thread t = new Thread(() -> acceptLoop(channel, kind), "weir-nbd-accept-" + kind);
        t.setDaemon(true);
        t.start();
        LOG.log(System.Logger.Level.INFO, "NBD front end listening on " + endpoint);
    }

    /** The bound TCP port, or -1 when not listening on TCP. */
    synchronized int tcpPort() {
        return tcpPort;
    }

    /** URIs of the listeners, e.g. {@code nbd://127.0.0.1:10809} and {@code nbd+unix:///?socket=/path}. */
    synchronized List<String> endpoints() {
        return List.copyOf(endpoints);
    }

    /** Connections currently open. */
    int connectionCount() {
        return active.get();
    }

    Exports exports() {
        return exports;
    }

    Settings settings() {
        return settings;
    }

    AllocationSource allocation() {
        return allocation;
    }

    ScheduledExecutorService timer() {
        return timer;
    }

    long nextTag() {
        return tags.incrementAndGet();
    }

    boolean isClosed() {
        return closed;
    }

    private void acceptLoop(ServerSocketChannel listener, String kind) {
        while (!closed) {
            SocketChannel client;
            try {
                client = listener.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (closed) {
                    return;
                }
                LOG.log(System.Logger.Level.WARNING, "NBD accept on " + kind + " failed: " + e);
                continue;
            }
            String peer = describe(client, kind);
            if (active.incrementAndGet() > settings.maxConnections()) {
                active.decrementAndGet();
                LOG.log(System.Logger.Level.WARNING, "NBD client " + peer + " refused: already serving "
                        + settings.maxConnections() + " connections");
                closeQuietly(client);
                continue;
            }
            try {
                if ("tcp".equals(kind)) {
                    client.setOption(StandardSocketOptions.TCP_NODELAY, true);
                }
                NbdConnection connection = new NbdConnection(this, client, peer);
                connections.add(connection);
                if (closed) {
                    connection.shutdown();
                }
                connection.start();
            } catch (IOException | RuntimeException | Error e) {
                active.decrementAndGet();
                LOG.log(System.Logger.Level.ERROR, "cannot serve NBD client " + peer, e);
                closeQuietly(client);
            }
        }
    }

    private String describe(SocketChannel client, String kind) {
        String remote;
        try {
            remote = "tcp".equals(kind) ? String.valueOf(client.getRemoteAddress()) : "unix";
        } catch (IOException e) {
            remote = kind;
        }
        return "#" + ids.incrementAndGet() + " (" + remote + ")";
    }

    void connectionEnded(NbdConnection connection) {
        if (connections.remove(connection)) {
            active.decrementAndGet();
        }
    }

    /**
     * Stop accepting, let each connection finish the requests it has read (it reads no more), wait up to
     * {@code drain} for them, then disconnect whatever remains.
     */
    void close(Duration drain) {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            for (ServerSocketChannel l : listeners) {
                closeQuietly(l);
            }
            for (Path p : socketFiles) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.WARNING, "cannot remove NBD socket " + p + ": " + e);
                }
            }
        }
        for (NbdConnection c : connections) {
            c.shutdown();
        }
        long deadline = System.nanoTime() + drain.toNanos();
        for (NbdConnection c : connections) {
            long left = deadline - System.nanoTime();
            if (!c.awaitEnd(Math.max(0, left))) {
                c.abort();
            }
        }
        timer.shutdownNow();
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(10));
    }

    static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    static long toMillis(Duration d) {
        return TimeUnit.NANOSECONDS.toMillis(d.toNanos());
    }
}
