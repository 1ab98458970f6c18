package io.weir.samples.replication;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.weir.filter.ControlEvent;
import io.weir.filter.Filter;
import io.weir.filter.FilterContext;
import io.weir.filter.FilterRefusedException;
import io.weir.filter.IoChain;
import io.weir.filter.IoError;
import io.weir.filter.IoOp;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;
import io.weir.filter.StateHandoff;
import io.weir.samples.replication.ReplicationMetrics.LinkState;

/**
 * The replication filter on one disk. See the module's README for the guarantees; in short:
 *
 * <ul>
 *   <li><b>Activity bitmap.</b> Before a write reaches the layer below, every region it touches is marked in the
 *       bitmap persisted in the sidecar. A region is cleared (lazily) only once the replica acknowledged every
 *       frame that touched it as durable. So after any crash, the persisted bitmap covers every region where the
 *       replica may lack a write, and those regions are copied again (resync).</li>
 *   <li><b>Stream.</b> Writes enter the stream, in handling order, when they are passed down; a FLUSH enters as a
 *       barrier before it is passed down, so every write it covers is ahead of it. The replica applies the stream
 *       in order and makes it durable at each barrier: it is always a FLUSH-consistent prefix of the disk.</li>
 *   <li><b>Synchronous mode.</b> The filter writes locally itself ({@link FilterContext#submit}) and completes the
 *       guest's write once the local write and the replica's durable acknowledgement are both in.</li>
 *   <li><b>Link loss.</b> Frames not acknowledged turn into dirty regions; new writes are tracked; on reconnection
 *       the dirty regions are read from the local disk and sent, while new writes keep streaming.</li>
 * </ul>
 *
 * Locking: one monitor ({@code lock}) guards all state; nothing calls the chain, the context or the sidecar while
 * holding it. Sidecar writes are serialized by {@code sidecarLock}, taken before {@code lock}.
 */
final class ReplicationFilter implements Filter {
    private static final System.Logger LOG = System.getLogger(ReplicationFilter.class.getName());
    static final String STATE_KEY = "replication.state";
    private static final int STATE_VERSION = 1;
    private static final long TICK_MILLIS = 100;
    private static final Duration LAZY_START = Duration.ofMillis(500);

    /** A guest request the filter holds. */
    private record Held(IoRequest request, IoChain chain, long since) {
    }

    /** A frame in the stream not yet acknowledged durable. */
    private record Sent(long seq, long enqueuedNanos, int bytes) {
    }

    /** A synchronous write: completes once both copies are durable. */
    private static final class SyncWrite {
        final Held held;
        final long seq;
        IoStatus local;
        boolean replicated;
        boolean replicaLost;

        SyncWrite(Held held, long seq) {
            this.held = held;
            this.seq = seq;
        }
    }

    private final ReplicationFilterFactory factory;
    private final FilterContext ctx;
    private final String diskId;
    private final boolean sync;
    private final boolean failOnReplicaLoss;
    private final String target;
    private final String host;
    private final int port;
    private final TlsCredentials tls;
    private final boolean verifyHostname;
    private final long bufferLimit;
    private final int regionShift;
    private final long syncTimeoutNanos;
    private final long backpressureNanos;
    private final long reconnectMillis;
    private final long clearNanos;
    private final int activeRegions;
    private final boolean sidecarUsable;

    private final Object lock = new Object();
    private final Object sidecarLock = new Object();

    // ---- state guarded by lock ----
    private byte[] streamId;
    private boolean fresh;
    private int regions;
    private BitSet persisted = new BitSet();
    private final BitSet pendingMark = new BitSet();
    private final BitSet dirty = new BitSet();
    /** Regions written since the last clearing pass: kept marked, so a busy region costs no sidecar write. */
    private final BitSet recent = new BitSet();
    private long[] lastSeq;
    private int[] inflight;
    private long[] generation;
    private final ArrayDeque<Held> waitingForMark = new ArrayDeque<>();
    private boolean persistScheduled;
    /** The stream state (not only the bitmap) changed and must be written to the sidecar on the next persist. */
    private boolean freshDirty;
    private String sidecarError;

    private LinkState state;
    private long session;
    private final ArrayDeque<Frame> outbox = new ArrayDeque<>();
    private final ArrayDeque<Sent> pending = new ArrayDeque<>();
    private long nextSeq = 1;
    private long ackedSeq;
    private long lagBytes;
    private final ArrayDeque<Held> backpressured = new ArrayDeque<>();
    private final ArrayDeque<SyncWrite> syncWrites = new ArrayDeque<>();
    private long announcedCapacity;
    private long dirtySinceNanos = -1;
    private long resyncTotal;
    private long resyncDone;
    private long sentBytes;
    private long degraded;
    private long failed;
    private long connects;
    private long overflows;
    private String lastError;
    private boolean stunned;
    private boolean stopped;
    private volatile boolean linkStarted;
    private volatile Link link;
    /** Handed its state to a successor (SWAP_OUT, MIGRATE_OUT): the sidecar is no longer this instance's. */
    private boolean handedOff;
    /** Handled at least one request: a clean DETACH may then clear what the replica holds from the sidecar. */
    private volatile boolean served;
    private Future<?> ticker;
    private long lastClearNanos = System.nanoTime();

