package io.weir.samples.replication;

import java.util.Optional;

/**
 * What a replica directory holds for one disk.
 *
 * @param diskId       the primary's disk id
 * @param streamId     the replication stream the image belongs to (hex)
 * @param capacity     the image's capacity in bytes
 * @param blockSize    the primary disk's block size
 * @param consistent   whether the image is at a FLUSH-consistent point or in the middle of a stream epoch; false
 *                     while a resync is copying regions out of order
 * @param failedOver   whether the replica was promoted: it accepts no more streams
 * @param oldest       the oldest checkpoint still recoverable, if any
 * @param latest       the latest checkpoint, if any
 * @param checkpoints  how many checkpoints the journal retains
 * @param journalBytes bytes of journal retained
 */
public record ReplicaInfo(String diskId, String streamId, long capacity, int blockSize, boolean consistent,
                          boolean failedOver, Optional<Checkpoint> oldest, Optional<Checkpoint> latest,
                          int checkpoints, long journalBytes) {
}
