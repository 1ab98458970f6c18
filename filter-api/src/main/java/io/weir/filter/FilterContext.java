package io.weir.filter;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.function.Supplier;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A filter instance's position in one disk's stack, handed to {@link FilterFactory#create(FilterContext)}.
 * Valid until the instance is detached. Safe to use from any thread.
 */
@ProviderType
public interface FilterContext {
    /** The disk's identifier. */
    String diskId();

    /** The disk's current capacity in bytes (changes on GROW). */
    long capacity();

    /** The disk's logical block size: 512 or 4096. Every request the filter sees is aligned to it. */
    int blockSize();

    /**
     * Whether the disk is blank: its storage was created empty and nothing has written to it since (neither the
     * guest nor any filter). It turns false, durably, before the first write reaches any filter and never turns
     * true again. Filters that change how data is stored (ENCRYPTION, COMPRESSION) may only join a blank disk,
     * unless they find their own metadata in their {@link #sidecar()} (a restart, re-attach or swap).
     *
     * @since 1.1
     */
    boolean blank();

    /** The largest data length of one request, in bytes. */
    int maxRequestLength();

    /** The filter's declared name. */
    String filterName();

    /** The filter's declared class. */
    FilterClass filterClass();

    /** This instance's configuration, as given when the filter was attached to the disk. */
    Map<String, Object> properties();

    /**
     * This instance's configuration as a typed view: {@code type} is an annotation or interface whose methods
     * name the keys (the style of OSGi Metatype's {@code @ObjectClassDefinition}); missing keys take the
     * method's default. A value that cannot be converted is an {@link IllegalArgumentException} naming the key.
     */
    <T> T config(Class<T> type);

    /** The filter's executor for deferred work. Tasks run in submission order per filter instance. */
    Executor executor();

    /** Run {@code task} on the filter's executor after {@code delay}. */
    Future<?> schedule(Runnable task, Duration delay);

    /** The filter's durable metadata store on this disk. */
    Sidecar sidecar();

    /**
     * Submit a request of the filter's own (a split part, a write-back, a read-ahead) to the layer below this
     * one. It is validated like any other request; {@code callback} is called exactly once.
     */
    void submit(IoRequest request, IoCallback callback);

    /**
     * Publish what this instance measures (hit ratio, dirty bytes, replication lag, ...) for operators: the runtime
     * calls {@code snapshot} when someone asks ({@code weir disk info}), from any thread, and shows the values
     * under the filter's name. It must be quick and must not block; values should be numbers, strings or
     * booleans (anything else is shown as its {@code toString()}). A later call replaces the supplier; an exception
     * it throws is shown in place of the values. Nothing is published until a filter calls this.
     *
     * @since 1.2
     */
    void metrics(Supplier<Map<String, ?>> snapshot);
}
