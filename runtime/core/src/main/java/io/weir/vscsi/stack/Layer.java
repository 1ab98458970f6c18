package io.weir.vscsi.stack;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.weir.filter.Filter;
import io.weir.filter.FilterClass;
import io.weir.filter.FilterFactory;
import io.weir.filter.FilterRefusedException;
import io.weir.vscsi.FencePolicy;

/**
 * One filter instance at its position in a disk's stack, with the context it was created with and the
 * faults reported against it. The first fault fences the layer for good (until it is detached): from then on
 * the stack applies the layer's {@link FencePolicy} instead of calling the filter. Identity matters: a layer
 * keeps its identity when the stack around it is republished.
 */
public final class Layer {
    private static final System.Logger LOG = System.getLogger("io.weir.vscsi");

    private final String name;
    private final FilterClass filterClass;
    private final String origin;
    private final Map<String, Object> config;
    private final LayerContext context;
    private final Filter filter;
    private final AtomicLong faults = new AtomicLong();
    private final AtomicInteger deferred = new AtomicInteger();
    /** Requests the filter holds deferred, for the deadline watchdog (only the slow path of deferral adds here). */
    private final Set<Exchange> held = ConcurrentHashMap.newKeySet();
    /** Threads now inside the filter's handle or completed, for the watchdog. */
    private final CallClock calls;
    private final FencePolicy policy;
    private volatile String lastFault = "";
    /** Why the layer is fenced; null while it is healthy. */
    private volatile String fenced;

    /**
     * Create the filter instance through its factory.
     *
     * @param origin the providing bundle, for messages
     * @throws FilterRefusedException when the factory refuses, throws, or returns nothing
     */
    public Layer(String name, FilterClass filterClass, String origin, FilterFactory factory,
                 Map<String, Object> config, LayerServices services) throws FilterRefusedException {
        this.name = name;
        this.filterClass = filterClass;
        this.origin = origin;
        this.config = Map.copyOf(config);
        this.policy = FencePolicy.of(filterClass);
        this.calls = new CallClock(services.ticker());
        this.context = new LayerContext(this, services);
        Filter created;
        try {
            created = factory.create(context);
        } catch (FilterRefusedException e) {
            throw e;
        } catch (RuntimeException | LinkageError e) {
            throw new FilterRefusedException("factory threw " + e, e);
        }
        if (created == null) {
            throw new FilterRefusedException("factory returned no filter instance");
        }
        this.filter = created;
    }

    public String name() {
        return name;
    }

    public FilterClass filterClass() {
        return filterClass;
    }

    public String origin() {
        return origin;
    }

    public Map<String, Object> config() {
        return config;
    }

    public Filter filter() {
        return filter;
    }

    LayerContext context() {
        return context;
    }

    /** What the filter publishes through {@link io.weir.filter.FilterContext#metrics}, by name. */
    public Map<String, Object> metrics() {
        return context.metricsSnapshot();
    }

    /** How the layer is named in messages: {@code filter 'name' (CLASS)}. */
    public String label() {
        return "filter '" + name + "' (" + filterClass + ")";
    }

    /** Record a contract violation, exception or missed deadline of this filter, and fence it. */
    public void fault(String message, Throwable cause) {
        faults.incrementAndGet();
        lastFault = message;
        LOG.log(System.Logger.Level.WARNING, "disk '" + context.diskId() + "': " + message, cause);
        if (fenced == null) {
            fenced = message;
            LOG.log(System.Logger.Level.ERROR, "disk '" + context.diskId() + "': " + label() + " is fenced ("
                    + policy + "): " + message);
        }
    }

    /** Record a fault that is not this filter's (a backend completing twice below it): counted, not fenced. */
    void faultBelow(String message) {
        faults.incrementAndGet();
        lastFault = message;
        LOG.log(System.Logger.Level.WARNING, "disk '" + context.diskId() + "': " + message);
    }

    /** Why the layer is fenced, or null while it is healthy. */
    public String fenced() {
        return fenced;
    }

    public FencePolicy policy() {
        return policy;
    }

    Set<Exchange> held() {
        return held;
    }

    CallClock calls() {
        return calls;
    }

    /**
     * Fence the layer if a thread has been inside its {@code handle} or {@code completed} for more than
     * {@code deadlineTicks} rounds of the watchdog: the filter blocks its caller's thread, which the contract
     * forbids. Returns whether it did.
     */
    public boolean fenceIfBlocking(long deadlineTicks, long deadlineMillis) {
        if (fenced == null && calls.longestTicks() > deadlineTicks) {
            fault(label() + " has blocked its caller's thread for more than its " + deadlineMillis
                    + " ms deadline inside handle or completed", null);
            return true;
        }
        return false;
    }

    /**
     * Fail every request this layer has held deferred since before {@code heldSinceNanos} with TIMED_OUT and fence
     * the layer; returns how many.
     */
    public int expireHeld(long heldSinceNanos, long deadlineMillis) {
        int n = 0;
        for (Exchange e : held) {
            if (e.deferredAt() - heldSinceNanos < 0 && e.expire(deadlineMillis)) {
                n++;
            }
        }
        return n;
    }

    /** Requests this layer currently holds deferred (counted only on the slow path of deferral). */
    public AtomicInteger deferred() {
        return deferred;
    }

    public long faults() {
        return faults.get();
    }

    public String lastFault() {
        return lastFault;
    }

    @Override
    public String toString() {
        return label();
    }
}
