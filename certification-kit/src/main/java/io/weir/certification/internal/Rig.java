package io.weir.certification.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import io.weir.backend.memory.MemoryBackend;
import io.weir.certification.Candidate;
import io.weir.certification.probe.ProbeFilterFactory;
import io.weir.certification.probe.ProbeRecorder;
import io.weir.vscsi.durable.AtomicFiles;
import io.weir.filter.FilterClass;
import io.weir.filter.FilterFactory;
import io.weir.vscsi.DiskException;
import io.weir.vscsi.standalone.Disks;

/**
 * Builds the kit's disks: the candidate, optionally between probes of every other class, over a tapped memory
 * backend. Every disk gets a fresh candidate instance from the candidate's factory.
 */
public final class Rig {
    /** Capacity of the kit's disks unless a check asks otherwise. */
    public static final long CAPACITY = 4L << 20;
    /** Deadline of control events, drains and held requests on the kit's disks unless a check asks otherwise. */
    public static final Duration DEADLINE = Duration.ofSeconds(5);
    /** Queue depth of the kit's disks unless a check asks otherwise. */
    public static final int QUEUE_DEPTH = 32;

    /** How a disk is laid out. */
    public record Layout(boolean probes, int queueDepth, Duration deadline, Map<String, Object> extraConfig) {
        /** Candidate between probes, default queue depth and deadline. */
        public static Layout standard() {
            return new Layout(true, QUEUE_DEPTH, DEADLINE, Map.of());
        }

        /** The candidate alone. */
        public static Layout alone() {
            return new Layout(false, QUEUE_DEPTH, DEADLINE, Map.of());
        }

        public Layout queueDepth(int depth) {
            return new Layout(probes, depth, deadline, extraConfig);
        }

        public Layout deadline(Duration d) {
            return new Layout(probes, queueDepth, d, extraConfig);
        }

        public Layout config(Map<String, Object> extra) {
            return new Layout(probes, queueDepth, deadline, extra);
        }
    }

    private final CheckContext context;
    private final ProbeRecorder recorder = new ProbeRecorder();
    private final Map<FilterClass, ProbeFilterFactory> probes = new EnumMap<>(FilterClass.class);
    private final AtomicInteger disks = new AtomicInteger();
    /** Sidecar directories of the run's disks, one per disk id (made at the first open, gone at {@link #close}). */
    private Path sidecars;

    Rig(CheckContext context) {
        this.context = context;
        for (FilterClass c : FilterClass.values()) {
            if (c != context.candidate().filterClass()) {
                probes.put(c, new ProbeFilterFactory(c, recorder));
            }
        }
    }

    public ProbeRecorder recorder() {
        return recorder;
    }

    /** The probe of {@code c}, or null for the candidate's own class. */
    public ProbeFilterFactory probe(FilterClass c) {
        return probes.get(c);
    }

    /** The classes probes stand for: every class but the candidate's. */
    public Set<FilterClass> probeClasses() {
        return probes.keySet();
    }

    /**
     * The sidecar directory of disk {@code diskId}: the same whenever a disk of that id opens again (after a power
     * loss, on a migration's destination), as the runtime keeps a disk's sidecars with the disk.
     */
    private synchronized Path sidecarDirectory(String diskId) throws DiskException {
        try {
            if (sidecars == null) {
                sidecars = Files.createTempDirectory("weir-certification-sidecars-");
            }
            return Files.createDirectories(sidecars.resolve(diskId));
        } catch (IOException e) {
            throw new DiskException(DiskException.Reason.IO, "the kit cannot make a sidecar directory for disk '"
                    + diskId + "': " + e.getMessage(), e);
        }
    }

    /** Remove the run's sidecar directories. */
    public synchronized void close() {
        if (sidecars != null) {
            try {
                AtomicFiles.deleteTree(sidecars);
            } catch (IOException e) {
                System.getLogger("io.weir.certification").log(System.Logger.Level.WARNING,
                        "could not remove " + sidecars + ": " + e.getMessage());
            }
            sidecars = null;
        }
    }

    /** A fresh disk id for the running check. */
    public String nextDiskId() {
        return "cert-" + context.checkId() + "-" + disks.incrementAndGet();
    }

    /** A fresh memory backend of the kit's capacity, named for the disk it will serve. */
    public static MemoryBackend.Builder memory(String diskId) {
        return MemoryBackend.builder(CAPACITY).name(diskId);
    }

    /** Open a disk {@code diskId} over {@code memory} with {@code layout}. */
    public Station open(String diskId, MemoryBackend memory, Layout layout) throws DiskException {
        return open(diskId, memory, layout, null);
    }

    /**
     * Open a disk {@code diskId} over {@code memory} with {@code layout}, with {@code extra} (another filter
     * specification, for example a second filter of the candidate's class) added to the stack.
     */
    public Station open(String diskId, MemoryBackend memory, Layout layout, Disks.FilterSpec extra)
            throws DiskException {
        Candidate c = context.candidate();
        Observation observation = new Observation();
        TapBackend tap = new TapBackend(memory, new java.util.concurrent.atomic.AtomicLong());
        Disks.Builder b = Disks.builder(diskId).backend(tap).deadline(layout.deadline())
                .maxQueueDepth(layout.queueDepth()).sidecarDirectory(sidecarDirectory(diskId));
        if (layout.probes()) {
            for (ProbeFilterFactory p : probes.values()) {
                b.filter(p.filterName(), p.filterClass(), p, Map.of());
            }
        }
        ProbeRecorder order = layout.probes() ? recorder : null;
        Set<FilterClass> around = layout.probes() ? probes.keySet() : Set.of();
        FilterFactory observed = ctx -> new ObservedFilter(c.factory().create(ctx), observation, order, diskId,
                c.filterClass(), around);
        Map<String, Object> config = new HashMap<>(c.config());
        config.putAll(layout.extraConfig());
        b.filter(c.filterName(), c.filterClass(), observed, config);
        if (extra != null) {
            b.filter(extra.name(), extra.filterClass(), extra.factory(), extra.config());
        }
        return new Station(b.open(), tap, observation, c.filterName(), observed, config, context, layout);
    }
}
