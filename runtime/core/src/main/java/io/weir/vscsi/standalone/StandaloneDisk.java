package io.weir.vscsi.standalone;

import java.time.Duration;

import io.weir.filter.ControlEvent;
import io.weir.filter.FilterRefusedException;
import io.weir.vscsi.DiskException;
import io.weir.vscsi.VirtualDisk;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A virtual disk assembled outside the catalog by {@link Disks#builder(String)}: for tests, benchmarks and
 * the certification kit, which control the backend and the filters themselves.
 */
@ProviderType
public interface StandaloneDisk extends VirtualDisk, AutoCloseable {
    /**
     * Deliver a control event to every filter in the documented order, with refusal and rollback.
     *
     * @throws FilterRefusedException the first refusal, its message prefixed by the filter's name, after
     *                                every filter that had accepted received the undo event
     */
    void deliver(ControlEvent.Kind kind, Duration deadline) throws FilterRefusedException;

    /** Grow the disk: filters are asked first (and may refuse), then the backend grows. */
    void grow(long newCapacity, Duration deadline) throws DiskException;

    /** Send CLOSE and DETACH to the filters, then close the backend. */
    @Override
    void close() throws DiskException;
}
