package io.weir.admin;

import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.google.gson.JsonObject;

/**
 * The admin API's listener: a Unix domain socket that only the owner can reach (its directory is 0700, the
 * socket 0600), one JSON object per line in each direction, each connection served on its own thread from
 * a small pool of at most {@value #MAX_CONNECTIONS}. A connection beyond that gets a BUSY error and is closed.
 */
final class AdminServer implements AutoCloseable {
    /** The longest request line accepted, in bytes. */
    static final int MAX_LINE = 1 << 20;
    /** Connections served at once. */
    static final int MAX_CONNECTIONS = 16;
    /** sockaddr_un.sun_path holds 108 bytes including the terminating NUL. */
    static final int MAX_SOCKET_PATH = 107;

    private static final System.Logger LOG = System.getLogger("io.weir.admin");

    private final Path socket;
    private final RequestHandler handler;
    private final Set<SocketChannel> connections = ConcurrentHashMap.newKeySet();
    private final ThreadPoolExecutor pool;
    private ServerSocketChannel server;
    private Thread acceptor;
    private volatile boolean closed;

    AdminServer(Path socket, RequestHandler handler) {
        this.socket = socket.toAbsolutePath();
        this.handler = handler;
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(0, MAX_CONNECTIONS, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, "weir-admin-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    Path socket() {
        return socket;
    }

    /**
     * Create the socket's directory (0700), take over a stale socket file left by a crash, bind, restrict the
     * socket to 0600 and start accepting.
     *
     * @throws IOException when another server answers on the socket, or binding fails; the message says which
     */
    synchronized void start() throws IOException {
        int pathBytes = socket.toString().getBytes(StandardCharsets.UTF_8).length;
        if (pathBytes > MAX_SOCKET_PATH) {
            throw new IOException("admin socket path " + socket + " is " + pathBytes + " bytes long, the system allows "
                    + MAX_SOCKET_PATH + "; use a data directory with a shorter path");
        }
        privateDirectory(socket.getParent());
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(socket);
        if (Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            if (answers(address)) {
                throw new IOException("another runtime already serves the admin socket " + socket);
            }
            Files.delete(socket); // stale: left behind by a runtime that did not stop cleanly
        }
        ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.bind(address, 64);
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            channel.close();
            throw new IOException("cannot listen on admin socket " + socket + ": " + e.getMessage(), e);
        }
        server = channel;
        acceptor = new Thread(this::acceptLoop, "weir-admin-acceptor");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Create {@code dir} with mode 0700, or set that mode if it exists. */
    static void privateDirectory(Path dir) throws IOException {
        Files.createDirectories(dir.getParent());
        try {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(dir)) {
                throw new IOException(dir + " exists and is not a directory");
            }
        }
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }

    /** Whether something accepts connections at {@code address}. */
    static boolean answers(UnixDomainSocketAddress address) {
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(address);
            return true;
        } catch (IOException e) { // refused, or not a socket at all: nobody serves it
            return false;
        }
    }

    private void acceptLoop() {
        while (!closed) {
            SocketChannel client;
            try {
                client = server.accept();
            } catch (ClosedChannelException e) {
                return; // AsynchronousCloseException included: we are closing
            } catch (IOException e) {
                if (closed) {
                    return;
                }
                LOG.log(System.Logger.Level.WARNING, "admin socket accept failed: " + e);
                continue;
            }
            connections.add(client);
            try {
                pool.execute(() -> serve(client));
            } catch (RejectedExecutionException e) {
                try {
                    write(client, Json.error(ErrorCode.BUSY, "the admin server already serves " + MAX_CONNECTIONS
                            + " connections; try again when one closes"));
                } catch (IOException ignored) {
                    // the client went away; nothing to tell it
                }
                drop(client);
            }
        }
    }

    /** Serve one connection: read a line, answer it, until the client closes or the server stops. */
    private void serve(SocketChannel client) {
        try (InputStream in = Channels.newInputStream(client)) {
            LineReader lines = new LineReader(in, MAX_LINE);
            LineReader.Line line;
            while (!closed && (line = lines.next()) != null) {
                RequestHandler.Reply reply;
                if (line.tooLarge()) {
                    reply = handler.tooLarge(line.length());
                } else if (isBlank(line.bytes())) {
                    continue;
                } else {
                    reply = handler.handle(line.bytes(), out -> write(client, out));
                }
                try {
                    write(client, reply.body());
                } finally {
                    if (reply.after() != null) {
                        reply.after().run(); // even when the client left without reading the answer
                    }
                }
            }
        } catch (ClosedChannelException e) {
            // closed by the server while stopping, or by the client
        } catch (IOException e) {
            if (!closed) {
                LOG.log(System.Logger.Level.DEBUG, "admin connection ended: " + e);
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "admin connection failed", e);
        } finally {
            drop(client);
        }
    }

    private static boolean isBlank(byte[] line) {
        for (byte b : line) {
            if (b != ' ' && b != '\t') {
                return false;
            }
        }
        return true;
    }

    private static void write(SocketChannel client, JsonObject response) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap((response.toString() + "\n").getBytes(StandardCharsets.UTF_8));
        synchronized (client) {
            while (bytes.hasRemaining()) {
                client.write(bytes);
            }
        }
    }

    private void drop(SocketChannel client) {
        connections.remove(client);
        try {
            client.close();
        } catch (IOException ignored) {
            // closing is all we wanted
        }
    }

    /** Stop accepting, cancel running load generators, close every connection and remove the socket file. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        handler.close();
        try {
            if (server != null) {
                server.close();
            }
        } catch (IOException ignored) {
            // nothing left to do with it
        }
        for (SocketChannel c : connections) {
            drop(c);
        }
        pool.shutdownNow();
        try {
            if (acceptor != null) {
                acceptor.join(TimeUnit.SECONDS.toMillis(5));
            }
            if (!pool.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.log(System.Logger.Level.WARNING, "admin connections still running after 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            if (server != null) {
                Files.deleteIfExists(socket);
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot remove admin socket " + socket + ": " + e);
        }
    }
}
