package io.weir.filter;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Receives the completion of a request a filter submitted itself through
 * {@link FilterContext#submit(IoRequest, IoCallback)}. Called exactly once, on whatever thread completed the
 * request; it must not block.
 */
@ConsumerType
@FunctionalInterface
public interface IoCallback {
    /** The request completed with {@code status}; for a READ, its buffer holds the data on success. */
    void done(IoStatus status);
}