    ReplicationFilter(ReplicationFilterFactory factory, FilterContext ctx, ReplicationSettings s, TlsCredentials tls)
            throws FilterRefusedException {
        this.factory = factory;
        this.ctx = ctx;
        this.diskId = ctx.diskId();
        ctx.metrics(() -> metrics().asMap());
        String mode = s.replication_mode().trim().toLowerCase(java.util.Locale.ROOT);
        if (!mode.equals("sync") && !mode.equals("async")) {
            throw new FilterRefusedException("replication.mode must be 'sync' or 'async', got '" + mode + "'");
        }
        this.sync = mode.equals("sync");
        String onFailure = s.replication_sync_onFailure().trim().toLowerCase(java.util.Locale.ROOT);
        if (!onFailure.equals("degrade") && !onFailure.equals("fail")) {
            throw new FilterRefusedException("replication.sync.onFailure must be 'degrade' or 'fail', got '"
                    + onFailure + "'");
        }
        this.failOnReplicaLoss = onFailure.equals("fail");
        this.target = s.replication_target().trim();
        if (target.isEmpty()) {
            host = null;
            port = 0;
        } else {
            int colon = target.lastIndexOf(':');
            try {
                host = target.substring(0, colon).replace("[", "").replace("]", "");
                port = Integer.parseInt(target.substring(colon + 1));
                if (colon <= 0 || port < 1 || port > 65535) {
                    throw new NumberFormatException();
                }
            } catch (RuntimeException e) {
                throw new FilterRefusedException("replication.target must be host:port, got '" + target + "'");
            }
            if (tls == null) {
                throw new FilterRefusedException("replication.target is set but the key material is not: set "
                        + "replication.keystore, replication.keystore.passwordFile and replication.trust");
            }
        }
        this.tls = tls;
        this.verifyHostname = s.replication_tls_verifyHostname();
        int regionBytes = s.replication_region_bytes();
        if (Integer.bitCount(regionBytes) != 1 || regionBytes < ctx.blockSize()
                || regionBytes > ctx.maxRequestLength()) {
            throw new FilterRefusedException("replication.region.bytes must be a power of two between the block "
                    + "size (" + ctx.blockSize() + ") and the largest request (" + ctx.maxRequestLength() + "), got "
                    + regionBytes);
        }
        if ((long) ctx.maxRequestLength() + 8 > Frame.MAX_PAYLOAD) {
            throw new FilterRefusedException("disk '" + diskId + "': requests of up to " + ctx.maxRequestLength()
                    + " bytes do not fit a replication frame (at most " + (Frame.MAX_PAYLOAD - 8) + " bytes of data)");
        }
        this.regionShift = Integer.numberOfTrailingZeros(regionBytes);
        this.bufferLimit = positive(s.replication_buffer_bytes(), "replication.buffer.bytes");
        this.syncTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(positive(s.replication_sync_timeout_ms(),
                "replication.sync.timeout.ms"));
        this.backpressureNanos = TimeUnit.MILLISECONDS.toNanos(positive(s.replication_backpressure_ms(),
                "replication.backpressure.ms"));
        this.reconnectMillis = positive(s.replication_reconnect_ms(), "replication.reconnect.ms");
        this.clearNanos = TimeUnit.MILLISECONDS.toNanos(positive(s.replication_bitmap_clear_ms(),
                "replication.bitmap.clear.ms"));
        this.activeRegions = (int) positive(s.replication_bitmap_active_regions(), "replication.bitmap.active.regions");
        resize(ctx.capacity());
        this.announcedCapacity = ctx.capacity();
        this.state = target.isEmpty() ? LinkState.NO_TARGET : LinkState.CONNECTING;
        this.sidecarUsable = restore();
    }

    private static long positive(long v, String key) throws FilterRefusedException {
        if (v <= 0) {
            throw new FilterRefusedException(key + " must be positive, got " + v);
        }
        return v;
    }

    String diskId() {
        return diskId;
    }

    /** Load the stream identity and bitmap from the sidecar; returns whether the sidecar can be used. */
    private boolean restore() throws FilterRefusedException {
        Optional<byte[]> saved;
        try {
            saved = ctx.sidecar().get(STATE_KEY);
        } catch (IOException e) {
            LOG.log(Level.INFO, "disk '" + diskId + "': replication: no durable sidecar (" + e.getMessage()
                    + "); the dirty bitmap lives in memory and a restart resyncs the whole disk");
            sidecarError = e.getMessage();
            newStream();
            return false;
        }
        if (saved.isPresent()) {
            try {
                decodeState(saved.get(), true);
            } catch (IOException e) {
                throw new FilterRefusedException("disk '" + diskId + "': the replication state in the sidecar is "
                        + "unreadable: " + e.getMessage(), e);
            }
            // After a restart, every region that was marked may lack writes on the replica.
            dirty.or(persisted);
            noteDirty();
        } else {
            newStream();
        }
        try {
            ctx.sidecar().put(STATE_KEY, encodeState(persisted));
        } catch (IOException e) {
            throw new FilterRefusedException("disk '" + diskId + "': cannot write the replication state to the "
                    + "sidecar: " + e.getMessage(), e);
        }
        return true;
    }

    /**
     * Take the persisted bitmap from the sidecar again: another instance of this filter (a swap's other side) may
     * have changed it. Regions it cleared are marked again by their next write.
     */
    private void reloadPersisted() {
        if (!sidecarUsable) {
            return;
        }
        try {
            Optional<byte[]> saved = ctx.sidecar().get(STATE_KEY);
            if (saved.isPresent()) {
                byte[] keepId = streamId;
                boolean keepFresh = fresh;
                decodeState(saved.get(), true);
                streamId = keepId;
                fresh = keepFresh;
            } else {
                persisted = new BitSet();
            }
        } catch (IOException e) {
            // Keep what this instance believes; a failing sidecar fails the next write that needs it.
            sidecarError = e.getMessage();
        }
    }

