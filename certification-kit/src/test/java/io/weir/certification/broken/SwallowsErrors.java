package io.weir.certification.broken;

import io.weir.filter.Filter;
import io.weir.filter.FilterContext;
import io.weir.filter.FilterFactory;
import io.weir.filter.IoChain;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;

/**
 * A REPLICATION filter that reports every completion from below as success, failures included. The kit's
 * {@code error-propagation} check fails.
 */
public final class SwallowsErrors implements FilterFactory {
    @Override
    public Filter create(FilterContext context) {
        return new Filter() {
            @Override
            public void handle(IoRequest request, IoChain chain) {
                chain.pass();
            }

            @Override
            public IoStatus completed(IoRequest request, IoStatus status) {
                return IoStatus.OK;
            }
        };
    }
}
