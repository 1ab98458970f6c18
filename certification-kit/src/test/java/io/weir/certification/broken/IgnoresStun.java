package io.weir.certification.broken;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.weir.filter.ControlEvent;
import io.weir.filter.Filter;
import io.weir.filter.FilterContext;
import io.weir.filter.FilterFactory;
import io.weir.filter.IoChain;
import io.weir.filter.IoOp;
import io.weir.filter.IoRequest;

/**
 * A REPLICATION filter that defers each WRITE for a moment before passing it down, and pauses while the disk is
 * stunned instead of releasing what it holds: a stun can never drain. The kit's {@code control-events} check
 * fails.
 */
public final class IgnoresStun implements FilterFactory {
    @Override
    public Filter create(FilterContext context) {
        return new Filter() {
            private final List<IoChain> held = new ArrayList<>();
            private boolean paused;

            @Override
            public void handle(IoRequest request, IoChain chain) {
                if (request.op() != IoOp.WRITE) {
                    chain.pass();
                    return;
                }
                context.schedule(() -> release(chain), Duration.ofMillis(2));
            }

            private void release(IoChain chain) {
                synchronized (this) {
                    if (paused) {
                        held.add(chain);
                        return;
                    }
                }
                chain.pass();
            }

            @Override
            public void onEvent(ControlEvent event) {
                List<IoChain> go = List.of();
                synchronized (this) {
                    if (event.kind() == ControlEvent.Kind.STUN) {
                        paused = true;
                    } else if (event.kind() == ControlEvent.Kind.UNSTUN) {
                        paused = false;
                        go = new ArrayList<>(held);
                        held.clear();
                    }
                }
                go.forEach(IoChain::pass);
            }
        };
    }
}
