package io.weir.samples.passthrough;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

import io.weir.filter.Filter;
import io.weir.filter.FilterClass;
import io.weir.filter.FilterContext;
import io.weir.filter.FilterFactory;
import io.weir.filter.FilterType;
import io.weir.filter.IoOp;

import org.osgi.service.component.annotations.Component;

/**
 * A complete INSPECTION filter: every request is passed down unchanged and counted by operation.
 * Completions go back up untouched (the default {@link Filter#completed}). Nothing else is needed.
 */
@Component(service = FilterFactory.class)
@FilterType(filterName = "passthrough", filterClass = FilterClass.INSPECTION)
public final class PassThroughFilterFactory implements FilterFactory {
    private final Map<IoOp, LongAdder> seen = new EnumMap<>(IoOp.class);

    public PassThroughFilterFactory() {
        for (IoOp op : IoOp.values()) {
            seen.put(op, new LongAdder());
        }
    }

    @Override
    public Filter create(FilterContext context) {
        return (request, chain) -> {
            seen.get(request.op()).increment();
            chain.pass();
        };
    }

    /** Requests of {@code op} seen so far by the filters of this factory, on every disk. */
    long seen(IoOp op) {
        return seen.get(op).sum();
    }
}
