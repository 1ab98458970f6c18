package io.weir.samples.replication;

import java.time.Duration;
import java.util.Optional;

/**
 * A snapshot of one disk's replication.
 *
 * @param diskId          the disk
 * @param mode            {@code sync} or {@code async}
 * @param state           the link's state
 * @param target          the replica, host:port (empty when none is configured)
 * @param lagBytes        bytes of writes sent or queued that the replica has not yet made durable
 * @param lag             the recovery point objective now: age of the oldest write the replica does not hold durably
 *                        (queued, in flight or tracked as dirty); zero when the replica is current
 * @param dirtyBytes      bytes of regions marked for resync (upper bound of what differs)
 * @param resyncTotal     bytes the running or last resync set out to copy
 * @param resyncDone      bytes it copied so far
 * @param sentBytes       bytes of frames written to the replica since the instance started
 * @param acknowledgedSeq the stream position the replica acknowledged as durable
 * @param heldWrites      writes held by the filter now (waiting for the bitmap, buffer space or the replica)
 * @param degradedWrites  synchronous writes completed without the replica (it had failed; their regions are
 *                        tracked for resync)
 * @param failedWrites    writes failed because the replica had failed (mode sync, {@code fail} policy) or the
 *                        bitmap could not be persisted
 * @param connects        successful connections to the replica
 * @param overflows       times the stream was given up for tracking because the replica could not keep up (buffer
 *                        full past the backpressure bound, or a synchronous write not acknowledged in time)
 * @param bitmapDurable   whether the dirty bitmap is persisted in the sidecar (false on a disk without one)
 * @param lastError       the last link error, if any
 */
public record ReplicationMetrics(String diskId, String mode, LinkState state, String target, long lagBytes,
                                 Duration lag, long dirtyBytes, long resyncTotal, long resyncDone, long sentBytes,
                                 long acknowledgedSeq, int heldWrites, long degradedWrites, long failedWrites,
                                 long connects, long overflows, boolean bitmapDurable, Optional<String> lastError) {

    /** The figures operators see in {@code weir disk info}, by name. */
    public java.util.Map<String, Object> asMap() {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("mode", mode);
        m.put("state", state.toString());
        m.put("target", target.isEmpty() ? "-" : target);
        m.put("rpoMillis", lag.toMillis());
        m.put("lagBytes", lagBytes);
        m.put("dirtyBytes", dirtyBytes);
        m.put("resync", resyncDone + "/" + resyncTotal);
        m.put("sentBytes", sentBytes);
        m.put("heldWrites", heldWrites);
        m.put("degradedWrites", degradedWrites);
        m.put("failedWrites", failedWrites);
        m.put("connects", connects);
        m.put("overflows", overflows);
        m.put("bitmapDurable", bitmapDurable);
        m.put("lastError", lastError.orElse("-"));
        return m;
    }

    /** The replication link's state. */
    public enum LinkState {
        /** No replica configured: every write is tracked as dirty. */
        NO_TARGET,
        /** Connecting for the first time; writes are queued for the stream. */
        CONNECTING,
        /** Connected; dirty regions are being copied while new writes stream in order. */
        RESYNCING,
        /** Connected and in order: the replica is a FLUSH-consistent prefix of the disk. */
        STREAMING,
        /** The replica is unreachable or too slow: writes are tracked as dirty, a reconnect is pending. */
        DOWN,
        /** The instance stopped replicating (detached, swapped or migrated out). */
        STOPPED
    }
}
