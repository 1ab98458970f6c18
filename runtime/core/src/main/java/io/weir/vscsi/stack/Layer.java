package io.weir.vscsi.stack;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.weir.filter.Filter;
import io.weir.filter.FilterClass;
import io.weir.filter.FilterFactory;
import io.weir.filter.FilterRefusedException;

/**
 * One filter instance at its position in a disk's stack, with the context it was created with and the
 * faults reported against it. Identity matters: a layer keeps its identity when the stack around it is
 * republished.
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
    private volatile String lastFault = "";

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

    /** How the layer is named in messages: {@code filter 'name' (CLASS)}. */
    public String label() {
        return "filter '" + name + "' (" + filterClass + ")";
    }

    /** Record a contract violation or exception of this filter. */
    public void fault(String message, Throwable cause) {
        faults.incrementAndGet();
        lastFault = message;
        LOG.log(System.Logger.Level.WARNING, "disk '" + context.diskId() + "': " + message, cause);
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