    /** A new stream: a blank disk starts in step with an empty replica; anything else must be copied whole. */
    private void newStream() {
        UUID u = UUID.randomUUID();
        streamId = ByteBuffer.allocate(16).putLong(u.getMostSignificantBits()).putLong(u.getLeastSignificantBits())
                .array();
        fresh = ctx.blank();
        if (!fresh) {
            dirty.set(0, regions);
            noteDirty();
        }
    }

    // ---- state encoding (sidecar and handoff) --------------------------------------------------------------------

    private byte[] encodeState(BitSet bits) {
        byte[] b = bits.toByteArray();
        ByteBuffer out = ByteBuffer.allocate(1 + 16 + 1 + 4 + 8 + 4 + b.length);
        out.put((byte) STATE_VERSION).put(streamId).put((byte) (fresh ? 1 : 0)).putInt(1 << regionShift)
                .putLong(ctx.capacity()).putInt(b.length).put(b);
        return out.array();
    }

    /** Decode a saved state into {@code streamId}, {@code fresh} and (persisted or dirty) bits. */
    private void decodeState(byte[] bytes, boolean intoPersisted) throws IOException {
        try {
            ByteBuffer in = ByteBuffer.wrap(bytes);
            int version = in.get() & 0xff;
            if (version != STATE_VERSION) {
                throw new IOException("state version " + version + ", this filter reads " + STATE_VERSION);
            }
            byte[] id = new byte[16];
            in.get(id);
            boolean isFresh = in.get() != 0;
            int savedRegion = in.getInt();
            in.getLong();
            byte[] b = new byte[in.getInt()];
            in.get(b);
            BitSet saved = BitSet.valueOf(b);
            BitSet mine = new BitSet();
            if (savedRegion == 1 << regionShift) {
                mine = saved;
            } else {
                // Another region size: every region of ours that overlaps a saved one is marked.
                for (int i = saved.nextSetBit(0); i >= 0; i = saved.nextSetBit(i + 1)) {
                    long start = (long) i * savedRegion;
                    mine.set(region(start), region(start + savedRegion - 1) + 1);
                }
            }
            streamId = id;
            fresh = isFresh;
            if (intoPersisted) {
                persisted = mine;
            } else {
                dirty.clear();
                dirty.or(mine);
            }
        } catch (java.nio.BufferUnderflowException | NegativeArraySizeException e) {
            throw new IOException("state is truncated", e);
        }
    }

    // ---- geometry -----------------------------------------------------------------------------------------------

    private int region(long offset) {
        return (int) (offset >>> regionShift);
    }

    private long regionBytes() {
        return 1L << regionShift;
    }

    private void resize(long capacity) {
        int n = (int) ((capacity + regionBytes() - 1) >>> regionShift);
        if (lastSeq == null) {
            lastSeq = new long[n];
            inflight = new int[n];
            generation = new long[n];
        } else if (n > regions) {
            lastSeq = Arrays.copyOf(lastSeq, n);
            inflight = Arrays.copyOf(inflight, n);
            generation = Arrays.copyOf(generation, n);
        }
        regions = Math.max(regions, n);
    }

    // ---- data path ----------------------------------------------------------------------------------------------

    @Override
    public void handle(IoRequest request, IoChain chain) {
        served = true;
        startLinkIfDue();
        switch (request.op()) {
            case READ -> chain.pass();
            case FLUSH -> {
                synchronized (lock) {
                    if (accepting()) {
                        enqueue(Frame.BARRIER, 0, Frame.barrier(Instant.now(), Checkpoint.Cause.FLUSH), -1, -1);
                    }
                }
                chain.pass();
            }
            default -> modify(new Held(request, chain, System.nanoTime()));
        }
    }

    private void modify(Held h) {
        boolean ready = true;
        synchronized (lock) {
            int first = region(h.request().offset());
            int last = region(h.request().end() - 1);
            recent.set(first, last + 1);
            for (int i = first; i <= last; i++) {
                inflight[i]++;
                if (!persisted.get(i)) {
                    if (sidecarUsable) {
                        pendingMark.set(i);
                        ready = false;
                    } else {
                        persisted.set(i);
                    }
                }
            }
            if (!ready) {
                waitingForMark.add(h);
                schedulePersist();
            }
        }
        if (ready) {
            proceed(h);
        }
    }

    /** The regions of {@code h} are marked durably: stream it, hold it, or track it. */
    private void proceed(Held h) {
        List<Runnable> actions = new ArrayList<>();
        synchronized (lock) {
            route(h, actions);
        }
        actions.forEach(Runnable::run);
    }

