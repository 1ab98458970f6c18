package io.weir.certification.probe;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;

import io.weir.filter.FilterClass;
import io.weir.filter.FilterContext;
import io.weir.filter.IoCallback;
import io.weir.filter.IoRequest;
import io.weir.filter.Sidecar;

/** Just enough of a filter context for probes, which read only the disk id and their configuration. */
record FakeContext(String diskId, FilterClass filterClass, Map<String, Object> properties) implements FilterContext {
    @Override
    public long capacity() {
        return 1 << 20;
    }

    @Override
    public int blockSize() {
        return 512;
    }

    @Override
    public boolean blank() {
        return true;
    }

    @Override
    public int maxRequestLength() {
        return 1 << 16;
    }

    @Override
    public String filterName() {
        return ProbeFilterFactory.nameOf(filterClass);
    }

    @Override
    public <T> T config(Class<T> type) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Executor executor() {
        throw new UnsupportedOperationException();
    }

    @Override
    public Future<?> schedule(Runnable task, Duration delay) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Sidecar sidecar() {
        throw new UnsupportedOperationException();
    }

    @Override
    public void submit(IoRequest request, IoCallback callback) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void metrics(java.util.function.Supplier<Map<String, ?>> snapshot) {
        // published metrics are for operators; the probes' tests do not read them
    }
}
