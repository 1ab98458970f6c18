package io.weir.vscsi.disk;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import io.weir.backend.Backend;
import io.weir.filter.Capability;
import io.weir.filter.ControlEvent.Kind;
import io.weir.filter.FilterFactory;
import io.weir.filter.FilterRefusedException;
import io.weir.filter.IoCallback;
import io.weir.filter.IoError;
import io.weir.filter.IoOp;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;
import io.weir.filter.StateHandoff;
import io.weir.vscsi.DiskException;
import io.weir.vscsi.DiskException.Reason;
import io.weir.vscsi.DiskInfo;
import io.weir.vscsi.DiskSpec;
import io.weir.vscsi.DiskState;
import io.weir.vscsi.DiskStats;
import io.weir.vscsi.FencePolicy;
import io.weir.vscsi.LayerInfo;
import io.weir.vscsi.SwapReport;
import io.weir.vscsi.durable.AtomicFiles;
import io.weir.vscsi.stack.EventDelivery;
import io.weir.vscsi.stack.Layer;
import io.weir.vscsi.stack.LayerServices;
import io.weir.vscsi.stack.MapHandoff;
import io.weir.vscsi.stack.RequestCheck;
import io.weir.vscsi.stack.Stack;
import io.weir.vscsi.stack.StackHost;
import io.weir.vscsi.stack.Ticker;
import io.weir.vscsi.standalone.StandaloneDisk;
import io.weir.vscsi.store.SidecarStore;

/**
 * An open virtual disk: validation, admission with a bounded queue depth, tracking of every in-flight
 * request, stun (park, drain, resume and replay in arrival order), control events and live changes of the
 * filter stack. The stack is published as an immutable {@link Stack}; each request captures it on entry.
 */
public final class DiskImpl implements StandaloneDisk, StackHost {
    private static final System.Logger LOG = System.getLogger("io.weir.vscsi");
    /** The file in the sidecar directory whose presence says the disk is still blank. */
    static final String BLANK_MARKER = ".blank";

    private final String id;
    private final int blockSize;
    private final int maxQueueDepth;
    private final int maxDataLength;
    private final Backend backend;
    private final LayerServices services;
    private final EventDelivery events;
    private final Duration eventTimeout;
    private final SidecarStore sidecars;
    /** Fails requests a filter holds past the deadline (the event timeout) and fences that filter. */
    private final ScheduledFuture<?> watchdog;
    /** The watchdog's clock, and how many of its rounds make the deadline. */
    private final Ticker ticker = new Ticker();
    private final long blockingTicks;

    private volatile DiskSpec spec;
    private volatile long capacity;
    private volatile Stack stack;
    private volatile Set<Capability> capabilities;

    // Admission and stun. inFlight is the fast path; the lock guards parking, waiting and replay.
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger ownInFlight = new AtomicInteger();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<Parked> parked = new ArrayDeque<>();
    private volatile int waiters;
    private volatile boolean parking;
    private volatile boolean closed;
    /** True while nothing has written to the disk since its storage was created empty (see {@link #blank()}). */
    private volatile boolean blank;
    private final Object blankLock = new Object();
    /** Present while the disk is blank, so a restart knows too; null for a disk without sidecars. */
    private final Path blankMarker;
    private volatile List<Layer> stunnedLayers = List.of();

    private final LongAdder completed = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder rejected = new LongAdder();
    private final LongAdder bytesRead = new LongAdder();
    private final LongAdder bytesWritten = new LongAdder();