    /** Decide what happens to a write whose regions are marked; the actions run after the lock is released. */
    private void route(Held h, List<Runnable> actions) {
        IoRequest r = h.request();
        int first = region(r.offset());
        int last = region(r.end() - 1);
        if (accepting()) {
            int size = Frame.HEADER + 16 + (r.op() == IoOp.WRITE ? r.length() : 4);
            if ((!backpressured.isEmpty() && backpressured.peekFirst() != h)
                    || (lagBytes > 0 && lagBytes + size > bufferLimit)) {
                if (backpressured.peekFirst() != h) {
                    backpressured.add(h);
                }
                return;
            }
            if (backpressured.peekFirst() == h) {
                backpressured.removeFirst();
            }
            for (int i = first; i <= last; i++) {
                generation[i]++;
            }
            long seq = enqueueChange(r, sync ? Frame.FLAG_SYNC : 0, first, last);
            if (sync) {
                SyncWrite w = new SyncWrite(h, seq);
                syncWrites.add(w);
                actions.add(() -> ctx.submit(r, status -> localDone(w, status)));
            } else {
                actions.add(h.chain()::pass);
            }
            return;
        }
        backpressured.remove(h);
        for (int i = first; i <= last; i++) {
            generation[i]++;
        }
        dirty.set(first, last + 1);
        noteDirty();
        if (sync && failOnReplicaLoss && state != LinkState.NO_TARGET) {
            failed++;
            for (int i = first; i <= last; i++) {
                inflight[i]--;
            }
            String why = "disk '" + diskId + "': replica " + target + " unavailable (" + state + ") and "
                    + "replication.sync.onFailure is 'fail'" + (lastError == null ? "" : ": " + lastError);
            actions.add(() -> h.chain().fail(IoError.IO, why));
            return;
        }
        if (sync && state != LinkState.NO_TARGET) {
            degraded++;
        }
        actions.add(h.chain()::pass);
    }

    @Override
    public IoStatus completed(IoRequest request, IoStatus status) {
        if (request.op().modifies()) {
            localFinished(request, status);
        }
        return status;
    }

    private void localFinished(IoRequest r, IoStatus status) {
        synchronized (lock) {
            int first = region(r.offset());
            int last = region(r.end() - 1);
            for (int i = first; i <= last; i++) {
                inflight[i]--;
            }
            if (!status.isOk()) {
                // What the replica was sent may not be what the disk holds now: copy the region again.
                dirty.set(first, last + 1);
                noteDirty();
                if (state == LinkState.STREAMING) {
                    startResync(session);
                }
            }
        }
    }

    private void localDone(SyncWrite w, IoStatus status) {
        localFinished(w.held.request(), status);
        synchronized (lock) {
            w.local = status;
        }
        finishSyncWrites();
    }

    /** Complete every synchronous write whose two copies are in (or whose replica was given up). */
    private void finishSyncWrites() {
        List<Runnable> actions = new ArrayList<>();
        synchronized (lock) {
            for (Iterator<SyncWrite> it = syncWrites.iterator(); it.hasNext(); ) {
                SyncWrite w = it.next();
                if (w.local == null || !(w.replicated || w.replicaLost)) {
                    continue;
                }
                it.remove();
                IoStatus local = w.local;
                IoChain chain = w.held.chain();
                if (!local.isOk()) {
                    actions.add(() -> chain.fail(local.error(), local.message()));
                } else if (w.replicated) {
                    actions.add(chain::complete);
                } else if (failOnReplicaLoss) {
                    failed++;
                    String why = "disk '" + diskId + "': the write is durable locally but replica " + target
                            + " failed before acknowledging it" + (lastError == null ? "" : ": " + lastError);
                    actions.add(() -> chain.fail(IoError.IO, why));
                } else {
                    degraded++;
                    actions.add(chain::complete);
                }
            }
            lock.notifyAll();
        }
        actions.forEach(Runnable::run);
    }

    // ---- the stream (all under lock) ---------------------------------------------------------------------------

    private boolean accepting() {
        return state == LinkState.CONNECTING || state == LinkState.STREAMING || state == LinkState.RESYNCING;
    }

    /** Tell the replica the disk grew before the first change beyond the size it knows; under lock. */
    private void announceUpTo(long end) {
        if (end > announcedCapacity) {
            announcedCapacity = ctx.capacity();
            enqueue(Frame.GROW, 0, ByteBuffer.allocate(8).putLong(0, announcedCapacity), -1, -1);
        }
    }

    private long enqueueChange(IoRequest r, int flags, int first, int last) {
        announceUpTo(r.end());
        ByteBuffer payload;
        int type;
        switch (r.op()) {
            case WRITE -> {
                type = Frame.WRITE;
                payload = ByteBuffer.allocate(8 + r.length());
                payload.putLong(r.offset()).put(r.data().duplicate()).flip();
            }
            case UNMAP -> {
                type = Frame.ZERO;
                flags |= Frame.FLAG_UNMAP;
                payload = ByteBuffer.allocate(12).putLong(r.offset()).putInt(r.length()).flip();
            }
            default -> {
                type = Frame.ZERO;
                payload = ByteBuffer.allocate(12).putLong(r.offset()).putInt(r.length()).flip();
            }
        }
        return enqueue(type, flags, payload, first, last);
    }

    private long enqueue(int type, int flags, ByteBuffer payload, int first, int last) {
        long seq = nextSeq++;
        Frame f = new Frame(type, flags, seq, payload);
        outbox.add(f);
        pending.add(new Sent(seq, System.nanoTime(), f.wireSize()));
        lagBytes += f.wireSize();
        for (int i = Math.max(first, 0); first >= 0 && i <= last; i++) {
            lastSeq[i] = seq;
        }
        lock.notifyAll();
        return seq;
    }

    private void noteDirty() {
        if (dirtySinceNanos < 0) {
            dirtySinceNanos = System.nanoTime();
        }
    }

    // ---- called by the link ------------------------------------------------------------------------------------

