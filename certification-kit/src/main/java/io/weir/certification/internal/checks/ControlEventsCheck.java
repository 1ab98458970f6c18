package io.weir.certification.internal.checks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.weir.backend.memory.MemoryBackend;
import io.weir.certification.internal.Check;
import io.weir.certification.internal.CheckContext;
import io.weir.certification.internal.Observation;
import io.weir.certification.internal.Outcome;
import io.weir.certification.internal.Patterns;
import io.weir.certification.internal.Rig;
import io.weir.certification.internal.Station;
import io.weir.certification.internal.Workload;
import io.weir.certification.probe.ProbeFilterFactory;
import io.weir.filter.ControlEvent.Kind;
import io.weir.filter.FilterClass;
import io.weir.filter.FilterRefusedException;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;
import io.weir.vscsi.DiskException;

/**
 * Every control event the core can deliver to a standalone disk, accepted and rolled back: attach and open
 * (and a refused attach), snapshot under concurrent load (and a refused snapshot), grow with I/O beyond the old
 * end (and a refused grow), stun releasing every deferred request, migrate out and in (and a refused migrate).
 */
public final class ControlEventsCheck implements Check {
    /** How long a stun may take to drain on the kit's disks. */
    static final Duration STUN_TIMEOUT = Duration.ofSeconds(1);

    @Override
    public String id() {
        return "control-events";
    }

    @Override
    public String sentence() {
        return "the filter handles every control event and its rollback: attach, open, snapshot under load, grow, "
                + "migrate, close, detach; and it releases every deferred request when the disk is stunned";
    }

    @Override
    public Outcome run(CheckContext ctx) throws Exception {
        Outcome out = new Outcome();
        refusedAttach(ctx, out);
        snapshotUnderLoad(ctx, out);
        grow(ctx, out);
        stunReleases(ctx, out);
        migrate(ctx, out);
        return out;
    }

    /** A probe that refuses events on the candidate's far side: outer for inward-travelling events, else inner. */
    private static ProbeFilterFactory refuser(CheckContext ctx, Kind kind) {
        FilterClass mine = ctx.candidate().filterClass();
        List<FilterClass> after = ctx.rig().probeClasses().stream()
                .filter(c -> kind.travelsOutward() ? c.isOuterTo(mine) : mine.isOuterTo(c)).sorted().toList();
        if (after.isEmpty()) {
            return null;
        }
        return ctx.rig().probe(kind.travelsOutward() ? after.get(0) : after.get(after.size() - 1));
    }

    private static void expectEvents(Observation o, Outcome out, String when, Kind... kinds) {
        List<Kind> seen = o.events().stream().map(Observation.EventCall::kind).toList();
        int from = 0;
        for (Kind k : kinds) {
            int at = seen.subList(from, seen.size()).indexOf(k);
            if (at < 0) {
                out.fail(when + ": the candidate never received " + k + " (it received " + seen + ")");
                return;
            }
            from += at + 1;
        }
    }

    private static void expectAccepted(Observation o, Outcome out, String when) {
        for (Observation.EventCall e : o.events()) {
            if (!e.outcome().equals("accepted")) {
                out.fail(when + ": the candidate " + e.outcome() + " on " + e.kind());
            }
        }
    }

