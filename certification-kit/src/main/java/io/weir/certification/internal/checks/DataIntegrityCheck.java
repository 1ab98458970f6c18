package io.weir.certification.internal.checks;

import java.time.Duration;

import io.weir.backend.memory.MemoryBackend;
import io.weir.certification.internal.Check;
import io.weir.certification.internal.CheckContext;
import io.weir.certification.internal.Outcome;
import io.weir.certification.internal.Patterns;
import io.weir.certification.internal.Rig;
import io.weir.certification.internal.Station;
import io.weir.certification.internal.Workload;

/** Reads return what was last written, under a concurrent mixed workload, and the final contents are right. */
public final class DataIntegrityCheck implements Check {
    @Override
    public String id() {
        return "data-integrity";
    }

    @Override
    public String sentence() {
        return "under a concurrent mixed workload, a read that starts after a write completed returns that write's "
                + "data, and the disk ends holding exactly what was written";
    }

    @Override
    public Outcome run(CheckContext ctx) throws Exception {
        Outcome out = new Outcome();
        String diskId = ctx.rig().nextDiskId();
        MemoryBackend memory = Rig.memory(diskId).latency(Duration.ZERO, Duration.ofMillis(1)).build();
        boolean transforms = Classes.transformsData(ctx.candidate().filterClass());
        Workload w;
        try (Station s = ctx.rig().open(diskId, memory, Rig.Layout.standard())) {
            w = new Workload(s, new Patterns(ctx.seed(), Workload.UNIT), ctx.random("workload"),
                    (int) (Rig.CAPACITY / Workload.UNIT), out).unwrittenUndefined(transforms);
            w.run(1500, 16, ctx.budget());
            out.note(w.summary() + " on a backend completing each request after 0-1 ms, out of order");
            int checked = w.verifyAllThroughReads();
            out.note("read back " + checked + " modified units through the disk");
        }
        if (transforms) {
            out.note("the backend's contents were not compared: a " + ctx.candidate().filterClass()
                    + " filter stores transformed data");
        } else {
            int checked = w.verifyAllOnBackend(offset -> memory.peek(offset, Workload.UNIT));
            out.note("after the disk was closed (CLOSE, DETACH), the backend holds the expected contents of "
                    + checked + " modified units" + (out.failed() ? " (see failures)" : ""));
        }
        return out;
    }
}
