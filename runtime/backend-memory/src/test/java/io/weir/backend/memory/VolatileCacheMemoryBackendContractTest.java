package io.weir.backend.memory;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;

import io.weir.backend.Backend;
import io.weir.backend.BackendSpec;

/**
 * The backend contract on memory disks with a volatile write cache, each request completing after 0 to 20 µs:
 * some inline, most later on a scheduler thread.
 */
class VolatileCacheMemoryBackendContractTest extends MemoryBackendContractTest {
    @Override
    protected Backend open(BackendSpec spec) throws IOException {
        MemoryBackend backend = (MemoryBackend) super.open(new BackendSpec(spec.diskId(), spec.capacity(),
                spec.blockSize(), spec.directory(), Map.of("mode", "volatile-cache", "seed", "1")));
        backend.setLatency(Duration.ZERO, Duration.ofNanos(20_000));
        return backend;
    }
}
