package io.weir.certification.broken;

import io.weir.filter.Filter;
import io.weir.filter.FilterContext;
import io.weir.filter.FilterFactory;
import io.weir.filter.IoOp;

/**
 * A write-through CACHE that completes every FLUSH at once without passing it down, so nothing below makes
 * completed writes durable. The kit's {@code durability} check fails, and {@code error-propagation} too: a FLUSH
 * the backend fails reaches the guest as success.
 */
public final class DropsFlush implements FilterFactory {
    @Override
    public Filter create(FilterContext context) {
        return (request, chain) -> {
            if (request.op() == IoOp.FLUSH) {
                chain.complete();
            } else {
                chain.pass();
            }
        };
    }
}