    long session() {
        synchronized (lock) {
            return session;
        }
    }

    ByteBuffer hello() {
        synchronized (lock) {
            byte[] id = diskId.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            ByteBuffer b = ByteBuffer.allocate(2 + 2 + 16 + 8 + 4 + 1 + 2 + id.length);
            b.putShort((short) Frame.PROTOCOL).putShort((short) Frame.PROTOCOL).put(streamId).putLong(ctx.capacity())
                    .putInt(ctx.blockSize()).put((byte) (fresh ? 1 : 0)).putShort((short) id.length).put(id);
            announcedCapacity = ctx.capacity();
            return b.flip();
        }
    }

    /** The replica accepted the stream; {@code known}: it holds this stream already. False when stale. */
    boolean welcomed(long s, boolean known) {
        boolean persistFresh;
        synchronized (lock) {
            if (s != session || stopped) {
                return false;
            }
            connects++;
            lastError = null;
            if (!known && !fresh) {
                // The replica has nothing of this stream (new replica, or it lost it): copy the whole disk.
                dirty.set(0, regions);
                noteDirty();
            }
            persistFresh = fresh;
            fresh = false;
            freshDirty = persistFresh;
            if (dirty.isEmpty()) {
                state = LinkState.STREAMING;
            } else {
                startResync(s);
            }
            lock.notifyAll();
        }
        if (persistFresh && sidecarUsable) {
            ctx.executor().execute(() -> persist(false));
        }
        LOG.log(Level.INFO, "disk '" + diskId + "': replicating to " + target + " (" + (sync ? "sync" : "async")
                + (known ? "" : ", new replica") + ")");
        return true;
    }

    private void startResync(long s) {
        state = LinkState.RESYNCING;
        resyncTotal = (long) dirty.cardinality() << regionShift;
        resyncDone = 0;
        enqueue(Frame.RESYNC_BEGIN, 0, ByteBuffer.allocate(8).putLong(0, resyncTotal), -1, -1);
        Thread t = new Thread(() -> resync(s), "weir-replication-resync-" + diskId);
        t.setDaemon(true);
        t.start();
    }

