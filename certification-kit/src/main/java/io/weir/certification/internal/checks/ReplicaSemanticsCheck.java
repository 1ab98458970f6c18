package io.weir.certification.internal.checks;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import io.weir.certification.ReplicaHarness;
import io.weir.certification.internal.Check;
import io.weir.certification.internal.CheckContext;
import io.weir.certification.internal.Outcome;
import io.weir.certification.internal.Patterns;
import io.weir.certification.internal.Rig;
import io.weir.certification.internal.Station;
import io.weir.certification.internal.Workload;
import io.weir.filter.FilterClass;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;

/**
 * What a replication filter promises about its replica, checked through the {@link ReplicaHarness} its build
 * supplies. Waves of writes to distinct units, each wave closed by a FLUSH:
 * <ul>
 *   <li>synchronous (the candidate's {@code mode} or {@code *.mode} setting starting with {@code sync}): the moment a write completes, the replica holds it;
 *       while the link is cut, no write completes successfully (it fails or waits; the replica cannot have it);</li>
 *   <li>asynchronous: every sample of the replica, taken at random moments, is a FLUSH-consistent prefix of what the
 *       guest wrote: all waves up to some FLUSH, part of the next one, nothing later; while the link is cut every write
 *       still succeeds;</li>
 *   <li>both: once the link returns, the replica catches up with every acknowledged write within a bound.</li>
 * </ul>
 */
public final class ReplicaSemanticsCheck implements Check {
    private static final int UNITS = 256;
    private static final long CATCH_UP_MILLIS = 15_000;

    @Override
    public String id() {
        return "replica-semantics";
    }

    @Override
    public String sentence() {
        return "synchronous replication completes a write only after the replica's durable write; asynchronous "
                + "replication keeps the replica a FLUSH-consistent prefix of the disk; after a broken link the replica "
                + "catches up with every acknowledged write";
    }

    @Override
    public boolean required(CheckContext context) {
        return context.candidate().filterClass() == FilterClass.REPLICATION && context.candidate().replica() != null;
    }

    @Override
    public Outcome run(CheckContext ctx) throws Exception {
        if (ctx.candidate().filterClass() != FilterClass.REPLICATION) {
            return Outcome.skipped("applies to REPLICATION filters only");
        }
        ReplicaHarness replica = ctx.candidate().replica();
        if (replica == null) {
            return Outcome.skipped("no replica harness: the replica is reached through the filter's own transport; a "
                    + "partner's build supplies one with Candidate.withReplica (its receiver on loopback) to have this "
                    + "checked; what the kit can check without it (a write completes only after the local write) is "
                    + "checked by 'ack-semantics'");
        }
        boolean sync = ctx.mode("async").startsWith("sync");
        Outcome out = new Outcome();
        out.note("mode " + (sync ? "synchronous" : "asynchronous") + " (candidate setting '"
                + (ctx.modeKey() == null ? "mode' unset: asynchronous assumed" : ctx.modeKey() + "'") + ")");
        Run run = new Run(ctx, replica, sync, out);
        String diskId = ctx.rig().nextDiskId();
        try (Station s = ctx.rig().open(diskId, Rig.memory(diskId).build(), Rig.Layout.standard())) {
            run.station = s;
            long stop = System.nanoTime() + ctx.budget().toNanos();
            int waves = 0;
            while ((waves < 4 || System.nanoTime() < stop) && waves < 40 && !out.failed()) {
                run.wave(false);
                waves++;
            }
            out.note(waves + " waves of writes with the link up; " + run.samples + " samples of the replica checked");
            replica.cut();
            int cutWaves = 0;
            try {
                while (cutWaves < 3 && !out.failed()) {
                    run.wave(true);
                    cutWaves++;
                }
            } finally {
                replica.heal();
            }
            out.note(cutWaves + " waves with the link cut: " + run.okWhileCut + " writes succeeded, " + run.failedWhileCut
                    + " failed");
            run.awaitCatchUp();
        }
        return out;
    }

    /** One run's model of the disk: acknowledged versions per unit, and the state at every FLUSH. */
    private static final class Run {
        final CheckContext ctx;
        final ReplicaHarness replica;
        final boolean sync;
        final Outcome out;
        final Patterns patterns;
        final Random random;
        Station station;
        /** The version each unit holds on the primary (acknowledged, or possibly-written after a failure). */
        final int[] acked = new int[UNITS];
        /** Versions a unit may hold after failed writes (a failed write may or may not have landed). */
        final Map<Integer, List<Integer>> maybe = new HashMap<>();
        /** Unit versions after each completed FLUSH, oldest first; entry 0 is the start. */
        final List<int[]> flushed = new ArrayList<>();
        int next = 1;
        int samples;
        int okWhileCut;
        int failedWhileCut;

        Run(CheckContext ctx, ReplicaHarness replica, boolean sync, Outcome out) {
            this.ctx = ctx;
            this.replica = replica;
            this.sync = sync;
            this.out = out;
            this.patterns = new Patterns(ctx.seed(), Workload.UNIT);
            this.random = ctx.random("replica");
            flushed.add(new int[UNITS]);
        }

