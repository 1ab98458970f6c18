package io.weir.frontend.nbd;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import io.weir.backend.memory.MemoryBackend;
import io.weir.filter.FilterClass;
import io.weir.filter.IoOp;
import io.weir.vscsi.standalone.Disks;
import io.weir.vscsi.standalone.StandaloneDisk;

/**
 * A server on an ephemeral TCP port exporting two memory disks, {@code disk} (512-byte blocks, all
 * capabilities) and {@code other} (4096-byte blocks), each with a counting INSPECTION filter in its stack.
 */
final class Fixture implements AutoCloseable {
    static final long CAPACITY = 16L << 20;

    final MemoryBackend backend = MemoryBackend.durable(CAPACITY);
    final MemoryBackend otherBackend = MemoryBackend.durable(CAPACITY);
    final AtomicLong writesSeen = new AtomicLong();
    final AtomicLong requestsSeen = new AtomicLong();
    final StandaloneDisk disk;
    final StandaloneDisk other;
    final NbdServer server;

    Fixture() throws Exception {
        this(1 << 20, Duration.ofSeconds(30));
    }

    Fixture(int maxRequestLength, Duration handshakeTimeout) throws Exception {
        disk = Disks.builder("disk").blockSize(512).maxRequestLength(maxRequestLength).backend(backend)
                .filter("counter", FilterClass.INSPECTION, ctx -> (request, chain) -> {
                    requestsSeen.incrementAndGet();
                    if (request.op() == IoOp.WRITE) {
                        writesSeen.incrementAndGet();
                    }
                    chain.pass();
                }, Map.of()).open();
        other = Disks.builder("other").blockSize(4096).maxRequestLength(maxRequestLength).backend(otherBackend)
                .open();
        server = new NbdServer(Exports.of(Map.of("disk", disk, "other", other)),
                new NbdServer.Settings(handshakeTimeout, 32, 16, 4L << 20));
        server.listenTcp("127.0.0.1", 0);
    }

    int port() {
        return server.tcpPort();
    }

    String uri(String export) {
        return "nbd://127.0.0.1:" + port() + "/" + export;
    }

    @Override
    public void close() throws io.weir.vscsi.DiskException {
        server.close();
        disk.close();
        other.close();
    }
}
