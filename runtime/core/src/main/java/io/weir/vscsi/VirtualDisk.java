package io.weir.vscsi;

import java.time.Duration;
import java.util.Set;

import io.weir.filter.Capability;
import io.weir.filter.IoCallback;
import io.weir.filter.IoRequest;

import org.osgi.annotation.versioning.ProviderType;

/**
 * An open virtual disk: the entry of the data path that front ends submit to.
 *
 * <p>Every request is validated (range, alignment, overflow, size limit, negotiated capabilities) before any
 * filter sees it; an invalid one completes at once with a specific error and harms nothing. Admitted requests
 * are tracked until they complete. At most {@link #maxQueueDepth()} are in flight: beyond that,
 * {@link #submit} blocks its caller until a slot frees (backpressure, never an error).
 */
@ProviderType
public interface VirtualDisk {
    String id();

    long capacity();

    int blockSize();

    /** The largest data length of one request in bytes. */
    int maxRequestLength();

    int maxQueueDepth();

    /** Capabilities negotiated by the backend and the filter stack. */
    Set<Capability> capabilities();

    /**
     * Submit a request; {@code callback} is called exactly once with its outcome, possibly before this method
     * returns. Blocks only while the queue is full. Requests submitted while the disk is stunned are parked
     * and replayed, in arrival order, when it resumes.
     */
    void submit(IoRequest request, IoCallback callback) throws InterruptedException;

    /**
     * Stun: park new requests, tell the filters (which release deferred requests), and wait until every
     * in-flight request has completed. Returns once drained.
     *
     * @throws DiskException BUSY if already stunned, or if draining takes longer than {@code timeout}
     *                       (the disk is then resumed and the message names the layers still holding requests)
     */
    void stun(Duration timeout) throws DiskException, InterruptedException;

    /** Resume after {@link #stun}: tell the filters, then replay parked requests in arrival order. */
    void unstun() throws DiskException;

    /** Current state and counters. */
    DiskInfo info();
}
