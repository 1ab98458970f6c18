package io.weir.certification.internal.checks;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import io.weir.backend.memory.MemoryBackend;
import io.weir.certification.internal.Check;
import io.weir.certification.internal.CheckContext;
import io.weir.certification.internal.Outcome;
import io.weir.certification.internal.Patterns;
import io.weir.certification.internal.Rig;
import io.weir.certification.internal.Station;
import io.weir.certification.internal.Workload;
import io.weir.filter.Capability;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;

/**
 * FLUSH and FUA durability through simulated power loss: the backend has a volatile write cache; at random
 * points the power fails, a fresh candidate instance is opened on what survived, and every unit must hold a
 * version that may legally have survived: the last one made durable (by FUA or a completed FLUSH) or a later
 * one, never an older one and never anything else.
 */
public final class DurabilityCheck implements Check {
    private static final int UNITS = 256;
    private static final int MIN_ROUNDS = 6;
    private static final int MAX_ROUNDS = 16;

    @Override
    public String id() {
        return "durability";
    }

    @Override
    public String sentence() {
        return "a write acknowledged durable (FUA, or completed before a completed FLUSH) survives power loss; "
                + "a write not yet durable may vanish but never damages other data";
    }

    /** What may be in one unit after a power loss. */
    private static final class Unit {
        int current;
        int next;
        final Set<Integer> allowed = new HashSet<>(Set.of(0));
        boolean touched;
    }

    @Override
    public Outcome run(CheckContext ctx) throws Exception {
        Outcome out = new Outcome();
        Random random = ctx.random("workload");
        Patterns patterns = new Patterns(ctx.seed(), Workload.UNIT);
        String diskId = ctx.rig().nextDiskId();
        MemoryBackend memory = Rig.memory(diskId).volatileCache(ctx.random("fates")).build();
        boolean transforms = Classes.transformsData(ctx.candidate().filterClass());
        Unit[] units = new Unit[UNITS];
        for (int i = 0; i < UNITS; i++) {
            units[i] = new Unit();
        }
        long stop = System.nanoTime() + ctx.budget().toNanos();
        int rounds = 0;
        int durableChecked = 0;
        int reverted = 0;
        int writes = 0;
        int fuaWrites = 0;
        int flushes = 0;
        while (rounds < MAX_ROUNDS && (rounds < MIN_ROUNDS || System.nanoTime() < stop) && !out.failed()) {
            rounds++;
            // the same disk id every round: a power loss does not rename the disk, and a filter may keep state
            // of its own (a cache device) under it
            Station s = ctx.rig().open(diskId, memory, Rig.Layout.standard());
            boolean fua = s.disk().capabilities().contains(Capability.FUA);
            boolean flush = s.disk().capabilities().contains(Capability.FLUSH);
            try {
                int waves = 1 + random.nextInt(5);
                for (int wave = 0; wave < waves; wave++) {
                    List<Integer> firsts = new ArrayList<>();
                    List<Station.Pending> pending = new ArrayList<>();
                    List<int[]> versions = new ArrayList<>();
                    boolean[] used = new boolean[UNITS];
                    int count = 2 + random.nextInt(10);
                    for (int i = 0; i < count; i++) {
                        int n = 1 + random.nextInt(3);
                        int first = random.nextInt(UNITS - n + 1);
                        boolean free = true;
                        for (int u = first; u < first + n; u++) {
                            free &= !used[u];
                        }
                        if (!free) {
                            continue;
                        }
                        Arrays.fill(used, first, first + n, true);
                        byte[] data = new byte[n * Workload.UNIT];
                        int[] v = new int[n];
                        for (int k = 0; k < n; k++) {
                            v[k] = ++units[first + k].next;
                            System.arraycopy(patterns.of(first + k, v[k]), 0, data, k * Workload.UNIT, Workload.UNIT);
                        }
                        boolean withFua = fua && random.nextInt(4) == 0;
                        pending.add(s.submit(IoRequest.write(s.tag(), (long) first * Workload.UNIT,
                                ByteBuffer.wrap(data), withFua)));
                        firsts.add(first);
                        versions.add(v);
                        writes++;
                        fuaWrites += withFua ? 1 : 0;
                    }
                    for (int i = 0; i < pending.size(); i++) {
                        Station.Pending p = pending.get(i);
                        IoStatus st = p.await(s.layout().deadline());
                        int first = firsts.get(i);
                        int[] v = versions.get(i);
                        if (st == null || !st.isOk()) {
                            out.fail(p.request + " completed with " + st + " before any power loss");
                            for (int k = 0; k < v.length; k++) {
                                units[first + k].allowed.add(v[k]);
                            }
                            continue;
                        }
                        for (int k = 0; k < v.length; k++) {
                            Unit u = units[first + k];
                            u.current = v[k];
                            u.touched = true;
                            if (p.request.fua()) {
                                u.allowed.clear();
                            }
                            u.allowed.add(v[k]);
                        }
                    }
                    if (flush && random.nextBoolean()) {
                        flushes++;
                        IoStatus st = s.run(IoRequest.flush(s.tag()));
                        if (st != null && st.isOk()) {
                            for (Unit u : units) {
                                u.allowed.clear();
                                u.allowed.add(u.current);
                            }
                        } else {
                            out.fail("FLUSH completed with " + st + " before any power loss");
                        }
                    }
                }
            } finally {
                memory.powerLoss();
                memory.close();
                try {
                    s.close();
                } catch (Exception e) {
                    out.note("closing the disk after the power loss: " + e.getMessage());
                }
            }
            memory = memory.reopen();
            try (Station after = ctx.rig().open(diskId, memory, Rig.Layout.standard())) {
                for (int i = 0; i < UNITS; i++) {
                    Unit u = units[i];
                    if (!u.touched) {
                        continue;
                    }
                    IoRequest r = after.read((long) i * Workload.UNIT, Workload.UNIT);
                    IoStatus st = after.run(r);
                    if (st == null || !st.isOk()) {
                        out.fail("after power loss " + rounds + ", reading unit " + i + " failed: " + st);
                        continue;
                    }
                    byte[] got = Station.bytes(r);
                    int[] allowed = u.allowed.stream().mapToInt(Integer::intValue).toArray();
                    int found = patterns.match(i, got, allowed);
                    if (found < 0 && transforms && u.allowed.contains(0)) {
                        found = 0; // never written here: a transforming filter reads the zeros below as anything
                    }
                    if (found < 0) {
                        int durable = u.allowed.stream().mapToInt(Integer::intValue).min().orElse(0);
                        out.fail("after power loss " + rounds + ", unit " + i + " (offset " + (long) i * Workload.UNIT
                                + ") holds " + patterns.describe(i, got, u.next) + "; allowed: versions "
                                + u.allowed + " (version " + durable + " or newer had been acknowledged durable)");
                        continue;
                    }
                    if (u.allowed.size() == 1) {
                        durableChecked++;
                    } else if (found != u.current) {
                        reverted++;
                    }
                    u.current = found;
                    u.allowed.clear();
                    u.allowed.add(found);
                }
            }
            memory = memory.reopen();
        }
        out.note(rounds + " power losses at random points of a workload of " + writes + " writes (" + fuaWrites
                + " FUA) and " + flushes + " FLUSHes over " + UNITS + " units on a backend with a volatile write cache");
        out.note(durableChecked + " unit checks found the data acknowledged durable; " + reverted
                + " found a non-durable write lost, which is allowed");
        return out;
    }
}
