package io.weir.certification.internal.checks;

import io.weir.certification.internal.Check;
import io.weir.certification.internal.CheckContext;
import io.weir.certification.internal.FaultLedger;
import io.weir.certification.internal.Outcome;

/** Over the whole run, the core never reported a fault against the candidate nor fenced it. Runs last. */
public final class FaultFreeCheck implements Check {
    @Override
    public String id() {
        return "fault-free";
    }

    @Override
    public String sentence() {
        return "on every disk of the run the filter broke no request contract, threw nothing, missed no deadline "
                + "and was never fenced";
    }

    @Override
    public Outcome run(CheckContext ctx) {
        Outcome out = new Outcome();
        FaultLedger ledger = ctx.ledger();
        for (FaultLedger.Entry e : ledger.faulty()) {
            out.fail("during '" + e.checkId() + "' on disk '" + e.diskId() + "': " + e.faults() + " fault(s)"
                    + (e.fenced().isEmpty() ? "" : ", fenced: " + e.fenced())
                    + (e.lastReason().isEmpty() ? "" : "; disk reason: " + e.lastReason()));
        }
        out.note(ledger.disks() + " kit disks hosted the candidate; " + ledger.faulty().size()
                + " had faults reported against it");
        return out;
    }
}
