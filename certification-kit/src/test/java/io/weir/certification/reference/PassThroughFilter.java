package io.weir.certification.reference;

import io.weir.filter.Filter;
import io.weir.filter.FilterContext;
import io.weir.filter.FilterFactory;
import io.weir.filter.IoChain;
import io.weir.filter.IoRequest;

/** A correct filter of any class that changes nothing: every request passes down, every completion goes up. */
public final class PassThroughFilter implements FilterFactory {
    @Override
    public Filter create(FilterContext context) {
        return new Filter() {
            @Override
            public void handle(IoRequest request, IoChain chain) {
                chain.pass();
            }

            @Override
            public String toString() {
                return "pass-through on " + context.diskId();
            }
        };
    }
}
