package io.weir.certification.probe;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import io.weir.filter.ControlEvent;
import io.weir.filter.FilterClass;
import io.weir.filter.IoOp;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;

import org.osgi.service.component.annotations.Component;

/**
 * A thread-safe log of what probe filters saw, per disk: for each request (by tag) the sequence of
 * {@link Visit}s in delivery order, and every control event each probe received, in delivery order.
 *
 * <p>Requests are keyed by disk id and {@link IoRequest#tag() tag}. A tag that is used again on the same
 * disk appends to the earlier trace, so call {@link #clear(String)} between phases of a test that reuses
 * tags. Readers get immutable snapshots.
 *
 * <p>In OSGi the kit registers one instance as a service that all its probe components record into.
 */
@Component(service = ProbeRecorder.class)
public final class ProbeRecorder {

    /** Where in a request's life a probe saw it. */
    public enum Phase {
        /** On the way down, in {@link io.weir.filter.Filter#handle}. */
        HANDLE,
        /** On the way back up, in {@link io.weir.filter.Filter#completed}. */
        COMPLETED
    }

    /**
     * One probe seeing one request.
     *
     * @param filterName  the probe's name
     * @param filterClass the probe's class
     * @param phase       on the way down or back up
     * @param status      for {@link Phase#HANDLE}, the probe's disposition: {@link IoStatus#OK} when it passed
     *                    the request down, the failure when it failed it by rule; for {@link Phase#COMPLETED},
     *                    the status that arrived from below
     */
    public record Visit(String filterName, FilterClass filterClass, Phase phase, IoStatus status) {
        public Visit {
            Objects.requireNonNull(filterName, "filterName");
            Objects.requireNonNull(filterClass, "filterClass");
            Objects.requireNonNull(phase, "phase");
            Objects.requireNonNull(status, "status");
        }
    }

    /**
     * Everything the probes of one disk saw of one request.
     *
     * @param diskId the disk
     * @param tag    the request's tag
     * @param op     the request's operation, as the first probe saw it
     * @param offset its offset, as the first probe saw it
     * @param length its length, as the first probe saw it
     * @param visits every visit, in delivery order
     */
    public record Trace(String diskId, long tag, IoOp op, long offset, int length, List<Visit> visits) {
        public Trace {
            visits = List.copyOf(visits);
        }

        /** The classes of the probes that saw the request in {@code phase}, in delivery order. */
        public List<FilterClass> order(Phase phase) {
            List<FilterClass> classes = new ArrayList<>();
            for (Visit v : visits) {
                if (v.phase() == phase) {
                    classes.add(v.filterClass());
                }
            }
            return List.copyOf(classes);
        }

        /** The visits of the probe of {@code filterClass}, in delivery order. */
        public List<Visit> visitsOf(FilterClass filterClass) {
            return visits.stream().filter(v -> v.filterClass() == filterClass).toList();
        }
    }

    /**
     * One probe receiving one control event.
     *
     * @param diskId      the disk
     * @param filterName  the probe's name
     * @param filterClass the probe's class
     * @param kind        the event
     * @param accepted    false when the probe refused it by rule
     */
    public record EventRecord(String diskId, String filterName, FilterClass filterClass, ControlEvent.Kind kind,
                              boolean accepted) {
        public EventRecord {
            Objects.requireNonNull(diskId, "diskId");
            Objects.requireNonNull(filterName, "filterName");
            Objects.requireNonNull(filterClass, "filterClass");
            Objects.requireNonNull(kind, "kind");
        }
    }

    private static final class Log {
        final Map<Long, MutableTrace> traces = new LinkedHashMap<>();
        final List<EventRecord> events = new ArrayList<>();
    }

    private static final class MutableTrace {
        final IoOp op;
        final long offset;
        final int length;
        final List<Visit> visits = new ArrayList<>();

        MutableTrace(IoRequest first) {
            this.op = first.op();
            this.offset = first.offset();
            this.length = first.length();
        }
    }

    private final Map<String, Log> logs = new HashMap<>();

    /** An empty recorder. */
    public ProbeRecorder() {
    }

    synchronized void visit(String diskId, IoRequest request, Visit visit) {
        Log log = logs.computeIfAbsent(diskId, d -> new Log());
        log.traces.computeIfAbsent(request.tag(), t -> new MutableTrace(request)).visits.add(visit);
    }

    synchronized void event(EventRecord record) {
        logs.computeIfAbsent(record.diskId(), d -> new Log()).events.add(record);
    }

    /** What the probes of {@code diskId} saw of the request tagged {@code tag}, if any probe saw it. */
    public synchronized Optional<Trace> trace(String diskId, long tag) {
        Log log = logs.get(diskId);
        MutableTrace t = log == null ? null : log.traces.get(tag);
        return t == null ? Optional.empty() : Optional.of(snapshot(diskId, tag, t));
    }

    /** Every request the probes of {@code diskId} saw, in the order a probe first saw each. */
    public synchronized List<Trace> traces(String diskId) {
        Log log = logs.get(diskId);
        if (log == null) {
            return List.of();
        }
        List<Trace> result = new ArrayList<>(log.traces.size());
        log.traces.forEach((tag, t) -> result.add(snapshot(diskId, tag, t)));
        return List.copyOf(result);
    }

    /** Every control event the probes of {@code diskId} received, in delivery order. */
    public synchronized List<EventRecord> events(String diskId) {
        Log log = logs.get(diskId);
        return log == null ? List.of() : List.copyOf(log.events);
    }

    /** The events of {@code kinds} the probes of {@code diskId} received, in delivery order. */
    public synchronized List<EventRecord> events(String diskId, ControlEvent.Kind... kinds) {
        List<ControlEvent.Kind> wanted = List.of(kinds);
        return events(diskId).stream().filter(e -> wanted.contains(e.kind())).toList();
    }

    /** Forget everything recorded for {@code diskId}. */
    public synchronized void clear(String diskId) {
        logs.remove(diskId);
    }

    /** Forget everything. */
    public synchronized void clear() {
        logs.clear();
    }

    private static Trace snapshot(String diskId, long tag, MutableTrace t) {
        return new Trace(diskId, tag, t.op, t.offset, t.length, t.visits);
    }
}
