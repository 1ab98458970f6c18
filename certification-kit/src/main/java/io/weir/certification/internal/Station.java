package io.weir.certification.internal;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.weir.filter.FilterFactory;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;
import io.weir.vscsi.DiskException;
import io.weir.vscsi.LayerInfo;
import io.weir.vscsi.SwapReport;
import io.weir.vscsi.standalone.StandaloneDisk;

/** One kit disk with the candidate in its stack, and the means to drive and observe it. */
public final class Station implements AutoCloseable {
    /** Tags of the kit's requests start here, far from the small numbers filters tend to use. */
    public static final long TAG_BASE = 0x5EED_0000_0000L;

    /** A request the kit submitted: how many times and when (on the tap's clock) it completed. */
    public static final class Pending {
        public final IoRequest request;
        final CompletableFuture<IoStatus> first = new CompletableFuture<>();
        final AtomicInteger completions = new AtomicInteger();
        volatile long completedAt = -1;

        Pending(IoRequest request) {
            this.request = request;
        }

        /** Times the guest's callback was called. */
        public int completions() {
            return completions.get();
        }

        /** The clock reading of the first completion; -1 before it. */
        public long completedAt() {
            return completedAt;
        }

        public boolean isDone() {
            return first.isDone();
        }

        /** The first completion's status, waiting at most {@code timeout}; null when it did not come. */
        public IoStatus await(Duration timeout) throws InterruptedException {
            try {
                return first.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                return null;
            } catch (ExecutionException e) {
                throw new IllegalStateException(e.getCause());
            }
        }

        public CompletableFuture<IoStatus> future() {
            return first;
        }
    }

    private final StandaloneDisk disk;
    private final TapBackend tap;
    private final Observation observation;
    private final String candidateName;
    private final FilterFactory candidateFactory;
    private final Map<String, Object> candidateConfig;
    private final CheckContext context;
    private final Rig.Layout layout;
    private final AtomicLong tags = new AtomicLong(TAG_BASE);
    private boolean closed;

    Station(StandaloneDisk disk, TapBackend tap, Observation observation, String candidateName,
            FilterFactory candidateFactory, Map<String, Object> candidateConfig, CheckContext context, Rig.Layout layout) {
        this.disk = disk;
        this.tap = tap;
        this.observation = observation;
        this.candidateName = candidateName;
        this.candidateFactory = candidateFactory;
        this.candidateConfig = Map.copyOf(candidateConfig);
        this.context = context;
        this.layout = layout;
    }

    /** Swap the candidate on this live disk for a fresh instance from its factory (observed like the first). */
    public SwapReport swapCandidate(Duration deadline) throws DiskException, InterruptedException {
        return disk.swap(candidateName, candidateFactory, candidateConfig, deadline);
    }

    public StandaloneDisk disk() {
        return disk;
    }

    public String id() {
        return disk.id();
    }

    public TapBackend tap() {
        return tap;
    }

    public Observation observation() {
        return observation;
    }

    public Rig.Layout layout() {
        return layout;
    }

    /** A tag no other kit request on this disk carries. */
    public long tag() {
        return tags.incrementAndGet();
    }

    /** Whether {@code tag} is one the kit handed out on this disk. */
    public boolean isKitTag(long tag) {
        return tag > TAG_BASE && tag <= tags.get();
    }

    /** Submit {@code request}; blocks only while the disk's queue is full. */
    public Pending submit(IoRequest request) throws InterruptedException {
        Pending p = new Pending(request);
        disk.submit(request, status -> {
            if (p.completions.incrementAndGet() == 1) {
                p.completedAt = tap.tick();
                p.first.complete(status);
            }
        });
        return p;
    }

    /** Submit {@code request} and wait for it (at most the disk's deadline); null when it did not complete. */
    public IoStatus run(IoRequest request) throws InterruptedException {
        return submit(request).await(layout.deadline());
    }

    /** A WRITE of {@code data} at {@code offset}. */
    public IoRequest write(long offset, byte[] data, boolean fua) {
        return IoRequest.write(tag(), offset, ByteBuffer.wrap(data.clone()), fua);
    }

    /** A READ of {@code length} bytes at {@code offset} into a fresh buffer. */
    public IoRequest read(long offset, int length) {
        return IoRequest.read(tag(), offset, ByteBuffer.allocate(length));
    }

    /** The bytes a completed READ brought back. */
    public static byte[] bytes(IoRequest read) {
        ByteBuffer b = read.data().duplicate();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    /** The candidate's layer as the core reports it now. */
    public LayerInfo candidateLayer() {
        return disk.info().stack().stream().filter(l -> l.filterName().equals(candidateName)).findFirst()
                .orElseThrow(() -> new IllegalStateException("disk '" + id() + "' has no layer '" + candidateName
                        + "'"));
    }

    /** Whether the core has reported a fault or fenced the candidate on this disk. */
    public boolean candidateFaulted() {
        LayerInfo l = candidateLayer();
        return l.faults() > 0 || l.isFenced();
    }

    /** The core's account of the candidate's faults on this disk, for evidence. */
    public String faultSummary() {
        LayerInfo l = candidateLayer();
        return l.faults() + " fault(s)" + (l.isFenced() ? ", fenced: " + l.fenced() : "")
                + (disk.info().reason().isEmpty() ? "" : "; disk reason: " + disk.info().reason());
    }

    private void account() {
        LayerInfo l = candidateLayer();
        context.ledger().record(new FaultLedger.Entry(context.checkId(), id(), l.faults(), l.fenced(),
                disk.info().reason()));
    }

    /** Close the disk (CLOSE, DETACH) and its backend, then record the candidate's condition in the ledger. */
    @Override
    public void close() throws DiskException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            disk.close();
        } finally {
            account();
        }
    }
}
