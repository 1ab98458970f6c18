package io.weir.samples.replication;

import java.time.Instant;

/**
 * A consistent point of a replica: the replica image held exactly the primary's state at one moment of its stream,
 * every write the primary had sent before that moment and none after it.
 *
 * @param id         increasing number of the checkpoint within the replica's journal
 * @param primaryAt  when the primary placed it in the stream (primary's clock)
 * @param receivedAt when the replica made it durable (replica's clock)
 * @param cause      what placed it there, and so what the state means to the guest
 */
public record Checkpoint(long id, Instant primaryAt, Instant receivedAt, Cause cause) {

    /** What made the primary place a checkpoint in its stream. */
    public enum Cause {
        /** A guest FLUSH: the state as of that FLUSH, every write completed before it. */
        FLUSH,
        /** A snapshot being prepared: the disk was stunned, so no write was in flight. */
        SNAPSHOT,
        /**
         * A resync that finished: the replica caught up with the primary at a moment no FLUSH marks, a state the disk
         * could have had after a power loss then (crash-consistent), not the state of any FLUSH.
         */
        RESYNC;

        /** The byte that stands for this cause in frames and journal records. */
        byte code() {
            return (byte) ordinal();
        }

        /** The cause a stored byte stands for; one this version does not know is an error. */
        static Cause of(int code) {
            Cause[] all = values();
            if (code < 0 || code >= all.length) {
                throw new IllegalArgumentException("unknown checkpoint cause " + code);
            }
            return all[code];
        }
    }
}