    private static void refusedAttach(CheckContext ctx, Outcome out) throws Exception {
        ProbeFilterFactory refuser = refuser(ctx, Kind.ATTACH);
        String diskId = ctx.rig().nextDiskId();
        if (refuser == null) {
            out.note("ATTACH: no probe outside a " + ctx.candidate().filterClass()
                    + " filter can refuse after it; refused attach not exercised");
        } else {
            refuser.refuse(Kind.ATTACH);
            try (Station s = ctx.rig().open(diskId, Rig.memory(diskId).build(), Rig.Layout.standard())) {
                out.fail("disk '" + s.id() + "' opened although " + refuser.filterName() + " refused ATTACH");
            } catch (DiskException e) {
                out.note("ATTACH refused by " + refuser.filterName() + " after the candidate accepted it: " + e.getMessage());
            } finally {
                refuser.reset();
            }
        }
        diskId = ctx.rig().nextDiskId();
        Station s = ctx.rig().open(diskId, Rig.memory(diskId).build(), Rig.Layout.standard());
        try {
            IoStatus st = s.run(s.write(0, new byte[Workload.UNIT], false));
            out.expect(st != null && st.isOk(), "after a refused attach, a new instance's first write completed with " + st);
            expectEvents(s.observation(), out, "open", Kind.ATTACH, Kind.OPEN);
        } finally {
            s.close();
        }
        expectEvents(s.observation(), out, "close", Kind.CLOSE, Kind.DETACH);
        expectAccepted(s.observation(), out, "attach, open, close, detach");
        out.note("ATTACH, OPEN, CLOSE, DETACH answered: " + s.observation().events().stream()
                .map(e -> e.kind() + " " + e.outcome()).toList());
    }

