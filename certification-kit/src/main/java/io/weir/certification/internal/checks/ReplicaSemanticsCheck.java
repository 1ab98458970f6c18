package io.weir.certification.internal.checks;

import io.weir.certification.internal.Check;
import io.weir.certification.internal.CheckContext;
import io.weir.certification.internal.Outcome;
import io.weir.filter.FilterClass;

/** What a replication filter promises about its replica: needs a replica the kit can inspect. */
public final class ReplicaSemanticsCheck implements Check {
    @Override
    public String id() {
        return "replica-semantics";
    }

    @Override
    public String sentence() {
        return "synchronous replication completes a write only after the replica's durable write; asynchronous "
                + "replication keeps write order across FLUSH boundaries and tracks its lag";
    }

    @Override
    public boolean required(CheckContext context) {
        return false;
    }

    @Override
    public Outcome run(CheckContext ctx) {
        if (ctx.candidate().filterClass() != FilterClass.REPLICATION) {
            return Outcome.skipped("applies to REPLICATION filters only");
        }
        return Outcome.skipped("the replica is reached through the filter's own transport, which the kit cannot "
                + "observe or fail; what the kit can check without it (a write completes only after the local write) "
                + "is checked by 'ack-semantics'");
    }
}
