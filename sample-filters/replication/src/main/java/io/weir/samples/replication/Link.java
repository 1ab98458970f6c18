package io.weir.samples.replication;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.List;

import javax.net.ssl.SSLSocket;

/**
 * The connection of one filter instance to its replica: a thread that connects (mutual TLS), says HELLO, then sends
 * the instance's frames in order, and a second thread that reads the replica's acknowledgements. On any failure it
 * reports to the instance, waits and connects again, until stopped.
 */
final class Link {
    /** A connection is given up when the replica is silent this long (it answers every ping). */
    static final int SILENCE_MILLIS = 5000;
    private static final int PING_MILLIS = 1000;
    private static final int CONNECT_MILLIS = 3000;
    private static final long MAX_BACKOFF_MILLIS = 30_000;

    private final ReplicationFilter owner;
    private final String host;
    private final int port;
    private final TlsCredentials tls;
    private final boolean verifyHostname;
    private final long reconnectMillis;
    private final Thread thread;
    private volatile boolean stopped;
    private volatile SSLSocket socket;

    Link(ReplicationFilter owner, String host, int port, TlsCredentials tls, boolean verifyHostname,
         long reconnectMillis) {
        this.owner = owner;
        this.host = host;
        this.port = port;
        this.tls = tls;
        this.verifyHostname = verifyHostname;
        this.reconnectMillis = reconnectMillis;
        this.thread = new Thread(this::run, "weir-replication-" + owner.diskId());
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Drop the current connection (the link reconnects). */
    void abort() {
        SSLSocket s = socket;
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }

    /**
     * Stop for good. Waits a moment for the threads to end; a connection attempt in progress may outlive it (at most
     * the connect and handshake timeouts) but can no longer reach the instance, whose session has moved on.
     */
    void stop() {
        stopped = true;
        abort();
        thread.interrupt();
        if (Thread.currentThread() != thread) {
            try {
                thread.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run() {
        long delay = reconnectMillis;
        while (!stopped) {
            long session = owner.session();
            Thread reader = null;
            try {
                SSLSocket s = tls.connect(host, port, CONNECT_MILLIS, verifyHostname);
                socket = s;
                if (stopped) {
                    break;
                }
                s.setSoTimeout(SILENCE_MILLIS);
                DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream(), 64 << 10));
                OutputStream out = new BufferedOutputStream(s.getOutputStream(), 256 << 10);
                new Frame(Frame.HELLO, 0, 0, owner.hello()).writeTo(out);
                out.flush();
                Frame welcome = Frame.readFrom(in);
                if (welcome.type == Frame.ERROR) {
                    throw new IOException("replica refused the stream: " + Frame.readUtf8(welcome.payload));
                }
                if (welcome.type != Frame.WELCOME) {
                    throw new Frame.ProtocolException("expected WELCOME, got type " + welcome.type);
                }
                ByteBuffer w = welcome.payload;
                int version = w.getShort() & 0xffff;
                if (version != Frame.PROTOCOL) {
                    throw new Frame.ProtocolException("replica chose protocol version " + version);
                }
                boolean known = w.get() == 0;
                if (!owner.welcomed(session, known)) {
                    continue;
                }
                delay = reconnectMillis;
                reader = new Thread(() -> readAcks(session, in), "weir-replication-ack-" + owner.diskId());
                reader.setDaemon(true);
                reader.start();
                send(session, out);
            } catch (IOException e) {
                if (!stopped) {
                    owner.linkFailed(session, host + ":" + port + ": " + describe(e));
                }
            } catch (InterruptedException e) {
                if (!stopped) {
                    owner.linkFailed(session, "interrupted");
                }
            } finally {
                abort();
                socket = null;
                if (reader != null) {
                    try {
                        reader.join(10_000);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
            if (!stopped) {
                owner.linkFailed(session, "connection closed");
                try {
                    Thread.sleep(delay);
                } catch (InterruptedException e) {
                    // stop() interrupts; otherwise try again now
                }
                // Back off while the replica stays unreachable or keeps refusing, up to 30 s between attempts.
                delay = Math.min(Math.max(delay, 1) * 2, Math.max(reconnectMillis, MAX_BACKOFF_MILLIS));
            }
        }
    }

    private void send(long session, OutputStream out) throws IOException, InterruptedException {
        while (!stopped) {
            List<Frame> frames = owner.takeFrames(session, PING_MILLIS);
            if (frames == null) {
                return;
            }
            if (frames.isEmpty()) {
                new Frame(Frame.PING, 0, 0, null).writeTo(out);
            } else {
                long bytes = 0;
                for (Frame f : frames) {
                    f.writeTo(out);
                    bytes += f.wireSize();
                }
                owner.sent(bytes);
            }
            out.flush();
        }
    }

    private void readAcks(long session, DataInputStream in) {
        try {
            while (!stopped) {
                Frame f = Frame.readFrom(in);
                if (f.type == Frame.ACK) {
                    owner.acknowledged(session, f.seq);
                } else if (f.type == Frame.ERROR) {
                    throw new IOException("replica reported: " + Frame.readUtf8(f.payload));
                } else {
                    throw new Frame.ProtocolException("unexpected frame type " + f.type + " from the replica");
                }
            }
        } catch (IOException e) {
            if (!stopped) {
                owner.linkFailed(session, host + ":" + port + ": " + describe(e));
            }
        } finally {
            abort();
        }
    }

    private static String describe(IOException e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
