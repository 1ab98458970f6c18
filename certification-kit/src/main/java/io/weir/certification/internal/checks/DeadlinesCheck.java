package io.weir.certification.internal.checks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.weir.certification.internal.Check;
import io.weir.certification.internal.CheckContext;
import io.weir.certification.internal.Observation;
import io.weir.certification.internal.Outcome;
import io.weir.certification.internal.Rig;
import io.weir.certification.internal.Station;
import io.weir.filter.ControlEvent.Kind;
import io.weir.filter.FilterRefusedException;
import io.weir.vscsi.DiskException;
import io.weir.vscsi.LayerInfo;

/** Every control event is answered within a short deadline, and the core never had to fence the candidate. */
public final class DeadlinesCheck implements Check {
    /** The deadline of every event in this check. */
    static final Duration DEADLINE = Duration.ofMillis(500);

    @Override
    public String id() {
        return "deadlines";
    }

    @Override
    public String sentence() {
        return "the filter answers every control event within its deadline";
    }

    @Override
    public Outcome run(CheckContext ctx) throws Exception {
        Outcome out = new Outcome();
        String diskId = ctx.rig().nextDiskId();
        Rig.Layout layout = Rig.Layout.standard().deadline(DEADLINE);
        List<String> problems = new ArrayList<>();
        Station s;
        try {
            s = ctx.rig().open(diskId, Rig.memory(diskId).build(), layout);
        } catch (DiskException e) {
            out.fail("the disk did not open with a " + DEADLINE.toMillis() + " ms deadline for ATTACH and OPEN: "
                    + e.getMessage());
            return out;
        }
        LayerInfo after;
        try {
            s.disk().stun(DEADLINE);
            try {
                deliver(s, Kind.SNAPSHOT_PREPARE, problems);
                deliver(s, Kind.SNAPSHOT_COMMIT, problems);
                deliver(s, Kind.MIGRATE_OUT, problems);
                deliver(s, Kind.MIGRATE_ABORT, problems);
                deliver(s, Kind.SWAP_OUT, problems);
                deliver(s, Kind.SWAP_ABORT, problems);
            } finally {
                s.disk().unstun();
            }
            try {
                s.disk().grow(s.disk().capacity() * 2, DEADLINE);
            } catch (DiskException e) {
                problems.add("GROW: " + e.getMessage());
            }
        } finally {
            s.close();
            after = s.candidateLayer();
        }
        List<String> answered = new ArrayList<>();
        for (Observation.EventCall e : s.observation().events()) {
            long ms = e.nanos() / 1_000_000;
            answered.add(e.kind() + " " + ms + " ms");
            out.expect(e.nanos() <= DEADLINE.toNanos(), e.kind() + " took the candidate " + ms + " ms, past its "
                    + DEADLINE.toMillis() + " ms deadline");
        }
        out.note("every event had a " + DEADLINE.toMillis() + " ms deadline; the candidate answered " + answered);
        problems.forEach(out::fail);
        if (after.isFenced()) {
            out.fail("the core fenced the candidate: " + after.fenced());
        }
        return out;
    }

    private static void deliver(Station s, Kind kind, List<String> problems) {
        try {
            s.disk().deliver(kind, DEADLINE);
        } catch (FilterRefusedException e) {
            problems.add(kind + " was not accepted: " + e.getMessage());
        }
    }
}
