package io.weir.vscsi.stack;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import io.weir.filter.FilterClass;
import io.weir.filter.FilterContext;
import io.weir.filter.IoCallback;
import io.weir.filter.IoError;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;
import io.weir.filter.Sidecar;

import org.osgi.util.converter.ConversionException;
import org.osgi.util.converter.Converters;

/** The runtime's side of {@link FilterContext}: one per layer. */
final class LayerContext implements FilterContext {
    private final Layer layer;
    private final LayerServices services;
    private final Executor executor;
    private volatile Supplier<Map<String, ?>> metrics;

    LayerContext(Layer layer, LayerServices services) {
        this.layer = layer;
        this.services = services;
        this.executor = new SerialExecutor(services.pool(), layer.name());
    }

    StackHost host() {
        return services.host();
    }

    @Override
    public String diskId() {
        return services.host().id();
    }

    @Override
    public long capacity() {
        return services.host().capacity();
    }

    @Override
    public int blockSize() {
        return services.host().blockSize();
    }

    @Override
    public boolean blank() {
        return services.host().blank();
    }

    @Override
    public int maxRequestLength() {
        return services.host().maxRequestLength();
    }

    @Override
    public String filterName() {
        return layer.name();
    }

    @Override
    public FilterClass filterClass() {
        return layer.filterClass();
    }

    @Override
    public Map<String, Object> properties() {
        return layer.config();
    }

    @Override
    public <T> T config(Class<T> type) {
        Objects.requireNonNull(type, "type");
        try {
            return Converters.standardConverter().convert(layer.config()).to(type);
        } catch (ConversionException e) {
            throw new IllegalArgumentException(layer.label() + ": configuration does not fit " + type.getName()
                    + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Executor executor() {
        return executor;
    }

    @Override
    public Future<?> schedule(Runnable task, Duration delay) {
        Objects.requireNonNull(task, "task");
        return services.scheduler().schedule(() -> executor.execute(task), Math.max(0, delay.toNanos()),
                TimeUnit.NANOSECONDS);
    }

    @Override
    public Sidecar sidecar() {
        return services.sidecars().forFilter(layer.name());
    }

    @Override
    public void submit(IoRequest request, IoCallback callback) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(callback, "callback");
        StackHost host = services.host();
        Stack stack = host.current();
        int index = stack.indexOf(layer);
        if (index < 0) {
            callback.done(IoStatus.failed(IoError.SHUTDOWN, layer.label() + " is no longer in the stack of disk '"
                    + host.id() + "'"));
            return;
        }
        IoStatus bad = RequestCheck.checkRange(request, host.capacity(), host.blockSize(), host.maxRequestLength());
        if (bad != null) {
            String message = layer.label() + " submitted an invalid request: " + bad.message();
            layer.fault(message, null);
            callback.done(IoStatus.failed(bad.error(), message));
            return;
        }
        if (request.op().modifies()) {
            IoStatus unrecorded = host.beforeModify();
            if (unrecorded != null) {
                callback.done(unrecorded);
                return;
            }
        }
        host.filterRequestStarted();
        OwnRequest own = new OwnRequest(layer, callback, host);
        stack.dispatch(index + 1, request, own);
    }

    /** A request a filter submitted itself: completes its callback exactly once and ends the accounting. */
    private static final class OwnRequest implements IoCallback {
        private final Layer layer;
        private final IoCallback callback;
        private final StackHost host;
        private final AtomicBoolean done = new AtomicBoolean();

        OwnRequest(Layer layer, IoCallback callback, StackHost host) {
            this.layer = layer;
            this.callback = callback;
            this.host = host;
        }

        @Override
        public void done(IoStatus status) {
            if (!done.compareAndSet(false, true)) {
                return;
            }
            host.filterRequestEnded();
            try {
                callback.done(status);
            } catch (RuntimeException | LinkageError e) {
                layer.fault(layer.label() + " threw from the callback of its own request", e);
            }
        }
    }

    @Override
    public void metrics(Supplier<Map<String, ?>> snapshot) {
        this.metrics = Objects.requireNonNull(snapshot, "snapshot");
    }

    /** The filter's published metrics as display values, sorted by name; empty when it publishes none. */
    Map<String, Object> metricsSnapshot() {
        Supplier<Map<String, ?>> m = metrics;
        if (m == null) {
            return Map.of();
        }
        Map<String, Object> out = new java.util.TreeMap<>();
        try {
            Map<String, ?> values = m.get();
            if (values != null) {
                values.forEach((k, v) -> out.put(String.valueOf(k), v instanceof Number || v instanceof Boolean
                        || v instanceof String ? v : String.valueOf(v)));
            }
        } catch (RuntimeException e) {
            return Map.of("error", "the filter's metrics failed: " + e);
        }
        return out;
    }
}
