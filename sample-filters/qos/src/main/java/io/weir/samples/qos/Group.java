package io.weir.samples.qos;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;

/**
 * The scheduler of one backend group: the disks that share one backend's capacity. All scheduling state of the
 * group and of its members is guarded by this object's monitor; nothing under it blocks or calls into the stack.
 *
 * <p>Tags are mClock's (Gulati, Merchant, Varman, OSDI 2010), kept per disk for the head of its FIFO queue:
 * <ul>
 *   <li>reservation tag {@code R = max(R_last + 1/r, arrival)}, advanced only by reservation-phase dispatches
 *       (mClock lowers the R tags of a disk served in the weight phase by {@code 1/r}; not advancing is the same);</li>
 *   <li>limit tags, one for IOPS and one for bytes, kept as a generic cell rate algorithm: the earliest time the
 *       next request may go, lagging real time by at most the idle credit ({@code burst});</li>
 *   <li>share tag {@code P = max(P_last + 1/w, V)}, where {@code V} is the share tag of the last weight-phase
 *       dispatch of the group (start-time fair queueing's virtual time): a disk that comes back from idle starts
 *       level with the busy ones instead of cashing in the time it was idle, which is what mClock's tag
 *       adjustment on activation achieves.</li>
 * </ul>
 * A dispatch needs a free slot in the group's depth and, when the group is paced, its pacing tag to have come.
 * Then the reservation phase picks the smallest due R tag among disks under their limits, else the weight phase
 * picks the smallest P tag among disks under their limits. Nobody eligible: a timer wakes the group when the
 * first limit or pacing tag comes due; a completion wakes it when the depth was the bound.
 */
final class Group {
    /** How far the pacing clock may fall behind real time and catch up (timer lateness, not a burst). */
    private static final long PACE_TOLERANCE_NANOS = Duration.ofMillis(2).toNanos();

    private final String name;
    private final List<Member> members = new ArrayList<>();
    private GroupCapacity capacity;
    private long paceTag = Long.MIN_VALUE / 2;
    private int outstanding;
    private double virtualTime;
    private Future<?> timer;
    private long timerAt = Long.MAX_VALUE;

    Group(String name, GroupCapacity capacity) {
        this.name = name;
        this.capacity = capacity;
    }

    String name() {
        return name;
    }

    synchronized GroupCapacity capacity() {
        return capacity;
    }

    synchronized void capacity(GroupCapacity newCapacity) {
        this.capacity = newCapacity;
    }

    synchronized boolean isEmpty() {
        return members.isEmpty();
    }

    /** Another disk of the group (not {@code diskId}) that holds the group's capacity, if any. */
    synchronized String otherMember(String diskId) {
        for (Member m : members) {
            if (!m.diskId().equals(diskId)) {
                return m.diskId();
            }
        }
        return null;
    }

    synchronized void join(Member member) {
        if (!members.contains(member)) {
            members.add(member);
        }
    }

    synchronized void leave(Member member) {
        members.remove(member);
    }

    /** A request was passed down: it holds a slot until {@link #completed()}. */
    synchronized void dispatched() {
        outstanding++;
    }

    /** A request this group passed down completed: its slot frees, so more may go. */
    void completed() {
        synchronized (this) {
            outstanding--;
        }
        pump();
    }

    synchronized int outstanding() {
        return outstanding;
    }

    /**
     * Dispatch everything that may go now, and arm a timer for what may go later. Decisions are made under the
     * monitor; the passes themselves run afterwards on each disk's executor, in decision order.
     */
    void pump() {
        List<Member> toDrain = new ArrayList<>();
        synchronized (this) {
            long now = System.nanoTime();
            long wake = Long.MAX_VALUE;
            while (true) {
                if (outstanding >= capacity.depth()) {
                    break; // a completion pumps again
                }
                Member barrier = null;
                for (Member m : members) {
                    if (m.headIsBarrier()) {
                        barrier = m;
                        break;
                    }
                }
                if (barrier != null) {
                    take(barrier, Phase.BARRIER, now, toDrain);
                    continue;
                }
                if (capacity.iops() > 0 && paceTag > now) {
                    if (anyQueued()) {
                        wake = Math.min(wake, paceTag);
                    }
                    break;
                }
                Member reserved = null;
                long bestR = Long.MAX_VALUE;
                Member shared = null;
                double bestP = Double.MAX_VALUE;
                long limitWake = Long.MAX_VALUE;
                for (Member m : members) {
                    if (!m.hasQueued()) {
                        continue;
                    }
                    long eligibleAt = m.limitEligibleAt();
                    if (eligibleAt > now) {
                        limitWake = Math.min(limitWake, eligibleAt);
                        continue;
                    }
                    if (m.reservationIops() > 0) {
                        long r = m.reservationTag();
                        if (r <= now && r < bestR) {
                            bestR = r;
                            reserved = m;
                        }
                    }
                    double p = m.shareTag(virtualTime);
                    if (p < bestP) {
                        bestP = p;
                        shared = m;
                    }
                }
                if (reserved != null) {
                    take(reserved, Phase.RESERVATION, now, toDrain);
                } else if (shared != null) {
                    virtualTime = bestP;
                    take(shared, Phase.SHARE, now, toDrain);
                } else {
                    wake = Math.min(wake, limitWake);
                    break;
                }
                if (capacity.iops() > 0) {
                    long period = 1_000_000_000L / capacity.iops();
                    paceTag = Math.max(paceTag, now - PACE_TOLERANCE_NANOS) + Math.max(1, period);
                }
            }
            if (wake != Long.MAX_VALUE) {
                arm(wake, now);
            }
        }
        for (Member m : toDrain) {
            m.scheduleDrain();
        }
    }

    private boolean anyQueued() {
        for (Member m : members) {
            if (m.hasQueued()) {
                return true;
            }
        }
        return false;
    }

    private void take(Member m, Phase phase, long now, List<Member> toDrain) {
        m.dispatchHead(phase, now, virtualTime);
        outstanding++;
        if (!toDrain.contains(m)) {
            toDrain.add(m);
        }
    }

    /** Make sure a pump runs at {@code at}: one timer per group, moved earlier when needed. */
    private void arm(long at, long now) {
        if (timer != null && !timer.isDone() && timerAt <= at) {
            return;
        }
        Member host = null;
        for (Member m : members) {
            if (m.canSchedule()) {
                host = m;
                break;
            }
        }
        if (host == null) {
            return;
        }
        if (timer != null) {
            timer.cancel(false);
        }
        timerAt = at;
        timer = host.schedule(this::timerFired, Duration.ofNanos(Math.max(0, at - now)));
    }

    private void timerFired() {
        synchronized (this) {
            timerAt = Long.MAX_VALUE;
        }
        pump();
    }

    @Override
    public String toString() {
        return "QoS group '" + name + "'";
    }
}
