package io.weir.certification.internal.checks;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import io.weir.backend.memory.MemoryBackend;
import io.weir.certification.internal.Check;
import io.weir.certification.internal.CheckContext;
import io.weir.certification.internal.Outcome;
import io.weir.certification.internal.Patterns;
import io.weir.certification.internal.Rig;
import io.weir.certification.internal.Station;
import io.weir.certification.internal.TapBackend;
import io.weir.certification.internal.Workload;
import io.weir.filter.Capability;
import io.weir.filter.ControlEvent.Kind;
import io.weir.filter.FilterClass;
import io.weir.filter.IoOp;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;

/** The acknowledgement semantics of the candidate's class and configured mode (DESIGN.md section 4). */
public final class AckSemanticsCheck implements Check {
    /** Candidate configuration key naming the mode of a CACHE or REPLICATION filter. */
    public static final String MODE = "mode";
    private static final String WRITE_THROUGH = "write-through";
    private static final String WRITE_BACK = "write-back";

    @Override
    public String id() {
        return "ack-semantics";
    }

    @Override
    public String sentence() {
        return "the filter acknowledges requests as its class and mode promise: write-through completes a write only "
                + "after the backend did, write-back writes back before snapshot, migrate, swap and detach, "
                + "encryption lets no plaintext below, QoS drops nothing";
    }

    @Override
    public Outcome run(CheckContext ctx) throws Exception {
        Outcome out = new Outcome();
        FilterClass c = ctx.candidate().filterClass();
        switch (c) {
            case CACHE -> {
                String mode = ctx.mode(WRITE_THROUGH);
                String key = ctx.modeKey();
                out.note("CACHE in mode '" + mode + "' (" + (key == null
                        ? "no key 'mode' or '*.mode' set: write-through assumed" : "configuration key '" + key + "'")
                        + ")");
                if (mode.equals(WRITE_THROUGH)) {
                    writeThrough(ctx, out, "a write-through cache");
                } else if (!mode.equals(WRITE_BACK)) {
                    out.note("unknown mode '" + mode + "': checked as write-back, the weaker promise");
                }
                writesBackBeforeEvents(ctx, out);
                out.note("FLUSH and FUA durability of cached writes is checked by 'durability'");
            }
            case REPLICATION -> {
                out.note("REPLICATION in mode '" + ctx.mode("unset") + "': in every mode a write completes only "
                        + "after the local write completed; what the replica must hold is 'replica-semantics'");
                writeThrough(ctx, out, "a replication filter");
            }
            case ENCRYPTION -> noPlaintextBelow(ctx, out);
            case QOS -> dropsNothing(ctx, out);
            default -> out.note("no class-specific rule for " + c + ": nothing to check beyond the general checks");
        }
        return out;
    }

