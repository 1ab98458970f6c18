package io.weir.vscsi.stack;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import io.weir.backend.Backend;
import io.weir.filter.Capability;
import io.weir.filter.IoCallback;
import io.weir.filter.IoError;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;
import io.weir.vscsi.FencePolicy;

/**
 * An immutable snapshot of a disk's filter stack: the layers in class order (outer, guest side, first), the
 * backend beneath them and the capabilities they negotiated. Each request captures the stack published when
 * it entered and finishes its journey in it, even if a new stack is published meanwhile.
 */
public final class Stack {
    private final Layer[] layers;
    private final Backend backend;
    private final Set<Capability> capabilities;

    private Stack(Layer[] layers, Backend backend, Set<Capability> capabilities) {
        this.layers = layers;
        this.backend = backend;
        this.capabilities = capabilities;
    }

    /**
     * Order {@code layers} by class, check there is at most one per class, and negotiate capabilities from the
     * backend outwards: each filter may only narrow what the layer below offers.
     *
     * @throws IllegalArgumentException naming the offending filters
     */
    public static Stack build(List<Layer> layers, Backend backend) {
        Layer[] ordered = layers.toArray(new Layer[0]);
        Arrays.sort(ordered, Comparator.comparingInt(l -> l.filterClass().order()));
        for (int i = 1; i < ordered.length; i++) {
            if (ordered[i].filterClass() == ordered[i - 1].filterClass()) {
                throw new IllegalArgumentException("one filter per class: " + ordered[i - 1].label() + " and "
                        + ordered[i].label() + " are both " + ordered[i].filterClass());
            }
        }
        EnumSet<Capability> caps = EnumSet.noneOf(Capability.class);
        caps.addAll(backend.capabilities());
        for (int i = ordered.length - 1; i >= 0; i--) {
            Layer layer = ordered[i];
            Set<Capability> offered = Collections.unmodifiableSet(EnumSet.copyOf(caps));
            Set<Capability> narrowed;
            try {
                narrowed = layer.filter().capabilities(offered);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(layer.label() + " threw while negotiating capabilities: " + e, e);
            }
            if (narrowed == null || !caps.containsAll(narrowed)) {
                throw new IllegalArgumentException(layer.label() + " may only narrow capabilities " + caps
                        + " but answered " + narrowed);
            }
            caps.retainAll(narrowed);
        }
        return new Stack(ordered, backend, Collections.unmodifiableSet(caps));
    }

    /** The layers, outer first. */
    public List<Layer> layers() {
        return List.of(layers);
    }

    public Backend backend() {
        return backend;
    }

    public Set<Capability> capabilities() {
        return capabilities;
    }

    public int size() {
        return layers.length;
    }

    /** The position of {@code layer} in this stack, or -1. */
    public int indexOf(Layer layer) {
        for (int i = 0; i < layers.length; i++) {
            if (layers[i] == layer) {
                return i;
            }
        }
        return -1;
    }

    /** A new stack with {@code added} in its class position; the layers keep their identity. */
    public Stack with(Layer added) {
        List<Layer> all = new ArrayList<>(List.of(layers));
        all.add(added);
        return build(all, backend);
    }

    /** A new stack with {@code replacement} in the place of {@code old} (same class); the others keep their identity. */
    public Stack replacing(Layer old, Layer replacement) {
        List<Layer> all = new ArrayList<>(List.of(layers));
        all.set(all.indexOf(old), replacement);
        return build(all, backend);
    }

    /** A new stack without {@code removed}. */
    public Stack without(Layer removed) {
        List<Layer> all = new ArrayList<>(List.of(layers));
        all.remove(removed);
        return build(all, backend);
    }

    /**
     * Hand {@code request} to the layer at {@code index} (or the backend past the last layer); {@code up}
     * receives its completion exactly once.
     */
    public void dispatch(int index, IoRequest request, IoCallback up) {
        if (index < layers.length) {
            Layer layer = layers[index];
            String fence = layer.fenced();
            if (fence != null) {
                if (layer.policy() == FencePolicy.BYPASS) {
                    dispatch(index + 1, request, up);
                } else {
                    up.done(IoStatus.failed(IoError.FILTER_FAULT, layer.label() + " is fenced: " + fence));
                }
                return;
            }
            Exchange exchange = new Exchange(this, index, layer, request, up);
            exchange.enterHandle();
            try {
                layer.filter().handle(request, exchange);
            } catch (RuntimeException | LinkageError e) {
                exchange.threw(e);
                return;
            } finally {
                exchange.exitHandle();
            }
            exchange.returned();
            return;
        }
        try {
            backend.submit(request, up);
        } catch (RuntimeException | LinkageError e) {
            up.done(IoStatus.failed(IoError.IO, "backend threw on " + request + ": " + e));
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (Layer l : layers) {
            sb.append(l.name()).append(" -> ");
        }
        return sb.append("backend").toString();
    }
}
