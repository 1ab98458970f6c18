package io.weir.samples.qos;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;

import io.weir.filter.ControlEvent;
import io.weir.filter.Filter;
import io.weir.filter.FilterContext;
import io.weir.filter.IoChain;
import io.weir.filter.IoOp;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;
import io.weir.filter.StateHandoff;

/**
 * The {@code qos} filter instance of one disk: a FIFO queue the group's scheduler serves, and an outbox of
 * requests the scheduler chose, passed down in order on the disk's executor. Scheduling state is guarded by
 * the group's monitor. Because the queue is FIFO and the outbox is drained in order by one serial executor,
 * a disk's requests go down in the order they arrived, so nothing passes a FLUSH in either direction.
 */
final class Member implements Filter {
    /** Handoff key of the disk's limit and reservation credits (SWAP and MIGRATE). */
    static final String CREDITS_KEY = "qos.credits";
    private static final byte CREDITS_FORMAT = 1;
    private static final long NO_TAG = Long.MIN_VALUE / 4;
    private static final double NANOS_PER_SECOND = 1e9;

    /** Where the instance is in its life: only an ACTIVE one is scheduled; the others release at once. */
    private enum State { CREATED, ACTIVE, RELEASING, DETACHED }

    private record Queued(IoRequest request, IoChain chain, long arrival) {
    }

    private final QosFilterFactory factory;
    private final FilterContext context;
    private final Group group;

    // Guarded by group.
    private QosPolicy policy;
    private State state = State.CREATED;
    private final ArrayDeque<Queued> queue = new ArrayDeque<>();
    private final ArrayDeque<IoChain> outbox = new ArrayDeque<>();
    private boolean drainScheduled;
    private long reservationLast = NO_TAG;
    private long iopsTag = NO_TAG;
    private long bytesTag = NO_TAG;
    private double shareLast = Double.NEGATIVE_INFINITY;
    private long dispatched;
    private long reservationPhase;
    private long sharePhase;
    private long barriers;
    private long released;
    private long bytes;
    private long throttledNanos;

    Member(QosFilterFactory factory, FilterContext context, Group group, QosPolicy policy) {
        this.factory = factory;
        this.context = context;
        this.group = group;
        this.policy = policy;
        context.metrics(() -> metrics().asMap());
    }

    String diskId() {
        return context.diskId();
    }

    Group group() {
        return group;
    }

    @Override
    public void handle(IoRequest request, IoChain chain) {
        boolean scheduled;
        synchronized (group) {
            scheduled = state == State.ACTIVE;
            if (scheduled) {
                queue.add(new Queued(request, chain, System.nanoTime()));
            } else {
                outbox.add(chain);
                count(Phase.RELEASE, request, 0);
                group.dispatched();
            }
        }
        if (scheduled) {
            group.pump();
        } else {
            scheduleDrain();
        }
    }

    @Override
    public IoStatus completed(IoRequest request, IoStatus status) {
        group.completed();
        return status;
    }

    @Override
    public void onEvent(ControlEvent event) {
        switch (event.kind()) {
            case ATTACH -> {
                synchronized (group) {
                    state = State.ACTIVE;
                    group.join(this);
                }
                factory.attached(this);
            }
            case OPEN, UNSTUN -> {
                synchronized (group) {
                    if (state == State.RELEASING) {
                        state = State.ACTIVE;
                    }
                }
            }
            case STUN, CLOSE -> release(State.RELEASING);
            case DETACH -> {
                release(State.DETACHED);
                group.leave(this);
                factory.detached(this);
                group.pump(); // the group's timer may have been armed on this disk's context
            }
            case SWAP_OUT, MIGRATE_OUT -> event.handoff().ifPresent(this::handOut);
            case SWAP_IN, MIGRATE_IN -> event.handoff().ifPresent(this::takeOver);
            default -> {
                // snapshot, grow and the aborts change nothing here: the disk is drained or serving as before
            }
        }
    }

    /** Release everything queued at once, ignoring limits, and stop scheduling until resumed. */
    private void release(State next) {
        synchronized (group) {
            state = next;
            long now = System.nanoTime();
            for (Queued q = queue.poll(); q != null; q = queue.poll()) {
                outbox.add(q.chain());
                count(Phase.RELEASE, q.request(), now - q.arrival());
                group.dispatched();
            }
        }
        scheduleDrain();
    }

    // ---- scheduler side: called by Group under its monitor ----

    boolean hasQueued() {
        return !queue.isEmpty();
    }

    boolean headIsBarrier() {
        Queued head = queue.peek();
        return head != null && head.request().op() == IoOp.FLUSH;
    }

    long reservationIops() {
        return policy.reservationIops();
    }

    /** The earliest time the head may go under the disk's IOPS and byte limits. */
    long limitEligibleAt() {
        long at = NO_TAG;
        if (policy.limitIops() > 0) {
            at = Math.max(at, iopsTag);
        }
        if (policy.limitBytesPerSecond() > 0 && chargedBytes(queue.peek().request()) > 0) {
            at = Math.max(at, bytesTag);
        }
        return at;
    }

    /** mClock's reservation tag of the head: {@code max(R_last + 1/r, arrival)}. */
    long reservationTag() {
        long spacing = (long) (NANOS_PER_SECOND / policy.reservationIops());
        return Math.max(reservationLast + spacing, queue.peek().arrival());
    }

