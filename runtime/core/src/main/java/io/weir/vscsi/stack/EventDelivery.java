package io.weir.vscsi.stack;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

import io.weir.filter.ControlEvent;
import io.weir.filter.ControlEvent.Kind;
import io.weir.filter.FilterRefusedException;
import io.weir.filter.StateHandoff;

/**
 * Delivers control events to layers in the documented order (see {@link ControlEvent}), each under a
 * deadline, with refusal and rollback: when a layer refuses a refusable event, every layer that had already
 * accepted it receives the undo event, most recent first.
 */
public final class EventDelivery {
    private final ExecutorService control;

    /** @param control runs each {@code onEvent} call so a deadline can be enforced on it */
    public EventDelivery(ExecutorService control) {
        this.control = control;
    }

    /**
     * Deliver {@code kind} to {@code outerFirst} (layers listed guest side first).
     *
     * @param handoffs the state handoff per layer for events that carry state; may return null otherwise
     * @throws FilterRefusedException when a layer refused (after the rollback), its message naming the layer
     */
    public void deliver(List<Layer> outerFirst, Kind kind, long capacity, Duration timeout,
                        Function<Layer, StateHandoff> handoffs) throws FilterRefusedException {
        List<Layer> order = new ArrayList<>(outerFirst);
        if (kind.travelsOutward()) {
            java.util.Collections.reverse(order);
        }
        Deque<Layer> accepted = new ArrayDeque<>();
        for (Layer layer : order) {
            String refusal = send(layer, kind, capacity, timeout, handoffs);
            if (refusal == null) {
                accepted.push(layer);
                continue;
            }
            if (!kind.refusable()) {
                continue;
            }
            while (!accepted.isEmpty()) {
                Layer undo = accepted.pop();
                String failed = send(undo, kind.undo(), capacity, timeout, handoffs);
                if (failed != null) {
                    undo.fault(undo.label() + " failed " + kind.undo() + " while rolling back " + kind + ": " + failed, null);
                }
            }
            throw new FilterRefusedException(layer.label() + " refused " + kind + ": " + refusal);
        }
    }

    /** Send one event to one layer; returns null when accepted, else the reason it was not. */
    private String send(Layer layer, Kind kind, long capacity, Duration timeout,
                        Function<Layer, StateHandoff> handoffs) {
        StateHandoff handoff = kind.carriesState() ? handoffs.apply(layer) : null;
        ControlEvent event = new ControlEvent(kind, capacity, Instant.now().plus(timeout), handoff);
        Future<?> call = control.submit(() -> {
            layer.filter().onEvent(event);
            return null;
        });
        try {
            call.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return null;
        } catch (TimeoutException e) {
            call.cancel(true);
            String m = layer.label() + " missed the " + timeout.toMillis() + " ms deadline of " + kind;
            layer.fault(m, null);
            return "missed the " + timeout.toMillis() + " ms deadline";
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof FilterRefusedException) {
                if (!kind.refusable()) {
                    layer.fault(layer.label() + " refused " + kind + ", which cannot be refused: "
                            + cause.getMessage(), null);
                }
                return cause.getMessage();
            }
            layer.fault(layer.label() + " threw on " + kind + ": " + cause, cause);
            return "threw " + cause;
        } catch (InterruptedException e) {
            call.cancel(true);
            Thread.currentThread().interrupt();
            return "interrupted while waiting for " + kind;
        }
    }
}
