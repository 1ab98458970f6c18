package io.weir.certification.internal.checks;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import io.weir.backend.memory.MemoryBackend;
import io.weir.certification.internal.Check;
import io.weir.certification.internal.CheckContext;
import io.weir.certification.internal.Outcome;
import io.weir.certification.internal.Patterns;
import io.weir.certification.internal.Rig;
import io.weir.certification.internal.Station;
import io.weir.certification.internal.Workload;
import io.weir.certification.probe.ProbeFilterFactory;
import io.weir.certification.probe.ProbeRecorder;
import io.weir.certification.probe.ProbeRecorder.Phase;
import io.weir.filter.Capability;
import io.weir.filter.FilterClass;
import io.weir.filter.IoError;
import io.weir.filter.IoOp;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;

/**
 * Failures below the candidate reach the guest as failures: from the backend (injected on every attempt, so a
 * retry cannot hide it) and from the layer right below the candidate.
 */
public final class ErrorPropagationCheck implements Check {
    @Override
    public String id() {
        return "error-propagation";
    }

    @Override
    public String sentence() {
        return "a failure below the filter reaches the guest as a failure, never as success, and only the layers "
                + "above the failure learn of it";
    }

    @Override
    public Outcome run(CheckContext ctx) throws Exception {
        Outcome out = new Outcome();
        String diskId = ctx.rig().nextDiskId();
        MemoryBackend memory = Rig.memory(diskId).build();
        Patterns patterns = new Patterns(ctx.seed(), Workload.UNIT);
        FilterClass mine = ctx.candidate().filterClass();
        boolean writeBack = mine == FilterClass.CACHE
                && !ctx.mode("write-through").equals("write-through");
        try (Station s = ctx.rig().open(diskId, memory, Rig.Layout.standard())) {
            List<IoRequest> cases = new ArrayList<>();
            int unit = 100;
            cases.add(s.read((long) unit++ * Workload.UNIT, Workload.UNIT));
            if (writeBack) {
                out.note("write-back cache: a failed write-back must fail the FLUSH that needed it");
                IoStatus st = s.run(s.write((long) unit * Workload.UNIT, patterns.of(unit, 1), false));
                out.expect(st != null && st.isOk(), "setup write completed with " + st);
                unit++; // the reads below must miss what the cache now holds dirty, or they are rightly cache hits
                cases.add(IoRequest.flush(s.tag()));
            } else {
                cases.add(s.write((long) unit++ * Workload.UNIT, patterns.of(unit, 1), false));
                if (s.disk().capabilities().contains(Capability.FUA)) {
                    cases.add(s.write((long) unit++ * Workload.UNIT, patterns.of(unit, 1), true));
                }
                cases.add(IoRequest.flush(s.tag()));
                if (s.disk().capabilities().contains(Capability.WRITE_ZEROES)) {
                    cases.add(IoRequest.writeZeroes(s.tag(), (long) unit++ * Workload.UNIT, Workload.UNIT, false));
                }
                if (s.disk().capabilities().contains(Capability.UNMAP)) {
                    cases.add(IoRequest.unmap(s.tag(), (long) unit++ * Workload.UNIT, Workload.UNIT));
                }
            }
            for (IoRequest r : cases) {
                // every attempt of the same operation fails, wherever it lands, so neither a retry nor a remap hides it
                memory.failMatching(below -> below.op() == r.op() || r.op() == IoOp.FLUSH && below.op().modifies(),
                        IoError.IO);
                IoStatus st;
                try {
                    st = s.run(r);
                } finally {
                    memory.clearFaults();
                }
                judge(ctx, s, r, st, "the backend failed every attempt with IO", null, out);
            }
            ProbeFilterFactory below = nearestBelow(ctx);
            if (below == null) {
                out.note("no probe below a " + mine + " filter: failures of a layer below are covered by the backend's");
            } else {
                List<IoRequest> layerCases = List.of(s.read((long) unit++ * Workload.UNIT, Workload.UNIT),
                        writeBack ? IoRequest.flush(s.tag())
                                : s.write((long) unit * Workload.UNIT, patterns.of(unit, 1), false));
                for (IoRequest r : layerCases) {
                    if (r.op() == IoOp.FLUSH) {
                        s.run(s.write((long) unit * Workload.UNIT, patterns.of(unit, 2), false));
                    }
                    below.failWhen(x -> x.tag() == r.tag() || r.op() == IoOp.FLUSH, IoError.IO);
                    IoStatus st;
                    try {
                        st = s.run(r);
                    } finally {
                        below.reset();
                    }
                    judge(ctx, s, r, st, "the probe " + below.filterName() + " right below the candidate failed it",
                            below.filterClass(), out);
                }
            }
        }
        return out;
    }

    private static ProbeFilterFactory nearestBelow(CheckContext ctx) {
        FilterClass mine = ctx.candidate().filterClass();
        return ctx.rig().probeClasses().stream().filter(mine::isOuterTo).sorted().findFirst()
                .map(ctx.rig()::probe).orElse(null);
    }

    private static void judge(CheckContext ctx, Station s, IoRequest r, IoStatus st, String how, FilterClass failedAt,
                              Outcome out) {
        if (st == null) {
            out.fail(r + ": " + how + ", and the guest got no completion at all");
            return;
        }
        if (st.isOk()) {
            out.fail(r + ": " + how + ", yet the guest was told it succeeded");
            return;
        }
        FilterClass mine = ctx.candidate().filterClass();
        Optional<ProbeRecorder.Trace> trace = ctx.rig().recorder().trace(s.id(), r.tag());
        List<String> wrong = new ArrayList<>();
        trace.ifPresent(t -> {
            for (ProbeRecorder.Visit v : t.visits()) {
                if (v.phase() == Phase.COMPLETED && v.filterClass().isOuterTo(mine) && v.status().isOk()) {
                    wrong.add(v.filterName() + " above the candidate saw it succeed");
                }
                if (failedAt != null && failedAt.isOuterTo(v.filterClass())) {
                    wrong.add(v.filterName() + " below the failing layer saw it (" + v.phase() + ")");
                }
            }
        });
        if (wrong.isEmpty()) {
            out.note(r + ": " + how + "; the guest saw " + st.error() + " (" + st.message() + ")"
                    + ", every probe above saw the failure");
        } else {
            wrong.forEach(w -> out.fail(r + ": " + how + ", but " + w));
        }
    }
}
