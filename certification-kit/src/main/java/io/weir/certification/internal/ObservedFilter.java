package io.weir.certification.internal;

import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import io.weir.certification.probe.ProbeRecorder;
import io.weir.filter.Capability;
import io.weir.filter.ControlEvent;
import io.weir.filter.Filter;
import io.weir.filter.FilterClass;
import io.weir.filter.FilterRefusedException;
import io.weir.filter.IoChain;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;

/**
 * The candidate's instance as the kit hosts it: every call is forwarded unchanged, timed, and (when probes
 * surround it) checked against what the probes had recorded at that moment, which shows whether the candidate
 * sits at its class's place: when a request reaches it, exactly the probes of outer classes have handled it;
 * when its completion reaches it, exactly the probes of inner classes have seen that completion.
 */
final class ObservedFilter implements Filter {
    private final Filter delegate;
    private final Observation observation;
    private final ProbeRecorder recorder;
    private final String diskId;
    private final Set<FilterClass> outer;
    private final Set<FilterClass> inner;

    ObservedFilter(Filter delegate, Observation observation, ProbeRecorder recorder, String diskId,
                   FilterClass candidateClass, Set<FilterClass> probeClasses) {
        this.delegate = delegate;
        this.observation = observation;
        this.recorder = recorder;
        this.diskId = diskId;
        this.outer = EnumSet.noneOf(FilterClass.class);
        this.inner = EnumSet.noneOf(FilterClass.class);
        for (FilterClass c : probeClasses) {
            (c.isOuterTo(candidateClass) ? outer : inner).add(c);
        }
    }

    @Override
    public void handle(IoRequest request, IoChain chain) {
        if (recorder != null) {
            check(request, ProbeRecorder.Phase.HANDLE, outer, "reached the candidate");
        }
        long t0 = System.nanoTime();
        try {
            delegate.handle(request, chain);
        } finally {
            observation.handleTook(System.nanoTime() - t0, request);
        }
    }

    @Override
    public IoStatus completed(IoRequest request, IoStatus status) {
        if (recorder != null) {
            check(request, ProbeRecorder.Phase.COMPLETED, inner, "came back to the candidate");
        }
        long t0 = System.nanoTime();
        try {
            return delegate.completed(request, status);
        } finally {
            observation.completedTook(System.nanoTime() - t0, request);
        }
    }

    private void check(IoRequest request, ProbeRecorder.Phase phase, Set<FilterClass> expected, String what) {
        observation.orderChecked();
        Optional<ProbeRecorder.Trace> trace = recorder.trace(diskId, request.tag());
        List<FilterClass> seen = trace.map(t -> t.order(phase)).orElse(List.of());
        if (!Set.copyOf(seen).equals(expected) || seen.size() != expected.size()) {
            observation.orderViolation(request + " " + what + " after the probes " + seen + " in phase " + phase
                    + "; expected exactly " + expected);
        }
    }

    @Override
    public Set<Capability> capabilities(Set<Capability> below) {
        return delegate.capabilities(below);
    }

    @Override
    public void onEvent(ControlEvent event) throws FilterRefusedException {
        long t0 = System.nanoTime();
        String outcome = "accepted";
        try {
            delegate.onEvent(event);
        } catch (FilterRefusedException e) {
            outcome = "refused: " + e.getMessage();
            throw e;
        } catch (RuntimeException | Error e) {
            outcome = "threw " + e;
            throw e;
        } finally {
            observation.event(new Observation.EventCall(event.kind(), System.nanoTime() - t0, outcome));
        }
    }

    @Override
    public String toString() {
        return delegate.toString();
    }
}
