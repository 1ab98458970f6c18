package io.weir.itest;

import static org.junit.Assert.fail;

import java.util.ArrayList;
import java.util.List;

import org.osgi.framework.BundleContext;
import org.osgi.framework.Filter;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.util.tracker.ServiceTracker;

/**
 * Looks services up in the framework, waiting for them to appear (Declarative Services activates components
 * asynchronously). Keeps each tracker open until {@link #close()} so service objects stay valid.
 */
final class Services implements AutoCloseable {
    /** How long to wait for a service before failing the test; a guard against hangs, not a timing check. */
    private static final long WAIT_MILLIS = 30_000;

    private final BundleContext context;
    private final List<ServiceTracker<?, ?>> trackers = new ArrayList<>();

    Services(BundleContext context) {
        this.context = context;
    }

    /** The service of {@code type}, waiting for it to be registered. */
    <T> T get(Class<T> type) {
        return get(type, null);
    }

    /** The service of {@code type} matching the LDAP {@code filter} (may be null), waiting for it. */
    <T> T get(Class<T> type, String filter) {
        String spec = "(objectClass=" + type.getName() + ")";
        if (filter != null) {
            spec = "(&" + spec + filter + ")";
        }
        Filter f;
        try {
            f = context.createFilter(spec);
        } catch (InvalidSyntaxException e) {
            throw new IllegalArgumentException(spec, e);
        }
        ServiceTracker<T, T> tracker = new ServiceTracker<>(context, f, null);
        tracker.open();
        trackers.add(tracker);
        try {
            T service = tracker.waitForService(WAIT_MILLIS);
            if (service == null) {
                fail("no service " + spec + " registered within " + WAIT_MILLIS + " ms");
            }
            return type.cast(service);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for " + spec, e);
        }
    }

    @Override
    public void close() {
        trackers.forEach(ServiceTracker::close);
        trackers.clear();
    }
}
