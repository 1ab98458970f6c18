package io.weir.samples.replication;

import java.time.Instant;

/**
 * A FLUSH-consistent point of a replica: the replica image held exactly the primary's state as of one FLUSH the
 * primary completed (every write completed before that FLUSH, none sent after it).
 *
 * @param id         increasing number of the checkpoint within the replica's journal
 * @param primaryAt  when the primary received the FLUSH (primary's clock)
 * @param receivedAt when the replica made it durable (replica's clock)
 */
public record Checkpoint(long id, Instant primaryAt, Instant receivedAt) {
}
