package io.weir.certification;

import java.io.IOException;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * The replica of a REPLICATION candidate, as the kit needs to see it: supplied by the filter's own build (typically
 * its receiver on loopback, which the candidate's configuration points at), so the kit can check replica semantics
 * ({@code replica-semantics}). Without one that check is skipped. Methods may be called from any thread.
 */
@ConsumerType
public interface ReplicaHarness {
    /**
     * What the replica holds durably now for kit disk {@code diskId} at {@code [offset, offset + length)}: what a
     * failover at this instant would give the guest. Never-replicated ranges read as zeros.
     */
    byte[] read(String diskId, long offset, int length) throws IOException;

    /** Cut every link between primaries and the replica (open connections drop, new ones fail) until {@link #heal}. */
    void cut() throws IOException;

    /** Let primaries reach the replica again. */
    void heal() throws IOException;
}
