package io.weir.certification.broken;

import io.weir.certification.reference.MirrorReplication;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;

/**
 * A "synchronous" replication filter that completes a write when the replica is unreachable instead of failing it:
 * the guest is told the write is on both sides when it is not. The kit's {@code replica-semantics} check fails it.
 */
public final class AcksBeforeReplica extends MirrorReplication {
    @Override
    protected IoStatus replicateNow(Replica replica, IoRequest request, byte[] data) {
        if (up) {
            return super.replicateNow(replica, request, data);
        }
        return IoStatus.OK;
    }
}
