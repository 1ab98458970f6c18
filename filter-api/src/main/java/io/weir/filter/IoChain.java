package io.weir.filter;

import org.osgi.annotation.versioning.ProviderType;

/**
 * One request at one filter's position: the filter disposes of the request through it exactly once.
 *
 * <ul>
 *   <li>{@link #pass()} or {@link #pass(IoRequest)}: send it to the layer below; its completion comes back
 *       through {@link Filter#completed(IoRequest, IoStatus)}.</li>
 *   <li>{@link #complete()}: finish it here (for a READ, after filling its buffer).</li>
 *   <li>{@link #fail(IoError, String)}: finish it here with an error; layers below never learn of it.</li>
 *   <li>Defer: return from {@link Filter#handle(IoRequest, IoChain)} without choosing, keep the chain, and
 *       choose later from another thread (for example the context's executor). A deferred request must be
 *       released when the disk is stunned.</li>
 * </ul>
 *
 * <p>A second disposition, or a request passed down outside the disk, is a contract violation: the runtime
 * throws {@link IllegalStateException} to the caller, fails the request and reports the filter by name.
 * Safe to call from any thread.
 */
@ProviderType
public interface IoChain {
    /** Pass the request down unchanged. */
    void pass();

    /**
     * Pass a modified request down in place of the original (same operation; another buffer, FUA set, or
     * another range inside the disk). The completion is still reported against the original request.
     */
    void pass(IoRequest replacement);

    /** Complete the request successfully at this layer. */
    void complete();

    /** Fail the request at this layer. */
    void fail(IoError error, String message);

    /** The request this chain carries, as it arrived at this layer. */
    IoRequest request();
}
