package io.weir.certification.broken;

import io.weir.certification.reference.MirrorReplication;
import io.weir.filter.IoStatus;

/**
 * An asynchronous replication filter that drops the writes made while the link is cut instead of tracking them for a
 * resync: the replica never catches up. The kit's {@code replica-semantics} check fails it.
 */
public final class DropsWhileCut extends MirrorReplication {
    @Override
    protected IoStatus replicateInOrder(Replica replica, long offset, byte[] data) {
        if (!up) {
            return IoStatus.OK;
        }
        return super.replicateInOrder(replica, offset, data);
    }
}
