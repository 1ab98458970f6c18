package io.weir.samples.qos;

import java.util.List;

import io.weir.backend.ForwardingBackend;
import io.weir.backend.memory.MemoryBackend;
import io.weir.filter.IoCallback;
import io.weir.filter.IoRequest;

/**
 * The probe below the QOS filter (nothing in the stack is below it): a backend that records every request in
 * the order the filter dispatched it, with the disk it came from, into a log shared by the disks of a test.
 */
final class RecordingBackend extends ForwardingBackend {
    /** One request as it reached the backend. */
    record Dispatch(String disk, IoRequest request, long nanos) {
    }

    private final String disk;
    private final MemoryBackend memory;
    private final List<Dispatch> log;

    RecordingBackend(String disk, MemoryBackend memory, List<Dispatch> log) {
        super(memory);
        this.disk = disk;
        this.memory = memory;
        this.log = log;
    }

    MemoryBackend memory() {
        return memory;
    }

    @Override
    public void submit(IoRequest request, IoCallback callback) {
        synchronized (log) {
            log.add(new Dispatch(disk, request, System.nanoTime()));
        }
        memory.submit(request, callback);
    }

}