    /** Writes complete to the guest only after the backend completed a write of their whole range. */
    private static void writeThrough(CheckContext ctx, Outcome out, String who) throws Exception {
        String diskId = ctx.rig().nextDiskId();
        MemoryBackend memory = Rig.memory(diskId).latency(Duration.ofMillis(2), Duration.ofMillis(8)).build();
        Random random = ctx.random("write-through");
        Patterns patterns = new Patterns(ctx.seed(), Workload.UNIT);
        try (Station s = ctx.rig().open(diskId, memory, Rig.Layout.standard())) {
            boolean fua = s.disk().capabilities().contains(Capability.FUA);
            List<Station.Pending> sent = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                int unit = i * 4 + random.nextInt(4);
                sent.add(s.submit(s.write((long) unit * Workload.UNIT, patterns.of(unit, 1), fua && i % 3 == 0)));
            }
            int ok = 0;
            for (Station.Pending p : sent) {
                IoStatus st = p.await(s.layout().deadline());
                if (st == null || !st.isOk()) {
                    out.fail(p.request + " completed with " + st);
                    continue;
                }
                long backendDone = coveredBy(s.tap().arrivals(), p.request, p.completedAt());
                if (backendDone < 0) {
                    out.fail(p.request + " completed to the guest (at tick " + p.completedAt() + ") before the backend "
                            + "completed a write of its whole range: " + describeBelow(s.tap().arrivals(), p.request));
                } else {
                    ok++;
                }
            }
            out.note("sent " + sent.size() + " writes over a backend answering after 2-8 ms; " + ok
                    + " completed after the backend completed their range, as " + who + " must");
        }
    }

    /** The tick at which the backend had completed writes covering {@code r}, if before {@code guestTick}; else -1. */
    private static long coveredBy(List<TapBackend.Arrival> arrivals, IoRequest r, long guestTick) {
        int blocks = r.length() / 512;
        boolean[] covered = new boolean[blocks];
        long latest = 0;
        for (TapBackend.Arrival a : arrivals) {
            if (a.op != IoOp.WRITE || a.completedAt() < 0 || a.completedAt() > guestTick || a.status() == null
                    || !a.status().isOk() || a.end() <= r.offset() || a.offset >= r.end()) {
                continue;
            }
            for (long b = Math.max(a.offset, r.offset()); b < Math.min(a.end(), r.end()); b += 512) {
                covered[(int) ((b - r.offset()) / 512)] = true;
            }
            latest = Math.max(latest, a.completedAt());
        }
        for (boolean b : covered) {
            if (!b) {
                return -1;
            }
        }
        return latest;
    }

    private static String describeBelow(List<TapBackend.Arrival> arrivals, IoRequest r) {
        List<String> seen = new ArrayList<>();
        for (TapBackend.Arrival a : arrivals) {
            if (a.op.modifies() && a.end() > r.offset() && a.offset < r.end()) {
                seen.add(a + (a.completedAt() < 0 ? " not completed" : " completed at tick " + a.completedAt()));
            }
        }
        return seen.isEmpty() ? "no write of that range reached the backend" : "backend saw " + seen;
    }

    /** Data written without FLUSH is on the backend right after SNAPSHOT_PREPARE, MIGRATE_OUT, SWAP_OUT and DETACH. */
    private static void writesBackBeforeEvents(CheckContext ctx, Outcome out) throws Exception {
        String diskId = ctx.rig().nextDiskId();
        MemoryBackend memory = Rig.memory(diskId).build();
        Patterns patterns = new Patterns(ctx.seed(), Workload.UNIT);
        Duration deadline = Rig.DEADLINE;
        Station s = ctx.rig().open(diskId, memory, Rig.Layout.standard());
        try {
            int unit = 0;
            int version = 0;
            for (Kind event : List.of(Kind.SNAPSHOT_PREPARE, Kind.MIGRATE_OUT, Kind.SWAP_OUT)) {
                version++;
                Map<Integer, Integer> written = writeSome(s, patterns, unit, version, out);
                unit += written.size();
                s.disk().stun(deadline);
                try {
                    s.disk().deliver(event, deadline);
                    onBackend(memory, patterns, written, "right after " + event, out);
                    s.disk().deliver(event == Kind.SNAPSHOT_PREPARE ? Kind.SNAPSHOT_COMMIT : event.undo(), deadline);
                } catch (io.weir.filter.FilterRefusedException e) {
                    out.fail(event + " was refused on a healthy disk: " + e.getMessage());
                } finally {
                    s.disk().unstun();
                }
            }
            Map<Integer, Integer> written = writeSome(s, patterns, unit, ++version, out);
            s.close();
            onBackend(memory, patterns, written, "right after DETACH", out);
        } finally {
            s.close();
        }
    }

    private static Map<Integer, Integer> writeSome(Station s, Patterns patterns, int firstUnit, int version, Outcome out)
            throws InterruptedException {
        Map<Integer, Integer> written = new HashMap<>();
        for (int u = firstUnit; u < firstUnit + 8; u++) {
            IoStatus st = s.run(s.write((long) u * Workload.UNIT, patterns.of(u, version), false));
            if (out.expect(st != null && st.isOk(), "write of unit " + u + " completed with " + st)) {
                written.put(u, version);
            }
        }
        return written;
    }

    private static void onBackend(MemoryBackend memory, Patterns patterns, Map<Integer, Integer> written, String when,
                                  Outcome out) {
        int present = 0;
        for (Map.Entry<Integer, Integer> e : written.entrySet()) {
            byte[] got = memory.peek((long) e.getKey() * Workload.UNIT, Workload.UNIT);
            if (patterns.match(e.getKey(), got, e.getValue()) == e.getValue()) {
                present++;
            } else {
                out.fail(when + ", the backend does not hold the write of unit " + e.getKey() + " (holds "
                        + patterns.describe(e.getKey(), got, e.getValue()) + "): dirty data was not written back");
            }
        }
        out.note(when + ": the backend holds " + present + " of " + written.size() + " writes made without FLUSH");
    }

    /** No 16-byte run of the plaintext written appears anywhere on the backend, and reads return the plaintext. */
    private static void noPlaintextBelow(CheckContext ctx, Outcome out) throws Exception {
        String diskId = ctx.rig().nextDiskId();
        MemoryBackend memory = Rig.memory(diskId).build();
        Patterns patterns = new Patterns(ctx.seed(), Workload.UNIT);
        int units = 64;
        try (Station s = ctx.rig().open(diskId, memory, Rig.Layout.standard())) {
            for (int u = 0; u < units; u++) {
                IoStatus st = s.run(s.write((long) u * Workload.UNIT, patterns.of(u, 1), u % 5 == 0));
                out.expect(st != null && st.isOk(), "write of unit " + u + " completed with " + st);
            }
            s.run(IoRequest.flush(s.tag()));
        }
        Set<Long> heads = new HashSet<>();
        Map<Long, Integer> unitOf = new HashMap<>();
        for (int u = 0; u < units; u++) {
            ByteBuffer p = ByteBuffer.wrap(patterns.of(u, 1));
            for (int i = 0; i + 16 <= Workload.UNIT; i += 16) {
                heads.add(p.getLong(i));
                unitOf.put(p.getLong(i), u);
            }
        }
        byte[] all = memory.peek(0, (int) Rig.CAPACITY);
        ByteBuffer b = ByteBuffer.wrap(all);
        int leaks = 0;
        for (int i = 0; i + 8 <= all.length; i++) {
            long v = b.getLong(i);
            if (v != 0 && heads.contains(v)) {
                leaks++;
                if (leaks <= 5) {
                    out.fail("plaintext below the filter: the backend holds 8+ bytes of the plaintext of unit "
                            + unitOf.get(v) + " at byte " + i);
                }
            }
        }
        out.note("wrote " + units + " units of " + Workload.UNIT + " random bytes; scanned all " + all.length
                + " bytes of the backend at every offset for runs of the plaintext: " + leaks + " found");
        MemoryBackend again = memory.reopen();
        try (Station s = ctx.rig().open(diskId, again, Rig.Layout.standard())) { // the same disk: its sidecar too
            int plain = 0;
            for (int u = 0; u < units; u++) {
                IoRequest r = s.read((long) u * Workload.UNIT, Workload.UNIT);
                IoStatus st = s.run(r);
                if (st != null && st.isOk() && Arrays.equals(Station.bytes(r), patterns.of(u, 1))) {
                    plain++;
                } else {
                    out.fail("a fresh instance read unit " + u + " back as " + (st == null || !st.isOk() ? st
                            : patterns.describe(u, Station.bytes(r), 1)) + ", not the plaintext written");
                }
            }
            out.note("a fresh instance on the same backend reads " + plain + " of " + units + " units back as plaintext");
        }
    }

    /** Every request completes OK, every write reaches the backend, and none crosses a FLUSH on the way. */
    private static void dropsNothing(CheckContext ctx, Outcome out) throws Exception {
        String diskId = ctx.rig().nextDiskId();
        MemoryBackend memory = Rig.memory(diskId).latency(Duration.ZERO, Duration.ofMillis(2)).build();
        Patterns patterns = new Patterns(ctx.seed(), Workload.UNIT);
        try (Station s = ctx.rig().open(diskId, memory, Rig.Layout.standard())) {
            int sentWrites = 0;
            List<Long> flushTags = new ArrayList<>();
            Map<Long, Long> writeBeforeFlush = new HashMap<>();
            for (int round = 0; round < 6; round++) {
                List<Station.Pending> batch = new ArrayList<>();
                for (int i = 0; i < 16; i++) {
                    int u = round * 16 + i;
                    batch.add(s.submit(s.write((long) u * Workload.UNIT, patterns.of(u, 1), false)));
                    sentWrites++;
                }
                for (Station.Pending p : batch) {
                    IoStatus st = p.await(s.layout().deadline());
                    out.expect(st != null && st.isOk(), p.request + " completed with " + st);
                }
                long flushTag = s.tag();
                IoStatus st = s.run(IoRequest.flush(flushTag));
                out.expect(st != null && st.isOk(), "FLUSH #" + flushTag + " completed with " + st);
                flushTags.add(flushTag);
                for (Station.Pending p : batch) {
                    writeBeforeFlush.put(p.request.tag(), flushTag);
                }
            }
            Map<Long, Long> arrivedAt = new HashMap<>();
            for (TapBackend.Arrival a : s.tap().arrivals()) {
                arrivedAt.putIfAbsent(a.tag, a.arrivedAt);
            }
            int reached = 0;
            for (Map.Entry<Long, Long> e : writeBeforeFlush.entrySet()) {
                Long w = arrivedAt.get(e.getKey());
                Long f = arrivedAt.get(e.getValue());
                if (w == null) {
                    out.fail("WRITE #" + e.getKey() + " completed but never reached the backend: dropped");
                } else if (f != null && f < w) {
                    out.fail("WRITE #" + e.getKey() + " reached the backend after the FLUSH #" + e.getValue()
                            + " sent after it completed: reordered across a FLUSH");
                } else {
                    reached++;
                }
            }
            out.note("sent " + sentWrites + " writes in 6 batches, each followed by a FLUSH; " + reached
                    + " reached the backend before the following FLUSH; " + flushTags.size() + " FLUSHes sent");
        }
    }
}
