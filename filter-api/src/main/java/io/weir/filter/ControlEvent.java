package io.weir.filter;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A disk operation a filter is told about, in a fixed order across the stack.
 *
 * <p><b>Order.</b> Events that quiesce or tear down ({@link Kind#travelsOutward()} is false: STUN, CLOSE,
 * DETACH, SNAPSHOT_PREPARE, MIGRATE_OUT, SWAP_OUT) travel <em>outer to inner</em>, guest side first, so
 * whatever a layer writes back or releases still has a working path below it. Events that bring up,
 * resume or conclude travel <em>inner to outer</em>, backend side first, so each layer only starts once
 * everything beneath it is ready.
 *
 * <p><b>Refusal.</b> A filter may refuse a {@linkplain Kind#refusable() preparing} event by throwing
 * {@link FilterRefusedException}; every filter that had already accepted it then receives the
 * {@linkplain Kind#undo() undo} event, in the reverse of the order they accepted it, and the operation
 * fails with the refusing filter's reason.
 *
 * <p><b>Deadline.</b> The filter must return before {@link #deadline()}; it may block the control thread
 * until then (for example while writing back). A filter that misses it is treated as faulted.
 */
public final class ControlEvent {

    /** What happened to the disk. */
    public enum Kind {
        /** The filter joins the disk's stack (after {@link FilterFactory#create}). Undo: DETACH. */
        ATTACH(true, true),
        /** The filter leaves the stack: release resources; dirty data must already be written back. */
        DETACH(false, false),
        /** The guest starts using the disk. Undo: CLOSE. */
        OPEN(true, true),
        /** The guest stopped using the disk. */
        CLOSE(false, false),
        /** The disk is stunned: new requests are parked. Release every deferred request now. */
        STUN(false, false),
        /** The disk resumes; parked requests follow. */
        UNSTUN(true, false),
        /** A snapshot is about to be taken (disk stunned): make state consistent below. Undo: SNAPSHOT_ABORT. */
        SNAPSHOT_PREPARE(false, true),
        /** The snapshot was taken. */
        SNAPSHOT_COMMIT(true, false),
        /** The snapshot was abandoned. */
        SNAPSHOT_ABORT(true, false),
        /** The capacity grows to {@link ControlEvent#capacity()}. Undo: GROW_ABORT. */
        GROW(true, true),
        /** A GROW was abandoned; the capacity stays as it was. */
        GROW_ABORT(true, false),
        /** The disk moves to another host: write back and put state in the handoff. Undo: MIGRATE_ABORT. */
        MIGRATE_OUT(false, true),
        /** The disk arrived from another host: take state from the handoff. Undo: DETACH. */
        MIGRATE_IN(true, true),
        /** A MIGRATE_OUT was abandoned; carry on serving. */
        MIGRATE_ABORT(true, false),
        /** This instance is being replaced: write back and put state in the handoff. Undo: SWAP_ABORT. */
        SWAP_OUT(false, true),
        /** This instance replaces another: take state from the handoff. Undo: DETACH. */
        SWAP_IN(true, true),
        /** A SWAP_OUT was abandoned; this instance carries on serving. */
        SWAP_ABORT(true, false);

        private final boolean outward;
        private final boolean refusable;

        Kind(boolean outward, boolean refusable) {
            this.outward = outward;
            this.refusable = refusable;
        }

        /** True when the event travels inner to outer (backend side first); false for outer to inner. */
        public boolean travelsOutward() {
            return outward;
        }

        /** Whether a filter may refuse this event. */
        public boolean refusable() {
            return refusable;
        }

        /** The event that undoes this one for filters that accepted it before another refused. */
        public Kind undo() {
            switch (this) {
                case ATTACH:
                case MIGRATE_IN:
                case SWAP_IN:
                    return DETACH;
                case OPEN:
                    return CLOSE;
                case SNAPSHOT_PREPARE:
                    return SNAPSHOT_ABORT;
                case GROW:
                    return GROW_ABORT;
                case MIGRATE_OUT:
                    return MIGRATE_ABORT;
                case SWAP_OUT:
                    return SWAP_ABORT;
                default:
                    throw new IllegalStateException(this + " cannot be refused, so it has no undo");
            }
        }

        /** Whether the event carries a {@link StateHandoff}. */
        public boolean carriesState() {
            return this == MIGRATE_OUT || this == MIGRATE_IN || this == SWAP_OUT || this == SWAP_IN;
        }
    }

    private final Kind kind;
    private final long capacity;
    private final Instant deadline;
    private final StateHandoff handoff;

    /** Made by the runtime; partners only create events in tests. */
    public ControlEvent(Kind kind, long capacity, Instant deadline, StateHandoff handoff) {
        this.kind = Objects.requireNonNull(kind, "kind");
        this.capacity = capacity;
        this.deadline = Objects.requireNonNull(deadline, "deadline");
        if (kind.carriesState() && handoff == null) {
            throw new IllegalArgumentException(kind + " needs a state handoff");
        }
        this.handoff = handoff;
    }

    public Kind kind() {
        return kind;
    }

    /** The disk capacity in bytes this event concerns: the new capacity for GROW, else the current one. */
    public long capacity() {
        return capacity;
    }

    /** When the filter must have returned. */
    public Instant deadline() {
        return deadline;
    }

    /** The state handoff of MIGRATE_* and SWAP_* events: written on the way out, read on the way in. */
    public Optional<StateHandoff> handoff() {
        return Optional.ofNullable(handoff);
    }

    @Override
    public String toString() {
        return kind + (kind == Kind.GROW ? "(" + capacity + ")" : "");
    }
}
