package io.weir.certification.internal.checks;

import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;

import io.weir.certification.internal.Check;
import io.weir.certification.internal.CheckContext;
import io.weir.certification.internal.Outcome;
import io.weir.certification.internal.Patterns;
import io.weir.certification.internal.Rig;
import io.weir.certification.internal.Station;
import io.weir.certification.internal.TapBackend;
import io.weir.certification.internal.Workload;
import io.weir.filter.FilterClass;
import io.weir.filter.IoOp;
import io.weir.filter.IoRequest;

/**
 * Every request the kit sends completes exactly once, and nothing reaches the backend that the kit's requests
 * do not account for.
 */
public final class ExactlyOnceCheck implements Check {
    @Override
    public String id() {
        return "exactly-once";
    }

    @Override
    public String sentence() {
        return "every request completes exactly once, none is invented, and none is passed outside the disk";
    }

    @Override
    public Outcome run(CheckContext ctx) throws Exception {
        Outcome out = new Outcome();
        String diskId = ctx.rig().nextDiskId();
        try (Station s = ctx.rig().open(diskId, Rig.memory(diskId).build(), Rig.Layout.standard())) {
            Workload w = new Workload(s, new Patterns(ctx.seed(), Workload.UNIT), ctx.random("workload"),
                    (int) (Rig.CAPACITY / Workload.UNIT), out)
                    .unwrittenUndefined(Classes.transformsData(ctx.candidate().filterClass()));
            w.run(400, 16, ctx.budget());
            Thread.sleep(100); // late second completions arrive here, if any
            out.note(w.summary());
            int once = 0;
            for (Station.Pending p : w.sent()) {
                int n = p.completions();
                if (n == 1) {
                    once++;
                } else {
                    out.fail(p.request + " completed " + n + " times");
                }
            }
            out.note(once + " of " + w.sent().size() + " requests completed exactly once to the guest");
            if (s.candidateFaulted()) {
                out.fail("the core caught the candidate breaking the request contract on disk '" + s.id() + "': "
                        + s.faultSummary());
            }
            invented(ctx, s, w, out);
        }
        return out;
    }

    /**
     * Whether every request below the candidate is derived from the kit's requests: the kit's own tags with the
     * same operation; a FLUSH; a modification of a range the kit modified (split parts, write-backs); or, for
     * classes that read on their own account (CACHE read-ahead, COMPRESSION and ENCRYPTION read-modify-write),
     * a READ.
     */
    private static void invented(CheckContext ctx, Station s, Workload w, Outcome out) {
        Map<Long, IoRequest> sent = new HashMap<>();
        BitSet modified = new BitSet();
        for (Station.Pending p : w.sent()) {
            sent.put(p.request.tag(), p.request);
            if (p.request.op().modifies()) {
                modified.set((int) (p.request.offset() / Workload.UNIT), (int) (p.request.end() / Workload.UNIT));
            }
        }
        FilterClass c = ctx.candidate().filterClass();
        boolean mayRead = c == FilterClass.CACHE || c == FilterClass.COMPRESSION || c == FilterClass.ENCRYPTION;
        int own = 0;
        int derived = 0;
        long capacity = s.disk().capacity();
        for (TapBackend.Arrival a : s.tap().arrivals()) {
            if (a.op.hasRange() && a.end() > capacity) {
                out.fail(a + " reached the backend outside the disk's " + capacity + " bytes");
                continue;
            }
            IoRequest r = sent.get(a.tag);
            if (r != null && r.op() == a.op) {
                own++;
                continue;
            }
            if (a.op == IoOp.FLUSH) {
                derived++;
                continue;
            }
            if (a.op == IoOp.READ) {
                if (mayRead) {
                    derived++;
                } else {
                    out.fail("invented request: " + a + " reached the backend, but the kit sent no READ with that tag "
                            + "and a " + c + " filter has no reason to read on its own");
                }
                continue;
            }
            int from = (int) (a.offset / Workload.UNIT);
            int to = (int) ((a.end() + Workload.UNIT - 1) / Workload.UNIT);
            if (modified.get(from, to).cardinality() == to - from) {
                derived++;
            } else {
                out.fail("invented request: " + a + " reached the backend and modifies a range the kit never modified");
            }
        }
        out.note(own + " request(s) reached the backend under the kit's tags, " + derived
                + " more were derived from them (flushes, split parts, write-backs" + (mayRead ? ", reads" : "") + ")");
    }
}