        void wave(boolean cut) throws Exception {
            int count = 2 + random.nextInt(12);
            List<Integer> units = new ArrayList<>();
            while (units.size() < count) {
                int u = random.nextInt(UNITS);
                if (!units.contains(u)) {
                    units.add(u);
                }
            }
            Map<Integer, Integer> versions = new HashMap<>();
            List<Station.Pending> pending = new ArrayList<>();
            for (int u : units) {
                int v = next++;
                versions.put(u, v);
                pending.add(station.submit(station.write((long) u * Workload.UNIT, patterns.of(u, v),
                        random.nextInt(4) == 0)));
            }
            if (!sync && random.nextBoolean()) {
                sample(versions, "while a wave was in flight");
            }
            for (int i = 0; i < pending.size(); i++) {
                int u = units.get(i);
                int v = versions.get(u);
                IoStatus st = pending.get(i).await(station.layout().deadline().multipliedBy(2));
                boolean ok = st != null && st.isOk();
                if (cut) {
                    if (ok) {
                        okWhileCut++;
                    } else {
                        failedWhileCut++;
                    }
                }
                if (ok) {
                    acked[u] = v;
                    maybe.remove(u);
                    if (sync) {
                        byte[] held = replica.read(station.id(), (long) u * Workload.UNIT, Workload.UNIT);
                        out.expect(Arrays.equals(held, patterns.of(u, v)), "synchronous: " + pending.get(i).request
                                + " completed, but the replica holds " + patterns.describe(u, held, next)
                                + " for unit " + u + (cut ? " (the link was cut)" : ""));
                    }
                } else {
                    if (!cut) {
                        out.fail(pending.get(i).request + " failed with the link up: " + st);
                    } else if (!sync) {
                        out.fail("asynchronous: " + pending.get(i).request + " failed while the link was cut (" + st
                                + "); the guest must not see the replica's trouble");
                    }
                    maybe.computeIfAbsent(u, k -> new ArrayList<>()).add(v);
                }
            }
            IoStatus flush = station.run(IoRequest.flush(station.tag()));
            boolean flushOk = flush != null && flush.isOk();
            if (!flushOk && !(cut && sync)) {
                out.fail("FLUSH failed" + (cut ? " while the link was cut" : "") + ": " + flush);
            }
            if (flushOk && maybe.isEmpty()) {
                flushed.add(acked.clone());
            }
            if (!sync && !cut) {
                sample(Map.of(), "after a FLUSH");
            }
        }

        /**
         * The replica must equal the state at some FLUSH k, except units the next wave wrote, which may hold that
         * wave's version ({@code inFlight} is the current wave, not yet counted in {@link #flushed}).
         */
        void sample(Map<Integer, Integer> inFlight, String when) throws IOException {
            samples++;
            byte[] all = replica.read(station.id(), 0, UNITS * Workload.UNIT);
            List<int[]> states = new ArrayList<>(flushed);
            states.add(acked.clone()); // writes acknowledged since the last FLUSH form the next "wave"
            for (int k = states.size() - 1; k >= 0; k--) {
                int[] base = states.get(k);
                int[] after = k + 1 < states.size() ? states.get(k + 1) : null;
                boolean fits = true;
                for (int u = 0; u < UNITS && fits; u++) {
                    List<Integer> allowed = new ArrayList<>(List.of(base[u]));
                    if (after != null) {
                        allowed.add(after[u]);
                    } else if (inFlight.containsKey(u)) {
                        allowed.add(inFlight.get(u));
                    }
                    fits = holds(u, unit(all, u), allowed);
                }
                if (fits) {
                    return;
                }
            }
            out.fail("asynchronous: a sample of the replica taken " + when + " is no FLUSH-consistent prefix of what"
                    + " the guest wrote (checked against " + states.size() + " FLUSH points)");
        }

        /** Whether {@code got}, unit {@code u} of the replica, holds one of the {@code allowed} versions. */
        private boolean holds(int u, byte[] got, List<Integer> allowed) {
            return patterns.match(u, got, allowed.stream().mapToInt(Integer::intValue).toArray()) >= 0;
        }

        private static byte[] unit(byte[] image, int u) {
            return Arrays.copyOfRange(image, u * Workload.UNIT, (u + 1) * Workload.UNIT);
        }

        /** After the link returns, the replica must reach every acknowledged version within the bound. */
        void awaitCatchUp() throws Exception {
            long end = System.nanoTime() + CATCH_UP_MILLIS * 1_000_000;
            List<String> behind = List.of();
            long started = System.nanoTime();
            while (System.nanoTime() < end) {
                byte[] all = replica.read(station.id(), 0, UNITS * Workload.UNIT);
                behind = new ArrayList<>();
                for (int u = 0; u < UNITS; u++) {
                    byte[] got = unit(all, u);
                    List<Integer> allowed = new ArrayList<>(List.of(acked[u]));
                    allowed.addAll(maybe.getOrDefault(u, List.of()));
                    if (!holds(u, got, allowed)) {
                        behind.add("unit " + u + " holds " + patterns.describe(u, got, next) + ", expected version "
                                + acked[u]);
                    }
                }
                if (behind.isEmpty()) {
                    out.note("after the link returned the replica caught up in "
                            + (System.nanoTime() - started) / 1_000_000 + " ms");
                    return;
                }
                Thread.sleep(50);
            }
            out.fail("the replica did not catch up within " + CATCH_UP_MILLIS / 1000 + " s of the link returning: "
                    + behind.size() + " units behind, e.g. " + behind.subList(0, Math.min(3, behind.size())));
        }
    }
}
