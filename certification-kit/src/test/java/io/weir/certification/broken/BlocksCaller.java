package io.weir.certification.broken;

import io.weir.filter.Filter;
import io.weir.filter.FilterContext;
import io.weir.filter.FilterFactory;
import io.weir.filter.IoOp;

/**
 * An INSPECTION filter that sleeps in {@code handle} before passing a FLUSH down, blocking the thread that
 * submitted it. The kit's {@code non-blocking} check fails.
 */
public final class BlocksCaller implements FilterFactory {
    /** How long each FLUSH blocks its caller. */
    public static final long SLEEP_MILLIS = 200;

    @Override
    public Filter create(FilterContext context) {
        return (request, chain) -> {
            if (request.op() == IoOp.FLUSH) {
                try {
                    Thread.sleep(SLEEP_MILLIS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            chain.pass();
        };
    }
}
