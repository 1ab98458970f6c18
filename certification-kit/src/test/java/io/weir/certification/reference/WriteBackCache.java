package io.weir.certification.reference;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import io.weir.filter.ControlEvent;
import io.weir.filter.Filter;
import io.weir.filter.FilterContext;
import io.weir.filter.FilterFactory;
import io.weir.filter.FilterRefusedException;
import io.weir.filter.IoChain;
import io.weir.filter.IoError;
import io.weir.filter.IoOp;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;

/**
 * A correct, small write-back CACHE for tests. Writes are absorbed into memory, block by block, and complete at
 * once; a bounded number of dirty blocks is held, and a write that finds no room waits for a write-back. A
 * write-back ("batch") writes every dirty block below and then FLUSHes; one batch runs at a time, so an older
 * copy of a block never lands after a newer one. FLUSH and FUA complete when a batch that covers them completed;
 * WRITE_ZEROES and UNMAP go down after one. Reads go down and the dirty blocks (as they were when the read
 * arrived) are laid over what comes back. Snapshot, migrate, swap and detach write back first, on the control
 * thread, within the event's deadline. Failed write-backs keep their blocks dirty and fail what waited on them.
 */
public class WriteBackCache implements FilterFactory {
    /** The most dirty blocks an instance holds. */
    public static final int MAX_DIRTY_BLOCKS = 64;

    private final int maxDirtyBlocks;

    public WriteBackCache() {
        this(MAX_DIRTY_BLOCKS);
    }

    /** A cache that holds at most {@code maxDirtyBlocks} dirty blocks in memory. */
    protected WriteBackCache(int maxDirtyBlocks) {
        this.maxDirtyBlocks = maxDirtyBlocks;
    }

    @Override
    public Filter create(FilterContext context) {
        return new Instance(context, maxDirtyBlocks);
    }

    private static final class Instance implements Filter {
        private final FilterContext context;
        private final int block;
        private final AtomicLong ownTags = new AtomicLong(1L << 62);
        private TreeMap<Long, byte[]> dirty = new TreeMap<>();
        private Map<Long, byte[]> writingBack = Map.of();
        private boolean batchRunning;
        private List<Consumer<IoStatus>> waitingForBatch = new ArrayList<>();
        private List<Consumer<IoStatus>> waitingForNext = new ArrayList<>();
        private final List<IoChain> waitingForRoom = new ArrayList<>();
        private final Map<IoRequest, Map<Long, byte[]>> overlays = new java.util.concurrent.ConcurrentHashMap<>();

        private final int maxDirty;

        Instance(FilterContext context, int maxDirty) {
            this.context = context;
            this.block = context.blockSize();
            this.maxDirty = maxDirty;
        }

        @Override
        public void handle(IoRequest request, IoChain chain) {
            switch (request.op()) {
                case WRITE -> write(chain);
                case READ -> {
                    Map<Long, byte[]> overlay = cachedBlocks(request);
                    if (!overlay.isEmpty()) {
                        overlays.put(request, overlay);
                    }
                    chain.pass();
                }
                case FLUSH -> writeBack(status -> finish(chain, status));
                default -> writeBack(status -> {
                    if (status.isOk()) {
                        chain.pass();
                    } else {
                        finish(chain, status);
                    }
                });
            }
        }

        private synchronized Map<Long, byte[]> cachedBlocks(IoRequest r) {
            Map<Long, byte[]> found = new HashMap<>();
            for (long b = r.offset(); b < r.end(); b += block) {
                byte[] d = dirty.get(b);
                if (d == null) {
                    d = writingBack.get(b);
                }
                if (d != null) {
                    found.put(b, d);
                }
            }
            return found;
        }

        @Override
        public IoStatus completed(IoRequest request, IoStatus status) {
            Map<Long, byte[]> overlay = overlays.remove(request);
            if (overlay != null && status.isOk()) {
                ByteBuffer buf = request.data();
                overlay.forEach((b, d) -> buf.duplicate().position(buf.position() + (int) (b - request.offset()))
                        .put(d));
            }
            return status;
        }

        private void write(IoChain chain) {
            IoRequest r = chain.request();
            boolean absorbed;
            synchronized (this) {
                absorbed = dirty.size() + r.length() / block <= maxDirty || r.length() / block > maxDirty
                        && dirty.isEmpty();
                if (absorbed) {
                    ByteBuffer src = r.data().duplicate();
                    for (long b = r.offset(); b < r.end(); b += block) {
                        byte[] d = new byte[block];
                        src.get(d);
                        dirty.put(b, d);
                    }
                } else {
                    waitingForRoom.add(chain);
                }
            }
            if (!absorbed) {
                writeBack(status -> {
                });
            } else if (r.fua()) {
                writeBack(status -> finish(chain, status));
            } else {
                chain.complete();
            }
        }

