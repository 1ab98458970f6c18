package io.weir.certification.probe;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

import io.weir.filter.ControlEvent;
import io.weir.filter.Filter;
import io.weir.filter.FilterClass;
import io.weir.filter.FilterContext;
import io.weir.filter.FilterFactory;
import io.weir.filter.FilterRefusedException;
import io.weir.filter.IoChain;
import io.weir.filter.IoError;
import io.weir.filter.IoOp;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;

/**
 * A pass-through filter of any {@link FilterClass} that records every request, completion and control event
 * it sees into a {@link ProbeRecorder}. It changes no data and no status.
 *
 * <p>A probe can be told to misbehave on purpose, to test error propagation and rollback:
 * <ul>
 *   <li>on the factory, for every instance it made or will make: {@link #failWhen} fails matching requests
 *       at this layer instead of passing them; {@link #refuse} refuses a refusable control event;</li>
 *   <li>per instance, through the configuration given when the probe is attached to a disk:
 *       {@value #FAIL_OPS} (comma-separated {@link IoOp} names; such requests fail with {@link IoError#IO})
 *       and {@value #REFUSE_EVENTS} (comma-separated refusable {@link ControlEvent.Kind} names).</li>
 * </ul>
 * Recording happens before the probe disposes of a request or refuses an event, so records are in delivery
 * order even when the layer below completes synchronously.
 */
public class ProbeFilterFactory implements FilterFactory {
    /** Instance configuration key: operations whose requests the instance fails with {@link IoError#IO}. */
    public static final String FAIL_OPS = "probe.failOps";
    /** Instance configuration key: refusable control events the instance refuses. */
    public static final String REFUSE_EVENTS = "probe.refuseEvents";

    private record FailRule(Predicate<? super IoRequest> which, IoError error) {
    }

    private static final FailRule NEVER = new FailRule(r -> false, IoError.IO);

    private final String filterName;
    private final FilterClass filterClass;
    private final ProbeRecorder recorder;
    private volatile FailRule failRule = NEVER;
    private final Set<ControlEvent.Kind> refused = ConcurrentHashMap.newKeySet();

    /** A probe named {@link #nameOf(FilterClass) nameOf(filterClass)}. */
    public ProbeFilterFactory(FilterClass filterClass, ProbeRecorder recorder) {
        this(nameOf(filterClass), filterClass, recorder);
    }

    /** A probe with a name of the caller's choosing (for example to stand beside a candidate's name). */
    public ProbeFilterFactory(String filterName, FilterClass filterClass, ProbeRecorder recorder) {
        this.filterName = Objects.requireNonNull(filterName, "filterName");
        this.filterClass = Objects.requireNonNull(filterClass, "filterClass");
        this.recorder = Objects.requireNonNull(recorder, "recorder");
    }

    /** The name the kit's probe of {@code filterClass} is registered under: {@code probe-} and the class in lower case. */
    public static String nameOf(FilterClass filterClass) {
        return "probe-" + filterClass.name().toLowerCase(Locale.ROOT);
    }

    /** The name this probe records under (and, as a kit component, is registered under). */
    public String filterName() {
        return filterName;
    }

    /** The class this probe declares, which fixes its place in a stack. */
    public FilterClass filterClass() {
        return filterClass;
    }

    /** The recorder this probe's instances record into. */
    public ProbeRecorder recorder() {
        return recorder;
    }

    /** From now on, fail requests matching {@code which} at this layer with {@code error}, on every instance. */
    public ProbeFilterFactory failWhen(Predicate<? super IoRequest> which, IoError error) {
        failRule = new FailRule(Objects.requireNonNull(which, "which"), Objects.requireNonNull(error, "error"));
        return this;
    }

    /**
     * From now on, refuse {@code kind} on every instance.
     *
     * @throws IllegalArgumentException if {@code kind} is not {@linkplain ControlEvent.Kind#refusable() refusable}
     */
    public ProbeFilterFactory refuse(ControlEvent.Kind kind) {
        if (!kind.refusable()) {
            throw new IllegalArgumentException(kind + " cannot be refused");
        }
        refused.add(kind);
        return this;
    }

