package io.weir.certification.internal.checks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import io.weir.backend.memory.MemoryBackend;
import io.weir.certification.internal.Check;
import io.weir.certification.internal.CheckContext;
import io.weir.certification.internal.Outcome;
import io.weir.certification.internal.Patterns;
import io.weir.certification.internal.Rig;
import io.weir.certification.internal.Station;
import io.weir.certification.internal.Workload;
import io.weir.vscsi.SwapReport;

/**
 * Hot swap under load: while a concurrent mixed workload runs, the candidate is swapped again and again for a fresh
 * instance from its factory through the core's live swap (stun, SWAP_OUT with a handoff, ATTACH/OPEN/SWAP_IN,
 * republish, replay). Every request must complete once and succeed, and every unit must read back as written
 * afterwards: whatever the outgoing instance held (a write-back cache's dirty data, an index) was written back or
 * handed over. What the state means is the filter's own business; that it arrives is the core's (tested there).
 */
public final class SwapHandoffCheck implements Check {
    /** At most this many swaps per run; a pause between them lets the workload make progress. */
    private static final int MAX_SWAPS = 20;
    private static final long PAUSE_MILLIS = 5;
    /**
     * How long a swap may wait for the disk to drain (as {@code control-events} allows a stun): well inside the
     * disk's deadline, so a filter that keeps requests through the stun fails here, not by being fenced.
     */
    private static final Duration DRAIN = Duration.ofSeconds(1);

    @Override
    public String id() {
        return "swap-handoff";
    }

    @Override
    public String sentence() {
        return "on hot swap the outgoing instance hands its state to the new one, and the guest sees no failed, lost "
                + "or duplicated request";
    }

    @Override
    public Outcome run(CheckContext ctx) throws Exception {
        Outcome out = new Outcome();
        String diskId = ctx.rig().nextDiskId();
        MemoryBackend memory = Rig.memory(diskId).latency(Duration.ZERO, Duration.ofMillis(1)).build();
        boolean transforms = Classes.transformsData(ctx.candidate().filterClass());
        try (Station s = ctx.rig().open(diskId, memory, Rig.Layout.standard())) {
            Workload w = new Workload(s, new Patterns(ctx.seed(), Workload.UNIT), ctx.random("swap"),
                    (int) (Rig.CAPACITY / Workload.UNIT), out).unwrittenUndefined(transforms);
            List<SwapReport> reports = Collections.synchronizedList(new ArrayList<>());
            AtomicReference<Exception> failure = new AtomicReference<>();
            AtomicBoolean stop = new AtomicBoolean();
            Thread swapper = new Thread(() -> {
                try {
                    while (!stop.get() && reports.size() < MAX_SWAPS) {
                        reports.add(s.swapCandidate(DRAIN));
                        Thread.sleep(PAUSE_MILLIS);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (Exception e) {
                    failure.set(e);
                }
            }, "kit-swapper");
            swapper.start();
            try {
                w.run(1500, 16, ctx.budget());
            } finally {
                stop.set(true);
                swapper.join(TimeUnit.SECONDS.toMillis(30));
            }
            Exception e = failure.get();
            out.expect(e == null, "a swap failed: " + (e == null ? "" : e.getMessage()));
            out.expect(!reports.isEmpty(), "no swap completed while the workload ran");
            double maxStall = reports.stream().mapToDouble(SwapReport::stallMillis).max().orElse(0);
            int parked = reports.stream().mapToInt(SwapReport::parked).sum();
            long stateBytes = reports.stream().mapToLong(SwapReport::stateBytes).max().orElse(0);
            out.note(reports.size() + " swaps under " + w.summary() + "; longest stall " + String.format("%.1f", maxStall)
                    + " ms, " + parked + " requests parked and replayed, up to " + stateBytes
                    + " bytes of state handed over per swap");
            int checked = w.verifyAllThroughReads();
            out.note("read back " + checked + " modified units through the last instance");
        }
        return out;
    }
}
