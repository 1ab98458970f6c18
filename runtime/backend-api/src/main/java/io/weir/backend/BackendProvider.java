package io.weir.backend;

import java.io.IOException;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A kind of storage backend, registered as an OSGi service with the service property {@value #TYPE} naming
 * its type (for example {@code file} or {@code memory}).
 */
@ConsumerType
public interface BackendProvider {
    /** Service property: the backend type this provider serves. */
    String TYPE = "weir.backend.type";

    /**
     * Open the backend of one disk, creating its storage on first use with {@link BackendSpec#capacity()}.
     * Storage that exists but disagrees with the spec (for example a smaller file) is an error, never a
     * silent truncation.
     */
    Backend open(BackendSpec spec) throws IOException;

    /** Delete the storage of a disk that was closed for good. */
    void destroy(BackendSpec spec) throws IOException;
}