    private DiskImpl(DiskSpec spec, int maxQueueDepth, int maxDataLength, Backend backend, CorePools pools,
                     Path sidecarDirectory, Duration eventTimeout) {
        this.spec = spec;
        this.id = spec.id();
        this.capacity = spec.capacity();
        this.blockSize = spec.blockSize();
        this.maxQueueDepth = maxQueueDepth;
        this.maxDataLength = maxDataLength;
        this.backend = backend;
        this.eventTimeout = eventTimeout;
        this.sidecars = new SidecarStore(sidecarDirectory);
        this.blankMarker = sidecarDirectory == null ? null : sidecarDirectory.resolve(BLANK_MARKER);
        this.services = new LayerServices(this, pools.filterPool(), pools.scheduler(), sidecars, ticker);
        this.events = new EventDelivery(pools.control());
        long period = Math.max(10, Math.min(1000, eventTimeout.toMillis() / 4));
        this.blockingTicks = (eventTimeout.toMillis() + period - 1) / period;
        this.watchdog = pools.scheduler().scheduleWithFixedDelay(this::expireHeld, period, period, TimeUnit.MILLISECONDS);
    }

    /**
     * The watchdog's round: every request a layer has held deferred for longer than the deadline fails, TIMED_OUT;
     * a layer that has blocked a caller's thread for longer than the deadline is fenced.
     */
    private void expireHeld() {
        try {
            ticker.tick();
            Stack s = stack;
            if (s == null) {
                return; // still opening
            }
            long since = System.nanoTime() - eventTimeout.toNanos();
            for (Layer l : s.layers()) {
                l.expireHeld(since, eventTimeout.toMillis());
                l.fenceIfBlocking(blockingTicks, eventTimeout.toMillis());
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "disk '" + id + "': request watchdog failed", e);
        }
    }

    /**
     * Build the stack from {@code layers}, negotiate capabilities, and send ATTACH then OPEN. On any refusal
     * the filters already attached are detached again and nothing stays open (the backend is left to the
     * caller).
     */
    public static DiskImpl open(DiskSpec spec, int maxQueueDepth, int maxDataLength, Backend backend,
                                List<LayerSpec> layers, CorePools pools, Path sidecarDirectory,
                                Duration eventTimeout) throws DiskException {
        DiskValidation.checkGeometry(spec.id(), spec.capacity(), spec.blockSize());
        if (maxQueueDepth < 1 || maxQueueDepth > 65536) {
            throw new DiskException(Reason.INVALID, "disk '" + spec.id() + "': queue depth " + maxQueueDepth
                    + " is outside 1..65536");
        }
        if (maxDataLength < spec.blockSize() || maxDataLength % spec.blockSize() != 0) {
            throw new DiskException(Reason.INVALID, "disk '" + spec.id() + "': maximum request length "
                    + maxDataLength + " is not a positive multiple of the block size " + spec.blockSize());
        }
        if (backend.capacity() < spec.capacity()) {
            throw new DiskException(Reason.INVALID, "disk '" + spec.id() + "': backend holds " + backend.capacity()
                    + " bytes, less than the disk's capacity of " + spec.capacity());
        }
        DiskImpl disk = new DiskImpl(spec, maxQueueDepth, maxDataLength, backend, pools, sidecarDirectory,
                eventTimeout);
        disk.blank = disk.recallBlank(backend.blank());
        List<Layer> built = new ArrayList<>();
        Stack s;
        try {
            for (LayerSpec l : layers) {
                built.add(disk.createLayer(l));
            }
            s = Stack.build(built, backend);
        } catch (IllegalArgumentException e) {
            disk.watchdog.cancel(false);
            throw new DiskException(Reason.INVALID, "disk '" + spec.id() + "': " + e.getMessage(), e);
        } catch (DiskException e) {
            disk.watchdog.cancel(false);
            throw e;
        }
        disk.stack = s;
        disk.capabilities = s.capabilities();
        try {
            disk.events.deliver(s.layers(), Kind.ATTACH, spec.capacity(), eventTimeout, l -> null);
        } catch (FilterRefusedException e) {
            disk.watchdog.cancel(false);
            throw new DiskException(Reason.REFUSED, "disk '" + spec.id() + "': " + e.getMessage(), e);
        }
        try {
            disk.events.deliver(s.layers(), Kind.OPEN, spec.capacity(), eventTimeout, l -> null);
        } catch (FilterRefusedException e) {
            disk.deliverQuietly(s.layers(), Kind.DETACH);
            disk.watchdog.cancel(false);
            throw new DiskException(Reason.REFUSED, "disk '" + spec.id() + "': " + e.getMessage(), e);
        }
        return disk;
    }

