package io.weir.certification.broken;

import io.weir.filter.ControlEvent;
import io.weir.filter.Filter;
import io.weir.filter.FilterContext;
import io.weir.filter.FilterFactory;
import io.weir.filter.IoChain;
import io.weir.filter.IoRequest;

/**
 * An INSPECTION filter that takes {@value #PREPARE_MILLIS} ms to prepare a snapshot, past the kit's 500 ms event
 * deadline, whether or not the core interrupts it there; the core fences it. The kit's {@code deadlines} and {@code fault-free} checks fail.
 */
public final class MissesDeadline implements FilterFactory {
    /** How long SNAPSHOT_PREPARE takes. */
    public static final long PREPARE_MILLIS = 700;

    @Override
    public Filter create(FilterContext context) {
        return new Filter() {
            @Override
            public void handle(IoRequest request, IoChain chain) {
                chain.pass();
            }

            @Override
            public void onEvent(ControlEvent event) {
                if (event.kind() == ControlEvent.Kind.SNAPSHOT_PREPARE) {
                    // deaf to the core's interrupt at the deadline, as a filter busy writing back would be
                    long end = System.nanoTime() + PREPARE_MILLIS * 1_000_000;
                    boolean interrupted = false;
                    while (System.nanoTime() < end) {
                        try {
                            Thread.sleep(Math.max(1, (end - System.nanoTime()) / 1_000_000));
                        } catch (InterruptedException e) {
                            interrupted = true;
                        }
                    }
                    if (interrupted) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        };
    }
}