    private static void snapshotUnderLoad(CheckContext ctx, Outcome out) throws Exception {
        String diskId = ctx.rig().nextDiskId();
        MemoryBackend memory = Rig.memory(diskId).latency(Duration.ZERO, Duration.ofMillis(2)).build();
        try (Station s = ctx.rig().open(diskId, memory, Rig.Layout.standard())) {
            Workload w = new Workload(s, new Patterns(ctx.seed(), Workload.UNIT), ctx.random("snapshot-load"),
                    512, out).unwrittenUndefined(Classes.transformsData(ctx.candidate().filterClass()));
            CompletableFuture<Void> load = CompletableFuture.runAsync(() -> {
                try {
                    w.run(600, 12, ctx.budget());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            ProbeFilterFactory refuser = refuser(ctx, Kind.SNAPSHOT_PREPARE);
            int taken = 0;
            int refused = 0;
            for (int round = 0; round < 4 && !load.isDone(); round++) {
                Thread.sleep(20);
                boolean refuse = round % 2 == 1 && refuser != null;
                if (!stun(s, out, "snapshot " + (round + 1))) {
                    continue;
                }
                try {
                    if (refuse) {
                        refuser.refuse(Kind.SNAPSHOT_PREPARE);
                    }
                    s.disk().deliver(Kind.SNAPSHOT_PREPARE, Rig.DEADLINE);
                    if (refuse) {
                        out.fail("SNAPSHOT_PREPARE went through although " + refuser.filterName() + " refused it");
                    } else {
                        s.disk().deliver(Kind.SNAPSHOT_COMMIT, Rig.DEADLINE);
                        taken++;
                    }
                } catch (FilterRefusedException e) {
                    if (refuse && e.getMessage().contains(refuser.filterName())) {
                        refused++;
                    } else {
                        out.fail("SNAPSHOT_PREPARE was refused on a healthy disk: " + e.getMessage());
                    }
                } finally {
                    if (refuser != null) {
                        refuser.reset();
                    }
                    s.disk().unstun();
                }
            }
            load.get(ctx.budget().toMillis() + 2 * Rig.DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
            int checked = w.verifyAllThroughReads();
            out.note("snapshots under a concurrent workload (" + w.summary() + "): " + taken + " taken, " + refused
                    + " refused by a probe after the candidate prepared; every request completed and " + checked
                    + " units read back as written");
            if (refused > 0) {
                expectEvents(s.observation(), out, "refused snapshot", Kind.SNAPSHOT_PREPARE, Kind.SNAPSHOT_ABORT);
            }
            if (taken > 0) {
                expectEvents(s.observation(), out, "snapshot", Kind.STUN, Kind.SNAPSHOT_PREPARE, Kind.SNAPSHOT_COMMIT,
                        Kind.UNSTUN);
            }
            expectAccepted(s.observation(), out, "snapshot");
        }
    }

    /** Stun within {@link #STUN_TIMEOUT}; a drain that fails is a deferred request the candidate did not release. */
    private static boolean stun(Station s, Outcome out, String what) throws InterruptedException {
        try {
            s.disk().stun(STUN_TIMEOUT);
            return true;
        } catch (DiskException e) {
            out.fail(what + ": the disk did not drain after STUN: " + e.getMessage());
            return false;
        }
    }

    private static void grow(CheckContext ctx, Outcome out) throws Exception {
        String diskId = ctx.rig().nextDiskId();
        Patterns patterns = new Patterns(ctx.seed(), Workload.UNIT);
        try (Station s = ctx.rig().open(diskId, Rig.memory(diskId).build(), Rig.Layout.standard())) {
            long old = s.disk().capacity();
            ProbeFilterFactory refuser = refuser(ctx, Kind.GROW);
            if (refuser != null) {
                refuser.refuse(Kind.GROW);
                try {
                    s.disk().grow(old * 2, Rig.DEADLINE);
                    out.fail("GROW went through although " + refuser.filterName() + " refused it");
                } catch (DiskException e) {
                    out.expect(s.disk().capacity() == old, "after a refused GROW the capacity is "
                            + s.disk().capacity() + ", not " + old);
                    expectEvents(s.observation(), out, "refused grow", Kind.GROW, Kind.GROW_ABORT);
                    out.note("GROW refused by " + refuser.filterName() + " after the candidate accepted it; it got "
                            + "GROW_ABORT and the capacity stayed " + old);
                } finally {
                    refuser.reset();
                }
            }
            try {
                s.disk().grow(old * 2, Rig.DEADLINE);
            } catch (DiskException e) {
                out.fail("GROW from " + old + " to " + old * 2 + " bytes failed on a healthy disk: " + e.getMessage());
                return;
            }
            long unit = old / Workload.UNIT + 3;
            IoRequest w = s.write(unit * Workload.UNIT, patterns.of(unit, 1), false);
            IoStatus st = s.run(w);
            IoRequest r = s.read(unit * Workload.UNIT, Workload.UNIT);
            IoStatus rs = s.run(r);
            boolean same = rs != null && rs.isOk() && patterns.match(unit, Station.bytes(r), 1) == 1;
            out.expect(st != null && st.isOk(), "after GROW to " + old * 2 + ", " + w + " beyond the old end completed with " + st);
            out.expect(same, "after GROW, " + r + " beyond the old end returned " + rs
                    + (rs != null && rs.isOk() ? " with other data than written" : ""));
            out.note("GROW from " + old + " to " + s.disk().capacity() + " bytes; " + w + " and " + r
                    + " beyond the old end: " + (same ? "data read back as written" : "wrong"));
            expectAccepted(s.observation(), out, "grow");
        }
    }

    private static void stunReleases(CheckContext ctx, Outcome out) throws Exception {
        String diskId = ctx.rig().nextDiskId();
        MemoryBackend memory = Rig.memory(diskId).latency(Duration.ofMillis(5), Duration.ofMillis(30)).build();
        Patterns patterns = new Patterns(ctx.seed(), Workload.UNIT);
        try (Station s = ctx.rig().open(diskId, memory, Rig.Layout.standard())) {
            List<Station.Pending> before = new ArrayList<>();
            for (int u = 0; u < 24; u++) {
                before.add(s.submit(u % 3 == 2 ? s.read((long) u * Workload.UNIT, Workload.UNIT)
                        : s.write((long) u * Workload.UNIT, patterns.of(u, 1), u % 4 == 0)));
            }
            before.add(s.submit(IoRequest.flush(s.tag())));
            long t0 = System.nanoTime();
            if (!stun(s, out, "stun with " + before.size() + " requests in flight")) {
                return;
            }
            long drained = (System.nanoTime() - t0) / 1_000_000;
            long open = 0;
            for (Station.Pending p : before) {
                // the core frees the slot just before it calls the guest back: allow that call a moment
                open += p.await(Duration.ofMillis(200)) == null ? 1 : 0;
            }
            out.expect(open == 0, open + " request(s) sent before the stun had not completed when the drain ended");
            Station.Pending parked = s.submit(s.write(40L * Workload.UNIT, patterns.of(40, 1), false));
            Thread.sleep(20);
            out.expect(!parked.isDone(), "a request sent while the disk was stunned completed before UNSTUN");
            s.disk().unstun();
            IoStatus st = parked.await(Rig.DEADLINE);
            out.expect(st != null && st.isOk(), "the request parked during the stun completed with " + st + " after UNSTUN");
            int failed = 0;
            for (Station.Pending p : before) {
                IoStatus ps = p.await(Duration.ZERO);
                if (ps == null || !ps.isOk()) {
                    failed++;
                    out.fail(p.request + " in flight during the stun completed with " + ps);
                }
            }
            out.note("STUN with " + before.size() + " requests in flight over a backend answering after 5-30 ms: "
                    + "drained in " + drained + " ms (limit " + STUN_TIMEOUT.toMillis() + " ms), " + failed
                    + " failed; a request parked during the stun completed after UNSTUN");
            expectAccepted(s.observation(), out, "stun");
        }
    }

    private static void migrate(CheckContext ctx, Outcome out) throws Exception {
        String diskId = ctx.rig().nextDiskId();
        MemoryBackend memory = Rig.memory(diskId).build();
        Patterns patterns = new Patterns(ctx.seed(), Workload.UNIT);
        List<Integer> units = List.of(1, 2, 3, 10, 11);
        try (Station s = ctx.rig().open(diskId, memory, Rig.Layout.standard())) {
            for (int u : units) {
                IoStatus st = s.run(s.write((long) u * Workload.UNIT, patterns.of(u, 1), false));
                out.expect(st != null && st.isOk(), "write of unit " + u + " before migration completed with " + st);
            }
            ProbeFilterFactory refuser = refuser(ctx, Kind.MIGRATE_OUT);
            if (stun(s, out, "migrate out")) {
                try {
                    if (refuser != null) {
                        refuser.refuse(Kind.MIGRATE_OUT);
                        try {
                            s.disk().deliver(Kind.MIGRATE_OUT, Rig.DEADLINE);
                            out.fail("MIGRATE_OUT went through although " + refuser.filterName() + " refused it");
                        } catch (FilterRefusedException e) {
                            expectEvents(s.observation(), out, "refused migrate", Kind.MIGRATE_OUT, Kind.MIGRATE_ABORT);
                            out.note("MIGRATE_OUT refused by " + refuser.filterName()
                                    + " after the candidate accepted it; the candidate got MIGRATE_ABORT");
                        } finally {
                            refuser.reset();
                        }
                    }
                    s.disk().deliver(Kind.MIGRATE_OUT, Rig.DEADLINE);
                } catch (FilterRefusedException e) {
                    out.fail("MIGRATE_OUT was refused on a healthy disk: " + e.getMessage());
                } finally {
                    s.disk().unstun();
                }
            }
            expectAccepted(s.observation(), out, "migrate out");
        }
        // the destination opens the same disk (its storage and sidecars travel with it) with a fresh instance
        try (Station s = ctx.rig().open(diskId, memory.reopen(), Rig.Layout.standard())) {
            try {
                s.disk().deliver(Kind.MIGRATE_IN, Rig.DEADLINE);
            } catch (FilterRefusedException e) {
                out.fail("MIGRATE_IN was refused on the destination disk: " + e.getMessage());
            }
            int same = 0;
            for (int u : units) {
                IoRequest r = s.read((long) u * Workload.UNIT, Workload.UNIT);
                IoStatus st = s.run(r);
                if (st != null && st.isOk() && patterns.match(u, Station.bytes(r), 1) == 1) {
                    same++;
                } else {
                    out.fail("after MIGRATE_IN, unit " + u + " read back with " + st
                            + (st != null && st.isOk() ? " as " + patterns.describe(u, Station.bytes(r), 1) : ""));
                }
            }
            out.note("MIGRATE_OUT on the source, MIGRATE_IN on a fresh instance over the same storage: " + same + " of "
                    + units.size() + " units read back as written (state handoff between instances is not carried "
                    + "by standalone disks; see swap-handoff)");
            expectAccepted(s.observation(), out, "migrate in");
        }
    }
}
