package io.weir.certification.broken;

import java.nio.ByteBuffer;

import io.weir.filter.Filter;
import io.weir.filter.FilterContext;
import io.weir.filter.FilterFactory;
import io.weir.filter.IoOp;
import io.weir.filter.IoRequest;

/**
 * An INSPECTION filter that reads back every WRITE it passes ("verify after write"): requests nobody sent reach
 * the layers below. The kit's {@code exactly-once} check fails.
 */
public final class InventsRequests implements FilterFactory {
    @Override
    public Filter create(FilterContext context) {
        return (request, chain) -> {
            chain.pass();
            if (request.op() == IoOp.WRITE) {
                context.submit(IoRequest.read(request.tag(), request.offset(), ByteBuffer.allocate(request.length())),
                        status -> {
                        });
            }
        };
    }
}
