package io.weir.frontend.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.weir.backend.ForwardingBackend;
import io.weir.backend.InlineIo;
import io.weir.backend.memory.MemoryBackend;
import io.weir.filter.IoCallback;
import io.weir.filter.IoRequest;
import io.weir.vscsi.standalone.Disks;
import io.weir.vscsi.standalone.StandaloneDisk;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** When the reader offers its thread to the backend (InlineIo), and that abort never interrupts backend I/O. */
class NbdInlineIoTest {
    private static final long CAPACITY = 16L << 20;

    /** The memory backend, recording for each request whether its submitter offered its thread. */
    private static final class Recording extends ForwardingBackend {
        final MemoryBackend memory;
        final List<Boolean> offered = new CopyOnWriteArrayList<>();
        final List<Boolean> interruptedDuringIo = new CopyOnWriteArrayList<>();
        volatile CountDownLatch entered;
        volatile CountDownLatch release;

        Recording() {
            this(MemoryBackend.durable(CAPACITY));
        }

        private Recording(MemoryBackend memory) {
            super(memory);
            this.memory = memory;
        }

        @Override
        public void submit(IoRequest request, IoCallback callback) {
            boolean offer = InlineIo.offered();
            offered.add(offer);
            CountDownLatch hold = release;
            if (offer && hold != null) {
                // Stands for a slow pread on the reader thread: an interrupt now would close a file channel.
                entered.countDown();
                boolean interrupted = false;
                while (true) {
                    try {
                        if (hold.await(1, TimeUnit.MINUTES)) {
                            break;
                        }
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                interruptedDuringIo.add(interrupted || Thread.currentThread().isInterrupted());
            }
            memory.submit(request, callback);
        }

    }

    private final Recording backend = new Recording();
    private StandaloneDisk disk;
    private NbdServer server;

    @BeforeEach
    void start() throws Exception {
        disk = Disks.builder("disk").blockSize(512).maxRequestLength(1 << 20).backend(backend).open();
        server = new NbdServer(Exports.of(Map.of("disk", disk)),
                new NbdServer.Settings(Duration.ofSeconds(30), 4, 16, 4L << 20));
        server.listenTcp("127.0.0.1", 0);
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        disk.close();
    }

    private static byte[] header(int type, long handle, long offset, int length) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream d = new DataOutputStream(bytes)) {
            d.writeInt(Nbd.REQUEST_MAGIC);
            d.writeShort(0);
            d.writeShort(type);
            d.writeLong(handle);
            d.writeLong(offset);
            d.writeInt(length);
        }
        return bytes.toByteArray();
    }

    @Test
    void aLoneReadOrWriteOffersTheReaderThreadButOneWithAnotherRequestBehindItDoesNot() throws Exception {
        byte[] data = new byte[4096];
        data[7] = 42;
        try (RawClient c = new RawClient(server.tcpPort()).go("disk")) {
            assertEquals(0, c.write(1, 0, data, 0).error());
            assertArrayEquals(data, c.read(2, 0, 4096));
            assertEquals(List.of(true, true), backend.offered);
            backend.offered.clear();
            // Two READs in one segment: the first has the second buffered behind it, the second is alone.
            ByteArrayOutputStream both = new ByteArrayOutputStream();
            both.write(header(Nbd.CMD_READ, 3, 0, 4096));
            both.write(header(Nbd.CMD_READ, 4, 4096, 4096));
            c.out.write(both.toByteArray());
            c.out.flush();
            for (int i = 0; i < 2; i++) {
                RawClient.Reply r = c.reply();
                assertEquals(0, r.error());
                c.in.readFully(new byte[4096]);
            }
            assertEquals(List.of(false, true), backend.offered);
        }
    }

    @Test
    void serverAbortNeverInterruptsAReaderCarryingBackendIoAndTheConnectionStillEnds() throws Exception {
        backend.entered = new CountDownLatch(1);
        backend.release = new CountDownLatch(1);
        try (RawClient c = new RawClient(server.tcpPort()).go("disk")) {
            c.request(0, Nbd.CMD_READ, 1, 0, 4096);
            c.out.flush();
            assertTrue(backend.entered.await(1, TimeUnit.MINUTES));
            Thread closer = new Thread(() -> server.close(Duration.ofMillis(50))); // drains, then aborts
            closer.start();
            closer.join(TimeUnit.MINUTES.toMillis(1));
            assertFalse(closer.isAlive());
            backend.release.countDown();
            // The socket closed at the abort; the reader itself ends only once its I/O is over.
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
            while (server.connectionCount() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(0, server.connectionCount(), "the reader ended once its I/O was over");
            assertEquals(List.of(false), backend.interruptedDuringIo);
            assertTrue(c.closedByServer());
        }
    }
}
