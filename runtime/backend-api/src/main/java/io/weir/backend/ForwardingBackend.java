package io.weir.backend;

import java.io.IOException;
import java.util.Objects;
import java.util.Set;

import io.weir.filter.Capability;
import io.weir.filter.IoCallback;
import io.weir.filter.IoRequest;

/**
 * A backend that hands everything to another one; subclasses override what they observe or change (a tap that
 * records what reaches the backend, a backend slowed down for a test). Without overrides it is the delegate.
 */
public abstract class ForwardingBackend implements Backend {
    private final Backend delegate;

    protected ForwardingBackend(Backend delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    /** The backend this one forwards to. */
    protected final Backend delegate() {
        return delegate;
    }

    @Override
    public Set<Capability> capabilities() {
        return delegate.capabilities();
    }

    @Override
    public long capacity() {
        return delegate.capacity();
    }

    @Override
    public boolean blank() {
        return delegate.blank();
    }

    @Override
    public void submit(IoRequest request, IoCallback callback) {
        delegate.submit(request, callback);
    }

    @Override
    public void grow(long newCapacity) throws IOException {
        delegate.grow(newCapacity);
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }
}