        private static void finish(IoChain chain, IoStatus status) {
            if (status.isOk()) {
                chain.complete();
            } else {
                chain.fail(status.error(), status.message());
            }
        }

        /** Call {@code then} once everything dirty now is written back and flushed below. */
        private void writeBack(Consumer<IoStatus> then) {
            boolean start;
            synchronized (this) {
                if (batchRunning) {
                    waitingForNext.add(then);
                    return;
                }
                waitingForBatch.add(then);
                start = true;
                batchRunning = true;
            }
            if (start) {
                startBatch();
            }
        }

        private void startBatch() {
            Map<Long, byte[]> batch;
            synchronized (this) {
                batch = dirty;
                writingBack = batch;
                dirty = new TreeMap<>();
            }
            List<IoRequest> writes = runs(batch);
            AtomicInteger left = new AtomicInteger(writes.size());
            IoStatus[] failure = new IoStatus[1];
            Runnable flush = () -> context.submit(IoRequest.flush(ownTags.incrementAndGet()),
                    status -> endBatch(batch, failure[0] != null ? failure[0] : status));
            if (writes.isEmpty()) {
                flush.run();
                return;
            }
            for (IoRequest w : writes) {
                context.submit(w, status -> {
                    if (!status.isOk()) {
                        synchronized (failure) {
                            failure[0] = status;
                        }
                    }
                    if (left.decrementAndGet() == 0) {
                        flush.run();
                    }
                });
            }
        }

        /** Contiguous dirty blocks as one WRITE each. */
        private List<IoRequest> runs(Map<Long, byte[]> batch) {
            List<IoRequest> out = new ArrayList<>();
            List<Long> keys = new ArrayList<>(new TreeMap<>(batch).keySet());
            int i = 0;
            while (i < keys.size()) {
                int j = i;
                while (j + 1 < keys.size() && keys.get(j + 1) == keys.get(j) + block
                        && (j + 2 - i) * block <= context.maxRequestLength()) {
                    j++;
                }
                ByteBuffer data = ByteBuffer.allocate((j - i + 1) * block);
                for (int k = i; k <= j; k++) {
                    data.put(batch.get(keys.get(k)));
                }
                data.flip();
                out.add(IoRequest.write(ownTags.incrementAndGet(), keys.get(i), data, false));
                i = j + 1;
            }
            return out;
        }

        private void endBatch(Map<Long, byte[]> batch, IoStatus status) {
            List<Consumer<IoStatus>> done;
            List<IoChain> retry;
            boolean again;
            synchronized (this) {
                if (!status.isOk()) {
                    batch.forEach(dirty::putIfAbsent); // not written: still dirty, unless overwritten since
                }
                writingBack = Map.of();
                done = waitingForBatch;
                waitingForBatch = waitingForNext;
                waitingForNext = new ArrayList<>();
                retry = new ArrayList<>(waitingForRoom);
                waitingForRoom.clear();
                again = !waitingForBatch.isEmpty();
                batchRunning = again;
            }
            IoStatus reported = status.isOk() ? status
                    : IoStatus.failed(status.error() == null ? IoError.IO : status.error(),
                    "write-back failed: " + status.message());
            done.forEach(c -> c.accept(reported));
            retry.forEach(this::write);
            if (again) {
                startBatch();
            }
        }

        @Override
        public void onEvent(ControlEvent event) throws FilterRefusedException {
            ControlEvent.Kind k = event.kind();
            if (k == ControlEvent.Kind.SNAPSHOT_PREPARE || k == ControlEvent.Kind.MIGRATE_OUT
                    || k == ControlEvent.Kind.SWAP_OUT || k == ControlEvent.Kind.DETACH) {
                CompletableFuture<IoStatus> done = new CompletableFuture<>();
                writeBack(done::complete);
                IoStatus status;
                try {
                    long left = Duration.between(Instant.now(), event.deadline()).toMillis();
                    status = done.get(Math.max(1, left), TimeUnit.MILLISECONDS);
                } catch (Exception e) {
                    status = IoStatus.failed(IoError.TIMED_OUT, "write-back did not finish: " + e);
                }
                if (!status.isOk() && k.refusable()) {
                    throw new FilterRefusedException("cannot write back dirty data before " + k + ": " + status);
                }
            }
        }
    }
}
