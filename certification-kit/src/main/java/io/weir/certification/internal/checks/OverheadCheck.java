package io.weir.certification.internal.checks;

import java.util.Random;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.weir.certification.Candidate;
import io.weir.certification.internal.Check;
import io.weir.certification.internal.CheckContext;
import io.weir.certification.internal.FaultLedger;
import io.weir.certification.internal.Outcome;
import io.weir.certification.internal.Rig;
import io.weir.certification.internal.Workload;
import io.weir.filter.FilterFactory;
import io.weir.filter.IoRequest;
import io.weir.vscsi.standalone.Disks;
import io.weir.vscsi.standalone.StandaloneDisk;

/** Time of a fixed workload through the candidate against a pass-through filter of the same class. */
public final class OverheadCheck implements Check {
    private static final int OPERATIONS = 3000;
    private static final int WARM_UP = 500;
    private static final int CONCURRENCY = 16;
    private static final int REPEATS = 3;

    @Override
    public String id() {
        return "overhead";
    }

    @Override
    public String sentence() {
        return "the filter's overhead against a pass-through filter of the same class stays within the budget";
    }

    @Override
    public boolean required(CheckContext context) {
        return !Double.isNaN(context.overheadBudget());
    }

    @Override
    public Outcome run(CheckContext ctx) throws Exception {
        Outcome out = new Outcome();
        Candidate c = ctx.candidate();
        FilterFactory baseline = context -> (request, chain) -> chain.pass();
        long best = Long.MAX_VALUE;
        long bestBase = Long.MAX_VALUE;
        AtomicInteger failures = new AtomicInteger();
        for (int round = 0; round < REPEATS; round++) {
            bestBase = Math.min(bestBase, time(ctx, "baseline", baseline, c, failures, round));
            best = Math.min(best, time(ctx, c.filterName(), c.factory(), c, failures, round));
        }
        double ratio = (double) best / bestBase;
        out.note(String.format(java.util.Locale.ROOT, "%d operations (half 4 KiB writes, half 4 KiB reads, %d in flight) "
                        + "on a memory backend: %.1f ms through the candidate, %.1f ms through a pass-through %s filter "
                        + "(best of %d); ratio %.2f", OPERATIONS, CONCURRENCY, best / 1e6, bestBase / 1e6,
                c.filterClass(), REPEATS, ratio));
        out.expect(failures.get() == 0, failures.get() + " request(s) of the timed workload failed");
        if (Double.isNaN(ctx.overheadBudget())) {
            out.informational();
        } else {
            out.expect(ratio <= ctx.overheadBudget(), String.format(java.util.Locale.ROOT,
                    "ratio %.2f exceeds the overhead budget of %.2f", ratio, ctx.overheadBudget()));
        }
        return out;
    }

    private static long time(CheckContext ctx, String name, FilterFactory factory, Candidate c, AtomicInteger failures,
                             int round) throws Exception {
        String diskId = ctx.rig().nextDiskId();
        boolean isCandidate = factory == c.factory();
        StandaloneDisk disk = Disks.builder(diskId).backend(Rig.memory(diskId).build())
                .filter(name, c.filterClass(), factory, isCandidate ? c.config() : java.util.Map.of()).open();
        try {
            Random random = new Random(ctx.seed() + round);
            drive(disk, random, WARM_UP, failures);
            long t0 = System.nanoTime();
            drive(disk, random, OPERATIONS, failures);
            return System.nanoTime() - t0;
        } finally {
            disk.close();
            if (isCandidate) {
                disk.info().stack().stream().filter(l -> l.filterName().equals(name)).findFirst()
                        .ifPresent(l -> ctx.ledger().record(new FaultLedger.Entry(ctx.checkId(), diskId, l.faults(),
                                l.fenced(), disk.info().reason())));
            }
        }
    }

    private static void drive(StandaloneDisk disk, Random random, int n, AtomicInteger failures) throws Exception {
        Semaphore slots = new Semaphore(CONCURRENCY);
        int units = (int) (Rig.CAPACITY / Workload.UNIT);
        byte[] data = new byte[Workload.UNIT];
        random.nextBytes(data);
        for (int i = 0; i < n; i++) {
            slots.acquire();
            long offset = (long) random.nextInt(units) * Workload.UNIT;
            IoRequest r = i % 2 == 0 ? IoRequest.write(i, offset, java.nio.ByteBuffer.wrap(data.clone()), false)
                    : IoRequest.read(i, offset, java.nio.ByteBuffer.allocate(Workload.UNIT));
            disk.submit(r, status -> {
                if (!status.isOk()) {
                    failures.incrementAndGet();
                }
                slots.release();
            });
        }
        if (!slots.tryAcquire(CONCURRENCY, Rig.DEADLINE.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("the timed workload did not finish within " + Rig.DEADLINE.toMillis() + " ms");
        }
    }
}
