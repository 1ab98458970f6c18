package io.weir.backend.file;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import io.weir.backend.BackendSpec;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;

/**
 * Child process of {@link FileBackendCrashTest}: writes numbered 4 KiB blocks to a file disk and prints
 * {@code ACK n} on standard output once block {@code n} is durable, until it is killed.
 *
 * <p>Arguments: the disk's directory, its capacity in bytes, and {@code fua} (every write carries FUA) or
 * {@code flush} (batches of concurrent writes, then a FLUSH; the batch is acknowledged after the FLUSH).
 */
public final class CrashWriter {
    static final int BLOCK = 4096;
    static final int BATCH = 8;

    private CrashWriter() {
    }

    /** The contents written to block {@code n}. */
    static byte[] content(int n) {
        byte[] bytes = new byte[BLOCK];
        ByteBuffer.wrap(bytes).putLong(0, n);
        for (int i = 8; i < BLOCK; i++) {
            bytes[i] = (byte) (n * 31 + i);
        }
        return bytes;
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        long capacity = Long.parseLong(args[1]);
        boolean fua = args[2].equals("fua");
        FileBackend backend = FileBackend.open(new BackendSpec("crash", capacity, BLOCK, dir, Map.of()));
        int blocks = (int) (capacity / BLOCK);
        for (int first = 0; first < blocks; first += BATCH) {
            List<CompletableFuture<IoStatus>> writes = new ArrayList<>();
            int last = Math.min(blocks, first + BATCH);
            for (int n = first; n < last; n++) {
                writes.add(submit(backend, IoRequest.write(n, (long) n * BLOCK, ByteBuffer.wrap(content(n)), fua)));
            }
            for (CompletableFuture<IoStatus> w : writes) {
                check(w.get());
            }
            if (!fua) {
                check(submit(backend, IoRequest.flush(first)).get());
            }
            StringBuilder acks = new StringBuilder();
            for (int n = first; n < last; n++) {
                acks.append("ACK ").append(n).append('\n');
            }
            System.out.print(acks);
            System.out.flush();
        }
        System.out.println("DONE");
        backend.close();
    }

    private static CompletableFuture<IoStatus> submit(FileBackend backend, IoRequest request) {
        CompletableFuture<IoStatus> done = new CompletableFuture<>();
        backend.submit(request, done::complete);
        return done;
    }

    private static void check(IoStatus status) {
        if (!status.isOk()) {
            throw new IllegalStateException(status.toString());
        }
    }
}