    /** The share tag of the head: {@code max(P_last + 1/w, V)}. */
    double shareTag(double virtualTime) {
        return Math.max(shareLast + 1.0 / policy.shares(), virtualTime);
    }

    /** Take the head off the queue into the outbox, charging its tags; the caller counts the group's slot. */
    void dispatchHead(Phase phase, long now, double virtualTime) {
        if (phase == Phase.RESERVATION) {
            reservationLast = reservationTag();
        }
        Queued q = queue.poll();
        if (phase == Phase.RESERVATION || phase == Phase.SHARE) {
            shareLast = shareTag(virtualTime);
            if (policy.limitIops() > 0) {
                double period = NANOS_PER_SECOND / policy.limitIops();
                iopsTag = Math.max(iopsTag, now - (long) (policy.burst() * period)) + (long) period;
            }
            long charged = chargedBytes(q.request());
            if (policy.limitBytesPerSecond() > 0 && charged > 0) {
                double perByte = NANOS_PER_SECOND / policy.limitBytesPerSecond();
                bytesTag = Math.max(bytesTag, now - (long) (policy.burstBytes() * perByte))
                        + (long) (charged * perByte);
            }
        }
        outbox.add(q.chain());
        count(phase, q.request(), now - q.arrival());
    }

    boolean canSchedule() {
        return state != State.DETACHED;
    }

    Future<?> schedule(Runnable task, Duration delay) {
        return context.schedule(task, delay);
    }

    private void count(Phase phase, IoRequest request, long waitedNanos) {
        dispatched++;
        throttledNanos += Math.max(0, waitedNanos);
        if (request.op().hasData()) {
            bytes += request.length();
        }
        switch (phase) {
            case RESERVATION -> reservationPhase++;
            case SHARE -> sharePhase++;
            case BARRIER -> barriers++;
            case RELEASE -> released++;
        }
    }

    /** READ and WRITE data counts against the byte limit; UNMAP and WRITE_ZEROES move none; FLUSH is free. */
    private static long chargedBytes(IoRequest request) {
        return request.op().hasData() ? request.length() : 0;
    }

    // ---- passing down, in decision order ----

    /** Make sure the outbox is drained on the disk's executor (which runs one task at a time, in order). */
    void scheduleDrain() {
        synchronized (group) {
            if (drainScheduled || outbox.isEmpty()) {
                return;
            }
            drainScheduled = true;
        }
        try {
            context.executor().execute(this::drain);
        } catch (RejectedExecutionException e) {
            drain(); // the runtime is shutting down: pass down here rather than hold requests forever
        }
    }

    private void drain() {
        while (true) {
            IoChain next;
            synchronized (group) {
                next = outbox.poll();
                if (next == null) {
                    drainScheduled = false;
                    return;
                }
            }
            try {
                next.pass();
            } catch (RuntimeException e) {
                // The runtime already disposed of the request (for example it expired); its slot is free again.
                group.completed();
            }
        }
    }

    // ---- run-time changes, metrics, handoff ----

    QosPolicy policy() {
        synchronized (group) {
            return policy;
        }
    }

    /** Apply a new policy now; a changed limit starts from this moment without idle credit. */
    void policy(QosPolicy next) {
        synchronized (group) {
            long now = System.nanoTime();
            if (next.limitIops() != policy.limitIops() || next.burst() != policy.burst()) {
                iopsTag = now;
            }
            if (next.limitBytesPerSecond() != policy.limitBytesPerSecond() || next.burstBytes() != policy.burstBytes()) {
                bytesTag = now;
            }
            policy = next;
        }
        group.pump();
    }

    QosMetrics metrics() {
        synchronized (group) {
            return new QosMetrics(diskId(), group.name(), queue.size(), dispatched, reservationPhase, sharePhase,
                    barriers, released, bytes, Duration.ofNanos(throttledNanos));
        }
    }

    /** Put the limit and reservation tags, relative to now, so a successor cannot start with fresh credit. */
    private void handOut(StateHandoff handoff) {
        ByteBuffer out = ByteBuffer.allocate(1 + 3 * Long.BYTES);
        synchronized (group) {
            long now = System.nanoTime();
            out.put(CREDITS_FORMAT).putLong(relative(iopsTag, now)).putLong(relative(bytesTag, now))
                    .putLong(relative(reservationLast, now));
        }
        handoff.put(CREDITS_KEY, out.array());
    }

    private void takeOver(StateHandoff handoff) {
        Optional<byte[]> credits = handoff.get(CREDITS_KEY);
        if (credits.isEmpty() || credits.get().length != 1 + 3 * Long.BYTES || credits.get()[0] != CREDITS_FORMAT) {
            return; // nothing usable from the predecessor: start as a new disk would
        }
        ByteBuffer in = ByteBuffer.wrap(credits.get(), 1, 3 * Long.BYTES);
        synchronized (group) {
            long now = System.nanoTime();
            iopsTag = absolute(in.getLong(), now);
            bytesTag = absolute(in.getLong(), now);
            reservationLast = absolute(in.getLong(), now);
        }
    }

    private static long relative(long tag, long now) {
        return tag == NO_TAG ? Long.MIN_VALUE : tag - now;
    }

    private static long absolute(long offset, long now) {
        return offset == Long.MIN_VALUE ? NO_TAG : now + offset;
    }

    @Override
    public String toString() {
        return "qos filter of disk '" + diskId() + "' in " + group;
    }
}
