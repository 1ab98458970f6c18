package io.weir.vscsi.standalone;

import java.time.Duration;
import java.util.Map;

import io.weir.filter.ControlEvent;
import io.weir.filter.FilterFactory;
import io.weir.filter.FilterRefusedException;
import io.weir.vscsi.DiskException;
import io.weir.vscsi.SwapReport;
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

    /**
     * Replace a filter instance on the live disk with one from {@code factory}, handing over its state: the new
     * instance is built first (invisible), the disk is stunned (the old instance releases deferred work), the old
     * instance gets SWAP_OUT and puts its state in a handoff, the new one gets ATTACH, OPEN and SWAP_IN with that
     * handoff, the stack is republished and parked requests replay. Any refusal leaves the old instance serving
     * (it gets SWAP_ABORT if it had accepted SWAP_OUT).
     *
     * @throws DiskException NOT_FOUND without such a filter, INVALID when the class differs or the new instance
     *                       would take capabilities away, REFUSED when either instance refuses, BUSY when the disk
     *                       does not drain
     */
    SwapReport swap(String filterName, FilterFactory factory, Map<String, Object> config, Duration deadline)
            throws DiskException, InterruptedException;

    /** Send CLOSE and DETACH to the filters, then close the backend. */
    @Override
    void close() throws DiskException;
}