    /**
     * Whether the disk is blank now: the backend just created its storage empty, or the marker a blank disk keeps
     * says no write has reached it since. A marker that cannot be written only costs blankness (never safety).
     */
    private boolean recallBlank(boolean createdEmpty) {
        if (blankMarker == null) {
            return createdEmpty;
        }
        if (!createdEmpty) {
            return Files.exists(blankMarker);
        }
        try {
            AtomicFiles.write(blankMarker, new byte[0]);
            return true;
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "disk '" + id + "': cannot record that the disk is blank ("
                    + e.getMessage() + "); it counts as written");
            return false;
        }
    }

    @Override
    public boolean blank() {
        return blank;
    }

    /** Whether a disk that is not open is still blank, by the marker in its sidecar directory. */
    public static boolean markedBlank(Path sidecarDirectory) {
        return sidecarDirectory != null && Files.exists(sidecarDirectory.resolve(BLANK_MARKER));
    }

    @Override
    public IoStatus beforeModify() {
        if (!blank) {
            return null;
        }
        synchronized (blankLock) {
            if (!blank) {
                return null;
            }
            try {
                if (blankMarker != null) {
                    AtomicFiles.delete(blankMarker);
                }
            } catch (IOException e) {
                return IoStatus.failed(IoError.IO, "disk '" + id + "': cannot record the disk's first write in "
                        + blankMarker + ": " + e.getMessage());
            }
            blank = false;
            return null;
        }
    }

    private Layer createLayer(LayerSpec l) throws DiskException {
        try {
            return new Layer(l.name(), l.filterClass(), l.origin(), l.factory(), l.config(), services);
        } catch (FilterRefusedException e) {
            throw new DiskException(Reason.REFUSED, "disk '" + id + "': filter '" + l.name() + "' ("
                    + l.filterClass() + ") refused to be created: " + e.getMessage(), e);
        }
    }

    // ---- geometry -------------------------------------------------------------------------------

    @Override
    public String id() {
        return id;
    }

    @Override
    public long capacity() {
        return capacity;
    }

    @Override
    public int blockSize() {
        return blockSize;
    }

    @Override
    public int maxRequestLength() {
        return maxDataLength;
    }

    @Override
    public int maxQueueDepth() {
        return maxQueueDepth;
    }

    @Override
    public Set<Capability> capabilities() {
        return capabilities;
    }

    @Override
    public Stack current() {
        return stack;
    }

    public DiskSpec spec() {
        return spec;
    }

    public SidecarStore sidecars() {
        return sidecars;
    }

    // ---- data path ------------------------------------------------------------------------------

    @Override
    public void submit(IoRequest request, IoCallback callback) throws InterruptedException {
        if (closed) {
            callback.done(IoStatus.failed(IoError.SHUTDOWN, "disk '" + id + "' is closed"));
            return;
        }
        IoStatus bad = RequestCheck.check(request, capacity, blockSize, maxDataLength, capabilities);
        if (bad != null) {
            rejected.increment();
            callback.done(IoStatus.failed(bad.error(), "disk '" + id + "': " + bad.message()));
            return;
        }
        if (blank && request.op().modifies()) {
            IoStatus unrecorded = beforeModify();
            if (unrecorded != null) {
                failed.increment();
                callback.done(unrecorded);
                return;
            }
        }
        if (!parking && tryAcquire()) {
            if (!parking) {
                start(request, callback);
                return;
            }
            release(); // a stun began between the check and the acquire: park behind it
        }
        admitSlowly(request, callback);
    }

    private boolean tryAcquire() {
        while (true) {
            int n = inFlight.get();
            if (n >= maxQueueDepth) {
                return false;
            }
            if (inFlight.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    private void release() {
        inFlight.decrementAndGet();
        if (waiters > 0 || parking) {
            signal();
        }
    }

    private void signal() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void admitSlowly(IoRequest request, IoCallback callback) throws InterruptedException {
        lock.lock();
        try {
            waiters++;
            try {
                while (true) {
                    if (closed) {
                        callback.done(IoStatus.failed(IoError.SHUTDOWN, "disk '" + id + "' is closed"));
                        return;
                    }
                    if (parking) {
                        if (parked.size() < maxQueueDepth) {
                            parked.add(new Parked(request, callback));
                            return;
                        }
                    } else if (tryAcquire()) {
                        break;
                    }
                    changed.await();
                }
            } finally {
                waiters--;
            }
        } finally {
            lock.unlock();
        }
        start(request, callback);
    }

    private void start(IoRequest request, IoCallback callback) {
        stack.dispatch(0, request, new Tracked(request, callback));
    }

    private void finish(Tracked t, IoStatus status) {
        if (status.isOk()) {
            completed.increment();
            if (t.request.op() == IoOp.READ) {
                bytesRead.add(t.request.length());
            } else if (t.request.op() == IoOp.WRITE) {
                bytesWritten.add(t.request.length());
            }
        } else {
            failed.increment();
        }
        release();
        try {
            t.callback.done(status);
        } catch (RuntimeException | LinkageError e) {
            LOG.log(System.Logger.Level.WARNING, "disk '" + id + "': completion callback threw", e);
        }
    }

    @Override
    public void filterRequestStarted() {
        ownInFlight.incrementAndGet();
    }

    @Override
    public void filterRequestEnded() {
        ownInFlight.decrementAndGet();
        if (parking) {
            signal();
        }
    }

    // ---- stun -----------------------------------------------------------------------------------

    @Override
    public void stun(Duration timeout) throws DiskException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            if (closed) {
                throw new DiskException(Reason.BUSY, "disk '" + id + "' is closed");
            }
            if (parking) {
                throw new DiskException(Reason.BUSY, "disk '" + id + "' is already stunned");
            }
            parking = true;
        } finally {
            lock.unlock();
        }
        stunnedLayers = stack.layers();
        deliverQuietly(stunnedLayers, Kind.STUN);
        lock.lock();
        try {
            while (inFlight.get() > 0 || ownInFlight.get() > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                waiters++;
                try {
                    changed.awaitNanos(left);
                } finally {
                    waiters--;
                }
            }
        } finally {
            lock.unlock();
        }
        if (inFlight.get() > 0 || ownInFlight.get() > 0) {
            String holders = describeHolders();
            unstun();
            throw new DiskException(Reason.BUSY, "disk '" + id + "' did not drain within " + timeout.toMillis()
                    + " ms and was resumed; still in flight: " + holders);
        }
    }

    @Override
    public void unstun() throws DiskException {
        if (!parking) {
            throw new DiskException(Reason.BUSY, "disk '" + id + "' is not stunned");
        }
        // Only layers that were told of the stun hear of its end; a layer published meanwhile starts unstunned.
        List<Layer> resumed = new ArrayList<>(stack.layers());
        resumed.retainAll(stunnedLayers);
        deliverQuietly(resumed, Kind.UNSTUN);
        replayParked();
    }

    /** Replay parked requests in arrival order; new arrivals keep parking behind them until the queue is empty. */
    private void replayParked() {
        while (true) {
            Parked next;
            lock.lock();
            try {
                next = parked.poll();
                if (next == null) {
                    parking = false;
                    changed.signalAll();
                    return;
                }
                changed.signalAll(); // a submitter blocked on a full park queue may now park
                waiters++;
                try {
                    while (!tryAcquire()) {
                        changed.awaitUninterruptibly();
                    }
                } finally {
                    waiters--;
                }
            } finally {
                lock.unlock();
            }
            if (closed) {
                release();
                next.callback.done(IoStatus.failed(IoError.SHUTDOWN, "disk '" + id + "' is closed"));
            } else {
                start(next.request, next.callback);
            }
        }
    }

    /** Where the requests of an unfinished drain are: deferred in filters, or below them. */
    private String describeHolders() {
        Map<String, Integer> counts = new TreeMap<>();
        int deferred = 0;
        for (Layer l : stunnedLayers) {
            int n = l.deferred().get();
            if (n > 0) {
                counts.put(l.label(), n);
                deferred += n;
            }
        }
        int below = inFlight.get() - deferred;
        if (below > 0) {
            counts.put("backend or in transit", below);
        }
        int own = ownInFlight.get();
        if (own > 0) {
            counts.put("filters' own requests", own);
        }
        return counts.toString();
    }

    // ---- control --------------------------------------------------------------------------------

    @Override
    public void deliver(Kind kind, Duration deadline) throws FilterRefusedException {
        events.deliver(stack.layers(), kind, capacity, deadline, DiskImpl::freshHandoff);
    }

    private void deliverQuietly(List<Layer> layers, Kind kind) {
        try {
            events.deliver(layers, kind, capacity, eventTimeout, DiskImpl::freshHandoff);
        } catch (FilterRefusedException e) {
            LOG.log(System.Logger.Level.WARNING, "disk '" + id + "': " + e.getMessage());
        }
    }

    @Override
    public void grow(long newCapacity, Duration deadline) throws DiskException {
        prepareGrow(newCapacity, deadline);
        commitGrow(newCapacity);
    }

    /**
     * First half of a grow: filters are asked (GROW, inner to outer; any may refuse) and the backend grows. The
     * disk still serves its old capacity until {@link #commitGrow}; {@link #abortGrow} tells the filters it
     * did not happen (the backend may stay larger, which is harmless).
     */
    public void prepareGrow(long newCapacity, Duration deadline) throws DiskException {
        if (newCapacity <= capacity) {
            throw new DiskException(Reason.INVALID, "disk '" + id + "': new capacity " + newCapacity
                    + " is not larger than the current " + capacity + " (shrinking is not supported)");
        }
        DiskValidation.checkGeometry(id, newCapacity, blockSize);
        try {
            events.deliver(stack.layers(), Kind.GROW, newCapacity, deadline, l -> null);
        } catch (FilterRefusedException e) {
            throw new DiskException(Reason.REFUSED, "disk '" + id + "': " + e.getMessage(), e);
        }
        try {
            if (backend.capacity() < newCapacity) {
                backend.grow(newCapacity);
            }
        } catch (IOException | RuntimeException e) {
            abortGrow();
            throw new DiskException(Reason.IO, "disk '" + id + "': backend could not grow to " + newCapacity
                    + " bytes: " + e.getMessage(), e);
        }
    }

    /** Second half of a grow: requests may now reach the new end. */
    public void commitGrow(long newCapacity) {
        capacity = newCapacity;
        spec = spec.withCapacity(newCapacity);
    }

    /** A prepared grow will not be committed. */
    public void abortGrow() {
        deliverQuietly(stack.layers(), Kind.GROW_ABORT);
    }

    /** Add a filter to the live disk: create it, stun, ATTACH and OPEN it, republish, resume. */
    public void attachLive(LayerSpec l, Duration stunTimeout) throws DiskException, InterruptedException {
        Layer layer = createLayer(l);
        stun(stunTimeout);
        try {
            Stack next;
            try {
                next = stack.with(layer);
            } catch (IllegalArgumentException e) {
                throw new DiskException(Reason.INVALID, "disk '" + id + "': " + e.getMessage(), e);
            }
            try {
                events.deliver(List.of(layer), Kind.ATTACH, capacity, eventTimeout, x -> null);
            } catch (FilterRefusedException e) {
                throw new DiskException(Reason.REFUSED, "disk '" + id + "': " + e.getMessage(), e);
            }
            try {
                events.deliver(List.of(layer), Kind.OPEN, capacity, eventTimeout, x -> null);
            } catch (FilterRefusedException e) {
                deliverQuietly(List.of(layer), Kind.DETACH);
                throw new DiskException(Reason.REFUSED, "disk '" + id + "': " + e.getMessage(), e);
            }
            publish(next);
        } finally {
            unstun();
        }
    }

    /** Bound of the state one instance may hand to its successor in a swap. */
    private static final long MAX_HANDOFF_BYTES = 64L << 20;

    @Override
    public SwapReport swap(String filterName, FilterFactory factory, Map<String, Object> config, Duration deadline)
            throws DiskException, InterruptedException {
        Layer old = layerNamed(filterName);
        return swapLive(new LayerSpec(filterName, old.filterClass(), "standalone", factory, config), deadline);
    }

    /**
     * Replace the instance of {@code replacement.name()} on the live disk, handing its state over (see
     * {@link StandaloneDisk#swap}); on any failure the old instance keeps serving.
     */
    public SwapReport swapLive(LayerSpec replacement, Duration stunTimeout) throws DiskException, InterruptedException {
        Layer old = layerNamed(replacement.name());
        if (replacement.filterClass() != old.filterClass()) {
            throw new DiskException(Reason.INVALID, "disk '" + id + "': a swap keeps the filter's class; "
                    + old.label() + " cannot become a " + replacement.filterClass() + " filter");
        }
        Layer fresh = createLayer(replacement); // staged: invisible until published
        long started = System.nanoTime();
        stun(stunTimeout);
        MapHandoff handoff = new MapHandoff(MAX_HANDOFF_BYTES);
        int parkedDuringStall;
        try {
            Stack next;
            try {
                next = stack.replacing(old, fresh);
            } catch (IllegalArgumentException e) {
                throw new DiskException(Reason.INVALID, "disk '" + id + "': " + e.getMessage(), e);
            }
            if (!next.capabilities().containsAll(capabilities)) {
                java.util.EnumSet<Capability> lost = java.util.EnumSet.copyOf(capabilities);
                lost.removeAll(next.capabilities());
                throw new DiskException(Reason.INVALID, "disk '" + id + "': the new instance of " + old.label()
                        + " would take away " + lost + ", which connected clients were promised");
            }
            try {
                events.deliver(List.of(old), Kind.SWAP_OUT, capacity, eventTimeout, x -> handoff);
            } catch (FilterRefusedException e) {
                throw new DiskException(Reason.REFUSED, "disk '" + id + "': " + e.getMessage()
                        + "; the old instance keeps serving", e);
            }
            try {
                events.deliver(List.of(fresh), Kind.ATTACH, capacity, eventTimeout, x -> null);
                try {
                    events.deliver(List.of(fresh), Kind.OPEN, capacity, eventTimeout, x -> null);
                    events.deliver(List.of(fresh), Kind.SWAP_IN, capacity, eventTimeout, x -> handoff);
                } catch (FilterRefusedException e) {
                    deliverQuietly(List.of(fresh), Kind.CLOSE);
                    deliverQuietly(List.of(fresh), Kind.DETACH);
                    throw e;
                }
            } catch (FilterRefusedException e) {
                deliverQuietly(List.of(old), Kind.SWAP_ABORT);
                throw new DiskException(Reason.REFUSED, "disk '" + id + "': the new instance: " + e.getMessage()
                        + "; the old instance keeps serving", e);
            }
            publish(next);
            deliverQuietly(List.of(old), Kind.CLOSE);
            deliverQuietly(List.of(old), Kind.DETACH);
        } finally {
            lock.lock();
            try {
                parkedDuringStall = parked.size();
            } finally {
                lock.unlock();
            }
            unstun();
        }
        long stateBytes = 0;
        for (String k : handoff.keys()) {
            stateBytes += handoff.get(k).map(v -> v.length).orElse(0);
        }
        return new SwapReport(replacement.name(), (System.nanoTime() - started) / 1e6, parkedDuringStall,
                handoff.keys().size(), stateBytes);
    }

    private Layer layerNamed(String filterName) throws DiskException {
        return stack.layers().stream().filter(x -> x.name().equals(filterName)).findFirst()
                .orElseThrow(() -> new DiskException(Reason.NOT_FOUND, "disk '" + id + "' has no filter '"
                        + filterName + "'"));
    }

    /** Remove a filter from the live disk: stun, CLOSE and DETACH it, republish, resume. */
    public void detachLive(String filterName, Duration stunTimeout) throws DiskException, InterruptedException {
        Layer layer = layerNamed(filterName);
        stun(stunTimeout);
        try {
            Stack next = stack.without(layer);
            deliverQuietly(List.of(layer), Kind.CLOSE);
            deliverQuietly(List.of(layer), Kind.DETACH);
            publish(next);
        } finally {
            unstun();
        }
    }

    private void publish(Stack next) {
        stack = next;
        capabilities = next.capabilities();
    }

    @Override
    public DiskInfo info() {
        Stack s = stack;
        List<LayerInfo> layers = new ArrayList<>();
        String reason = "";
        for (Layer l : s.layers()) {
            String fence = l.fenced();
            layers.add(new LayerInfo(l.name(), l.filterClass(), l.origin(), l.faults(), fence == null ? "" : fence,
                    l.policy(), l.metrics()));
            if (fence != null) {
                reason = l.label() + " is fenced (" + (l.policy() == FencePolicy.BYPASS ? "bypassed"
                        : "its requests fail with FILTER_FAULT") + " until it is detached): " + fence;
            } else if (l.faults() > 0 && reason.isEmpty()) {
                reason = l.label() + ": " + l.lastFault();
            }
        }
        DiskState state = closed ? DiskState.CLOSED
                : parking ? DiskState.STUNNED
                : reason.isEmpty() ? DiskState.ONLINE : DiskState.DEGRADED;
        int parkedNow;
        lock.lock();
        try {
            parkedNow = parked.size();
        } finally {
            lock.unlock();
        }
        DiskStats stats = new DiskStats(completed.sum(), failed.sum(), rejected.sum(), inFlight.get(), parkedNow,
                bytesRead.sum(), bytesWritten.sum());
        return new DiskInfo(spec, state, reason, s.capabilities(), layers, stats);
    }

    /**
     * Stun (draining what is in flight), send CLOSE and DETACH, fail whatever is still parked with SHUTDOWN,
     * and close the backend, which makes everything durable.
     */
    @Override
    public void close() throws DiskException {
        if (closed) {
            return;
        }
        try {
            stun(eventTimeout);
        } catch (DiskException e) {
            LOG.log(System.Logger.Level.WARNING, e.getMessage());
            parking = true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<Layer> layers = stack.layers();
        deliverQuietly(layers, Kind.CLOSE);
        deliverQuietly(layers, Kind.DETACH);
        watchdog.cancel(false);
        List<Parked> orphans;
        lock.lock();
        try {
            closed = true;
            orphans = new ArrayList<>(parked);
            parked.clear();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        for (Parked p : orphans) {
            p.callback.done(IoStatus.failed(IoError.SHUTDOWN, "disk '" + id + "' was closed while stunned"));
        }
        try {
            backend.close();
        } catch (IOException | RuntimeException e) {
            throw new DiskException(Reason.IO, "disk '" + id + "': backend failed to close cleanly: "
                    + e.getMessage(), e);
        }
    }

    /** Each layer gets its own handoff for state-carrying events, bounded at 64 MiB. */
    private static StateHandoff freshHandoff(Layer layer) {
        return new MapHandoff(64 << 20);
    }

    private record Parked(IoRequest request, IoCallback callback) {
    }

    /** A front-end request in flight: completes its caller exactly once and releases its queue slot. */
    private final class Tracked implements IoCallback {
        private static final VarHandle DONE;

        static {
            try {
                DONE = MethodHandles.lookup().findVarHandle(Tracked.class, "done", boolean.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final IoRequest request;
        final IoCallback callback;
        @SuppressWarnings("unused") // accessed through DONE
        private volatile boolean done;

        Tracked(IoRequest request, IoCallback callback) {
            this.request = request;
            this.callback = callback;
        }

        @Override
        public void done(IoStatus status) {
            if (!DONE.compareAndSet(this, false, true)) {
                LOG.log(System.Logger.Level.WARNING, "disk '" + id + "': " + request
                        + " completed more than once by the stack; later completion ignored");
                return;
            }
            finish(this, status);
        }
    }
}
