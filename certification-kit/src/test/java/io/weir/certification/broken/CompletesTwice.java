package io.weir.certification.broken;

import io.weir.filter.Filter;
import io.weir.filter.FilterContext;
import io.weir.filter.FilterFactory;
import io.weir.filter.IoOp;

/**
 * Passes every WRITE down and then also completes it itself: a second disposition of the same request. The core
 * refuses the second one and fences the filter; the kit's {@code exactly-once} and {@code fault-free} checks fail.
 */
public final class CompletesTwice implements FilterFactory {
    @Override
    public Filter create(FilterContext context) {
        return (request, chain) -> {
            chain.pass();
            if (request.op() == IoOp.WRITE) {
                chain.complete();
            }
        };
    }
}
