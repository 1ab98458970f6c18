package io.weir.filter;

import java.util.Set;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A filter instance on one disk. The runtime calls {@link #handle} for every request travelling down
 * (outer to inner) and {@link #completed} for every request the filter passed down, as its completion
 * travels back up (inner to outer).
 *
 * <p>Threading: {@code handle} and {@code completed} are called concurrently from many threads and must
 * never block; deferred work goes to {@link FilterContext#executor()}. {@link #onEvent} is called from the
 * disk's control thread, never concurrently with another event for the same disk.
 *
 * <p>Exceptions: an unchecked exception thrown from {@code handle} or {@code completed} fails that request
 * with {@link IoError#FILTER_FAULT} naming this filter; the runtime carries on.
 */
@ConsumerType
@FunctionalInterface
public interface Filter {

    /** Dispose of {@code request} exactly once through {@code chain}: pass, complete, fail, or defer. */
    void handle(IoRequest request, IoChain chain);

    /**
     * A request this filter passed down has completed below. Return the status to report upwards:
     * {@code status} itself, or a changed one (for example a failure when a replica did not acknowledge).
     * For a successful READ, the request's buffer holds the data and may be transformed in place.
     * Layers above see only what this returns. The default returns {@code status}.
     */
    default IoStatus completed(IoRequest request, IoStatus status) {
        return status;
    }

    /**
     * Narrow the capabilities offered by the layer below; called once when the stack is built, from the
     * backend side outwards. The result must be a subset of {@code below}. The default keeps them all.
     */
    default Set<Capability> capabilities(Set<Capability> below) {
        return below;
    }

    /**
     * A control event for this disk; see {@link ControlEvent} for the order and deadlines. Throw
     * {@link FilterRefusedException} to refuse a refusable event. The default accepts everything and holds
     * no deferred requests.
     */
    default void onEvent(ControlEvent event) throws FilterRefusedException {
        // nothing to prepare, release or hand over
    }
}
