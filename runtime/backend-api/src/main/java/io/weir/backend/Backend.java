package io.weir.backend;

import java.io.IOException;
import java.util.Set;

import io.weir.filter.Capability;
import io.weir.filter.IoCallback;
import io.weir.filter.IoRequest;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * The storage beneath one disk. Requests arrive validated (in range, aligned) from the bottom of the filter
 * stack, concurrently, from threads that must not be blocked for long: a backend that does blocking I/O does
 * it on threads of its own, unless the submitting thread offered to carry it ({@link InlineIo}).
 *
 * <p>Contract: {@link #submit} calls the callback exactly once. A WRITE, UNMAP or WRITE_ZEROES with FUA is
 * durable when it completes; FLUSH makes every write completed before it was submitted durable. A READ that
 * starts after a write completed sees that write.
 */
@ConsumerType
public interface Backend extends AutoCloseable {
    /** What this backend supports; the filter stack may only narrow it. */
    Set<Capability> capabilities();

    /** Current capacity in bytes. */
    long capacity();

    /**
     * True only when this backend knows its storage holds nothing but zeros because it created the storage empty
     * when it was opened and nothing has been written to it since. False when in doubt (storage that existed
     * before, or one another program may have written). The runtime uses it to tell a new disk from one that
     * holds data.
     */
    default boolean blank() {
        return false;
    }

    /** Execute one request and call {@code callback} exactly once. Never throws for I/O failures. */
    void submit(IoRequest request, IoCallback callback);

    /** Grow to {@code newCapacity} bytes; the new range reads as zeros. */
    void grow(long newCapacity) throws IOException;

    /** Make everything durable and release resources. Requests submitted after close fail with SHUTDOWN. */
    @Override
    void close() throws IOException;
}