    /** Frames to send, in order; empty after {@code waitMillis} without any; null once the session is over. */
    List<Frame> takeFrames(long s, long waitMillis) throws InterruptedException {
        synchronized (lock) {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
            while (outbox.isEmpty() && s == session && !stopped) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return List.of();
                }
                TimeUnit.NANOSECONDS.timedWait(lock, left);
            }
            if (s != session || stopped) {
                return null;
            }
            List<Frame> out = new ArrayList<>(outbox);
            outbox.clear();
            return out;
        }
    }

    void sent(long bytes) {
        synchronized (lock) {
            sentBytes += bytes;
        }
    }

    /** The replica made every frame up to {@code seq} durable. */
    void acknowledged(long s, long seq) {
        List<Runnable> actions = new ArrayList<>();
        boolean syncs = false;
        synchronized (lock) {
            if (s != session || seq <= ackedSeq) {
                return;
            }
            ackedSeq = seq;
            while (!pending.isEmpty() && pending.peekFirst().seq() <= seq) {
                lagBytes -= pending.removeFirst().bytes();
            }
            for (SyncWrite w : syncWrites) {
                // A write whose frame went down with an earlier session is not covered by this one's ack.
                if (w.seq <= seq && !w.replicated && !w.replicaLost) {
                    w.replicated = true;
                    syncs = true;
                }
            }
            if (pending.isEmpty() && dirty.isEmpty() && state == LinkState.STREAMING) {
                dirtySinceNanos = -1;
            }
            pump(actions);
            lock.notifyAll();
        }
        actions.forEach(Runnable::run);
        if (syncs) {
            finishSyncWrites();
        }
    }

    /** Route held writes while there is room; under lock. */
    private void pump(List<Runnable> actions) {
        while (!backpressured.isEmpty()) {
            Held h = backpressured.peekFirst();
            int before = backpressured.size();
            route(h, actions);
            if (backpressured.size() == before && backpressured.peekFirst() == h) {
                return;
            }
        }
    }

    /** The link to the replica failed (or was given up): track what it did not acknowledge. */
    void linkFailed(long s, String why) {
        linkFailed(s, why, true);
    }

    private void linkFailed(long s, String why, boolean report) {
        List<Runnable> actions = new ArrayList<>();
        boolean syncs = false;
        synchronized (lock) {
            if (s != session) {
                return;
            }
            session++;
            lastError = why;
            for (int i = 0; i < regions; i++) {
                if (lastSeq[i] > ackedSeq) {
                    dirty.set(i);
                }
            }
            if (!pending.isEmpty()) {
                noteDirty();
            }
            outbox.clear();
            pending.clear();
            lagBytes = 0;
            ackedSeq = nextSeq - 1;
            Arrays.fill(lastSeq, 0);
            for (SyncWrite w : syncWrites) {
                if (!w.replicated) {
                    w.replicaLost = true;
                    syncs = true;
                }
            }
            LinkState was = state;
            state = stopped ? LinkState.STOPPED : target.isEmpty() ? LinkState.NO_TARGET : LinkState.DOWN;
            pump(actions);
            lock.notifyAll();
            if (report && was != state && !stopped) {
                LOG.log(Level.WARNING, "disk '" + diskId + "': replication to " + target + " is down (" + why
                        + "); tracking dirty regions");
            }
        }
        actions.forEach(Runnable::run);
        if (syncs) {
            finishSyncWrites();
        }
    }

    // ---- resync ------------------------------------------------------------------------------------------------

    private void resync(long s) {
        int cursor = 0;
        while (true) {
            int r;
            long gen;
            synchronized (lock) {
                while (s == session && !stopped && (stunned || (lagBytes > 0 && lagBytes + regionBytes() > bufferLimit))) {
                    waitQuietly(100);
                }
                if (s != session || stopped) {
                    return;
                }
                r = nextIdleDirty(cursor);
                if (r < 0) {
                    if (dirty.isEmpty()) {
                        enqueue(Frame.RESYNC_END, 0, null, -1, -1);
                        enqueue(Frame.BARRIER, 0, Frame.barrier(Instant.now(), Checkpoint.Cause.RESYNC), -1, -1);
                        state = LinkState.STREAMING;
                        LOG.log(Level.INFO, "disk '" + diskId + "': resync to " + target + " complete ("
                                + resyncDone + " bytes)");
                        return;
                    }
                    cursor = 0;
                    waitQuietly(5);
                    continue;
                }
                cursor = r + 1;
                dirty.clear(r);
                gen = generation[r];
            }
            long offset = (long) r << regionShift;
            int length = (int) Math.min(regionBytes(), ctx.capacity() - offset);
            ByteBuffer data = ByteBuffer.allocate(length);
            CompletableFuture<IoStatus> read = new CompletableFuture<>();
            IoStatus st;
            try {
                ctx.submit(IoRequest.read(-1 - r, offset, data), read::complete);
                st = read.get(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                st = IoStatus.failed(IoError.IO, "interrupted");
            } catch (ExecutionException | TimeoutException | RuntimeException e) {
                st = IoStatus.failed(IoError.IO, String.valueOf(e.getMessage()));
            }
            synchronized (lock) {
                if (s != session || stopped || !st.isOk() || generation[r] != gen || inflight[r] > 0) {
                    dirty.set(r);
                    if (!st.isOk()) {
                        lastError = "resync read of " + offset + "+" + length + " failed: " + st.message();
                        waitQuietly(100);
                    }
                    if (s != session || stopped) {
                        return;
                    }
                    continue;
                }
                announceUpTo(offset + length);
                ByteBuffer payload = ByteBuffer.allocate(8 + length);
                payload.putLong(offset).put(data.duplicate().clear()).flip();
                enqueue(Frame.WRITE, Frame.FLAG_RESYNC | (sync ? Frame.FLAG_SYNC : 0), payload, r, r);
                resyncDone += length;
            }
        }
    }

    private int nextIdleDirty(int from) {
        for (int i = dirty.nextSetBit(from); i >= 0; i = dirty.nextSetBit(i + 1)) {
            if (i < regions && inflight[i] == 0) {
                return i;
            }
            if (i >= regions) {
                dirty.clear(i, Integer.MAX_VALUE);
                break;
            }
        }
        if (from > 0) {
            return nextIdleDirty(0);
        }
        return -1;
    }

    private void waitQuietly(long millis) {
        try {
            lock.wait(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- the bitmap in the sidecar -----------------------------------------------------------------------------

    private void schedulePersist() {
        if (!persistScheduled) {
            persistScheduled = true;
            ctx.executor().execute(() -> persist(false));
        }
    }

    /**
     * Write the bitmap: every pending mark added and, with {@code clear}, every region the replica holds durably
     * removed. Releases the writes that waited for their marks.
     */
    private void persist(boolean clear) {
        List<Held> ready = new ArrayList<>();
        List<Held> refused = new ArrayList<>();
        String error = null;
        synchronized (sidecarLock) {
            BitSet marking;
            BitSet next;
            byte[] bytes;
            synchronized (lock) {
                persistScheduled = false;
                if (handedOff) {
                    return;
                }
                marking = (BitSet) pendingMark.clone();
                next = (BitSet) persisted.clone();
                next.or(marking);
                if (clear) {
                    next.andNot(clearable(false));
                }
                if (next.equals(persisted) && marking.isEmpty() && !freshDirty) {
                    return;
                }
                freshDirty = false;
                bytes = encodeState(next);
            }
            try {
                if (sidecarUsable) {
                    ctx.sidecar().put(STATE_KEY, bytes);
                }
            } catch (IOException e) {
                error = e.getMessage();
            }
            synchronized (lock) {
                pendingMark.andNot(marking);
                if (error == null) {
                    persisted = next;
                    sidecarError = null;
                } else {
                    sidecarError = error;
                }
                for (Iterator<Held> it = waitingForMark.iterator(); it.hasNext(); ) {
                    Held h = it.next();
                    int first = region(h.request().offset());
                    int last = region(h.request().end() - 1);
                    if (error != null && marking.get(first, last + 1).cardinality() > 0) {
                        it.remove();
                        refused.add(h);
                        failed++;
                        for (int i = first; i <= last; i++) {
                            inflight[i]--;
                        }
                    } else if (persisted.get(first, last + 1).cardinality() == last - first + 1) {
                        it.remove();
                        ready.add(h);
                    }
                }
                if (!pendingMark.isEmpty()) {
                    schedulePersist();
                }
            }
        }
        for (Held h : refused) {
            h.chain().fail(IoError.IO, "disk '" + diskId + "': cannot record the write's region in the replication "
                    + "bitmap: " + error);
        }
        for (Held h : ready) {
            proceed(h);
        }
    }

    /**
     * The marked set works as an activity log: regions the replica holds durably stay marked (so writing them again
     * costs no sidecar write) until more than {@code replication.bitmap.active.regions} are marked; then the least
     * recently written clean ones, not written during the last clearing interval, are cleared down to that limit.
     * With {@code all}, every clean region is (a clean detach). Under lock.
     */
    private BitSet clearable(boolean all) {
        BitSet c = new BitSet();
        if (!accepting() || state == LinkState.CONNECTING) {
            return c;
        }
        int excess = all ? Integer.MAX_VALUE : persisted.cardinality() - activeRegions;
        if (excess <= 0) {
            return c;
        }
        List<long[]> candidates = new ArrayList<>();
        for (int i = persisted.nextSetBit(0); i >= 0 && i < regions; i = persisted.nextSetBit(i + 1)) {
            if (!dirty.get(i) && !pendingMark.get(i) && (all || !recent.get(i)) && inflight[i] == 0
                    && lastSeq[i] <= ackedSeq) {
                candidates.add(new long[] {lastSeq[i], i});
            }
        }
        candidates.sort((a, b) -> Long.compare(a[0], b[0]));
        for (int k = 0; k < candidates.size() && k < excess; k++) {
            c.set((int) candidates.get(k)[1]);
        }
        return c;
    }

    // ---- timers ------------------------------------------------------------------------------------------------

    private void tick() {
        long now = System.nanoTime();
        String giveUp = null;
        long s;
        boolean clear = false;
        synchronized (lock) {
            if (stopped) {
                return;
            }
            s = session;
            Held oldest = backpressured.peekFirst();
            if (oldest != null && now - oldest.since() > backpressureNanos) {
                giveUp = "the replica took more than " + TimeUnit.NANOSECONDS.toMillis(backpressureNanos)
                        + " ms to make room in a buffer of " + bufferLimit + " bytes";
            }
            for (SyncWrite w : syncWrites) {
                if (!w.replicated && !w.replicaLost && now - w.held.since() > syncTimeoutNanos) {
                    giveUp = "the replica did not acknowledge a synchronous write within "
                            + TimeUnit.NANOSECONDS.toMillis(syncTimeoutNanos) + " ms";
                    break;
                }
            }
            if (giveUp != null) {
                overflows++;
            }
            if (now - lastClearNanos > clearNanos) {
                lastClearNanos = now;
                clear = !clearable(false).isEmpty();
                recent.clear();
            }
        }
        if (giveUp != null) {
            linkFailed(s, giveUp);
            Link l = link;
            if (l != null) {
                l.abort();
            }
        }
        if (clear) {
            persist(true);
        }
        synchronized (lock) {
            if (!stopped) {
                ticker = ctx.schedule(this::tick, Duration.ofMillis(TICK_MILLIS));
            }
        }
    }

    private void startLinkIfDue() {
        if (!linkStarted) {
            startLink();
        }
    }

    private void startLink() {
        synchronized (lock) {
            if (linkStarted || stopped || target.isEmpty()) {
                return;
            }
            linkStarted = true;
            link = new Link(this, host, port, tls, verifyHostname, reconnectMillis);
            link.start();
        }
    }

    // ---- control events ----------------------------------------------------------------------------------------

    @Override
    public void onEvent(ControlEvent event) throws FilterRefusedException {
        Instant deadline = event.deadline();
        switch (event.kind()) {
            case ATTACH -> {
                factory.attached(this);
                synchronized (lock) {
                    ticker = ctx.schedule(this::tick, Duration.ofMillis(TICK_MILLIS));
                }
                ctx.schedule(this::startLink, LAZY_START);
            }
            case STUN -> {
                synchronized (lock) {
                    stunned = true;
                }
                releaseHeld(deadline);
            }
            case UNSTUN -> {
                synchronized (lock) {
                    stunned = false;
                    lock.notifyAll();
                }
            }
            case SNAPSHOT_PREPARE -> {
                long seq;
                synchronized (lock) {
                    seq = accepting()
                            ? enqueue(Frame.BARRIER, 0, Frame.barrier(Instant.now(), Checkpoint.Cause.SNAPSHOT), -1, -1)
                            : 0;
                }
                awaitAck(seq, half(deadline));
            }
            case CLOSE -> drain(half(deadline));
            case GROW -> {
                synchronized (lock) {
                    resize(event.capacity());
                }
            }
            case SWAP_OUT, MIGRATE_OUT -> handOff(event.handoff().orElseThrow(), deadline);
            case SWAP_IN, MIGRATE_IN -> takeOver(event.handoff().orElseThrow());
            case SWAP_ABORT, MIGRATE_ABORT -> resume();
            case DETACH -> detach(deadline);
            default -> {
                // OPEN, SNAPSHOT_COMMIT, SNAPSHOT_ABORT, GROW_ABORT: nothing to do
            }
        }
    }

    private static Instant half(Instant deadline) {
        Instant now = Instant.now();
        Duration left = Duration.between(now, deadline);
        return left.isNegative() ? now : now.plus(left.dividedBy(2));
    }

    /** STUN: every held write must be released: marks written, buffer waiters and sync writes settled. */
    private void releaseHeld(Instant deadline) {
        persist(false);
        Instant soft = half(deadline);
        synchronized (lock) {
            while ((!backpressured.isEmpty() || !syncWrites.isEmpty() || !waitingForMark.isEmpty())
                    && Instant.now().isBefore(soft)) {
                waitQuietly(Math.max(1, Math.min(20, Duration.between(Instant.now(), soft).toMillis())));
            }
        }
        long s;
        boolean stuck;
        synchronized (lock) {
            s = session;
            stuck = !backpressured.isEmpty() || syncWrites.stream().anyMatch(w -> !w.replicated);
        }
        if (stuck) {
            linkFailed(s, "the disk was stunned while the replica held writes back");
            Link l = link;
            if (l != null) {
                l.abort();
            }
        }
        synchronized (lock) {
            while (!syncWrites.isEmpty() && Instant.now().isBefore(deadline.minusMillis(20))) {
                waitQuietly(5);
            }
        }
    }

    /** Wait until the replica acknowledged {@code seq} or {@code until}; best effort. */
    private void awaitAck(long seq, Instant until) {
        synchronized (lock) {
            while (seq > 0 && ackedSeq < seq && accepting() && Instant.now().isBefore(until)) {
                waitQuietly(Math.max(1, Math.min(20, Duration.between(Instant.now(), until).toMillis())));
            }
        }
    }

    /** Wait until everything sent is durable on the replica, or {@code until}; best effort. */
    private void drain(Instant until) {
        long seq;
        synchronized (lock) {
            seq = nextSeq - 1;
        }
        awaitAck(seq, until);
    }

    /** The regions the replica may lack: dirty ones and those with unacknowledged frames; under lock. */
    private BitSet needed() {
        BitSet n = (BitSet) dirty.clone();
        for (int i = 0; i < regions; i++) {
            if (lastSeq[i] > ackedSeq) {
                n.set(i);
            }
        }
        return n;
    }

    private void handOff(StateHandoff handoff, Instant deadline) {
        drain(half(deadline));
        Link l;
        synchronized (lock) {
            l = link;
            link = null;
            linkStarted = true;
        }
        if (l != null) {
            l.stop();
        }
        synchronized (lock) {
            BitSet needed = needed();
            handoff.put(STATE_KEY, encodeState(needed));
            // The sidecar keeps a superset for a crash during the swap.
            persisted.or(needed);
            freshDirty = true;
        }
        persist(false);
        linkFailed(session(), "handed over", false);
        synchronized (lock) {
            handedOff = true;
            state = LinkState.STOPPED;
        }
    }

    private void takeOver(StateHandoff handoff) throws FilterRefusedException {
        Optional<byte[]> saved = handoff.get(STATE_KEY);
        if (saved.isEmpty()) {
            return;
        }
        Link restart;
        synchronized (lock) {
            try {
                decodeState(saved.get(), false);
            } catch (IOException e) {
                throw new FilterRefusedException("disk '" + diskId + "': the handed-over replication state is "
                        + "unreadable: " + e.getMessage(), e);
            }
            if (dirty.isEmpty()) {
                dirtySinceNanos = -1;
            } else {
                noteDirty();
            }
            reloadPersisted();
            persisted.or(dirty);
            freshDirty = true;
            restart = link;
        }
        persist(false);
        if (restart != null) {
            // Connected before the state arrived: start over under the handed-over stream.
            linkFailed(session(), "state handed over", false);
            restart.abort();
        }
    }

    private void resume() {
        synchronized (lock) {
            if (stopped) {
                return;
            }
            handedOff = false;
            reloadPersisted();
            state = target.isEmpty() ? LinkState.NO_TARGET : LinkState.DOWN;
            linkStarted = false;
        }
        startLink();
    }

    private void detach(Instant deadline) {
        boolean owner;
        synchronized (lock) {
            owner = !handedOff && served;
        }
        if (owner) {
            drain(half(deadline));
        }
        Link l;
        synchronized (lock) {
            l = link;
            link = null;
        }
        if (l != null) {
            l.stop();
        }
        synchronized (lock) {
            if (owner) {
                // Detached cleanly: only regions the replica may lack stay marked; a restart copies nothing else.
                BitSet needed = needed();
                persisted.and(needed);
                persisted.or(needed);
            } else {
                // A successor owns the sidecar (or this instance never served): leave it as it is.
                handedOff = true;
            }
        }
        linkFailed(session(), "detached", false);
        synchronized (lock) {
            stopped = true;
            state = LinkState.STOPPED;
            if (ticker != null) {
                ticker.cancel(false);
            }
            freshDirty = true;
            lock.notifyAll();
        }
        persist(false);
        factory.detached(this);
    }

    // ---- metrics -----------------------------------------------------------------------------------------------

    ReplicationMetrics metrics() {
        synchronized (lock) {
            long now = System.nanoTime();
            long oldest = pending.isEmpty() ? -1 : pending.peekFirst().enqueuedNanos();
            if (dirtySinceNanos >= 0 && (oldest < 0 || dirtySinceNanos < oldest)) {
                oldest = dirtySinceNanos;
            }
            int held = waitingForMark.size() + backpressured.size() + syncWrites.size();
            return new ReplicationMetrics(diskId, sync ? "sync" : "async", state, target, lagBytes,
                    oldest < 0 ? Duration.ZERO : Duration.ofNanos(now - oldest),
                    Math.min((long) dirty.cardinality() << regionShift, ctx.capacity()), resyncTotal, resyncDone,
                    sentBytes, ackedSeq, held, degraded, failed, connects, overflows, sidecarUsable && sidecarError == null,
                    Optional.ofNullable(lastError));
        }
    }
}
