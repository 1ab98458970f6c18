package io.weir.certification.broken;

import io.weir.filter.Filter;
import io.weir.filter.FilterContext;
import io.weir.filter.FilterFactory;

/** An "ENCRYPTION" filter that passes data down unchanged. The kit's {@code ack-semantics} check fails. */
public final class LeaksPlaintext implements FilterFactory {
    @Override
    public Filter create(FilterContext context) {
        return (request, chain) -> chain.pass();
    }
}