    /** Forget every rule set through {@link #failWhen} and {@link #refuse}: pass everything, accept everything. */
    public void reset() {
        failRule = NEVER;
        refused.clear();
    }

    /**
     * A probe instance for the disk of {@code context}.
     *
     * @throws FilterRefusedException when {@value #FAIL_OPS} or {@value #REFUSE_EVENTS} name an unknown
     *                                operation or a kind of event that cannot be refused
     */
    @Override
    public Filter create(FilterContext context) throws FilterRefusedException {
        return new Probe(context.diskId(), parseOps(context.properties().get(FAIL_OPS)),
                parseKinds(context.properties().get(REFUSE_EVENTS)));
    }

    private static Set<IoOp> parseOps(Object value) throws FilterRefusedException {
        Set<IoOp> ops = EnumSet.noneOf(IoOp.class);
        for (String name : names(value)) {
            try {
                ops.add(IoOp.valueOf(name));
            } catch (IllegalArgumentException e) {
                throw new FilterRefusedException(FAIL_OPS + ": no operation named '" + name + "'");
            }
        }
        return ops;
    }

    private static Set<ControlEvent.Kind> parseKinds(Object value) throws FilterRefusedException {
        Set<ControlEvent.Kind> kinds = EnumSet.noneOf(ControlEvent.Kind.class);
        for (String name : names(value)) {
            ControlEvent.Kind kind;
            try {
                kind = ControlEvent.Kind.valueOf(name);
            } catch (IllegalArgumentException e) {
                throw new FilterRefusedException(REFUSE_EVENTS + ": no control event named '" + name + "'");
            }
            if (!kind.refusable()) {
                throw new FilterRefusedException(REFUSE_EVENTS + ": " + kind + " cannot be refused");
            }
            kinds.add(kind);
        }
        return kinds;
    }

    private static String[] names(Object value) {
        if (value == null || value.toString().isBlank()) {
            return new String[0];
        }
        return value.toString().trim().toUpperCase(Locale.ROOT).split("\\s*,\\s*");
    }

    /** One probe instance on one disk. */
    private final class Probe implements Filter {
        private final String diskId;
        private final Set<IoOp> failOps;
        private final Set<ControlEvent.Kind> refuseKinds;

        Probe(String diskId, Set<IoOp> failOps, Set<ControlEvent.Kind> refuseKinds) {
            this.diskId = diskId;
            this.failOps = failOps;
            this.refuseKinds = refuseKinds;
        }

        @Override
        public void handle(IoRequest request, IoChain chain) {
            FailRule rule = failRule;
            IoError error = failOps.contains(request.op()) ? IoError.IO
                    : rule.which().test(request) ? rule.error() : null;
            if (error == null) {
                record(request, ProbeRecorder.Phase.HANDLE, IoStatus.OK);
                chain.pass();
            } else {
                String message = filterName + " failed " + request + " as told";
                record(request, ProbeRecorder.Phase.HANDLE, IoStatus.failed(error, message));
                chain.fail(error, message);
            }
        }

        @Override
        public IoStatus completed(IoRequest request, IoStatus status) {
            record(request, ProbeRecorder.Phase.COMPLETED, status);
            return status;
        }

        @Override
        public void onEvent(ControlEvent event) throws FilterRefusedException {
            boolean refuse = refuseKinds.contains(event.kind()) || refused.contains(event.kind());
            recorder.event(new ProbeRecorder.EventRecord(diskId, filterName, filterClass, event.kind(), !refuse));
            if (refuse) {
                throw new FilterRefusedException("refuses " + event.kind() + " as told");
            }
        }

        private void record(IoRequest request, ProbeRecorder.Phase phase, IoStatus status) {
            recorder.visit(diskId, request, new ProbeRecorder.Visit(filterName, filterClass, phase, status));
        }

        @Override
        public String toString() {
            return filterName + " on " + diskId;
        }
    }
}
