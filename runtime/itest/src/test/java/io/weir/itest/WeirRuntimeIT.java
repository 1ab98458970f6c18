package io.weir.itest;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.options;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;

import javax.inject.Inject;

import io.weir.backend.Backend;
import io.weir.backend.BackendProvider;
import io.weir.backend.BackendSpec;
import io.weir.backend.memory.MemoryBackend;
import io.weir.certification.probe.ProbeFilterFactory;
import io.weir.certification.probe.ProbeRecorder;
import io.weir.certification.probe.ProbeRecorder.Phase;
import io.weir.certification.probe.ProbeRecorder.Trace;
import io.weir.certification.probe.ProbeRecorder.Visit;
import io.weir.filter.ControlEvent;
import io.weir.filter.FilterClass;
import io.weir.filter.FilterFactory;
import io.weir.filter.FilterType;
import io.weir.filter.IoError;
import io.weir.filter.IoOp;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;
import io.weir.vscsi.DiskException;
import io.weir.vscsi.DiskInfo;
import io.weir.vscsi.DiskService;
import io.weir.vscsi.DiskSpec;
import io.weir.vscsi.DiskState;
import io.weir.vscsi.LayerInfo;
import io.weir.vscsi.VirtualDisk;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/**
 * The real bundles in a real Felix: they resolve and start, the DiskService serves I/O on a memory disk, and
 * requests travel through an attached probe stack in class order, whatever order the filters were attached in.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class WeirRuntimeIT {
    private static final int MIB = 1 << 20;

    @Inject
    private BundleContext context;

    private Services services;

    @Configuration
    public Option[] config() {
        return options(WeirFramework.options(getClass()));
    }

    @Before
    public void lookUpServices() {
        services = new Services(context);
    }

    @After
    public void releaseServices() {
        services.close();
    }

    @Test
    public void everyWeirBundleResolvesAndStarts() throws Exception {
        List<String> problems = new ArrayList<>();
        for (String name : WeirFramework.WEIR_BUNDLES) {
            Bundle bundle = bundle(name);
            if (bundle == null) {
                problems.add(name + ": not installed");
            } else if (bundle.getState() != Bundle.ACTIVE) {
                problems.add(name + ": " + state(bundle) + " (" + whyNotStarted(bundle) + ")");
            }
        }
        assertEquals("bundles that did not start", List.of(), problems);

        // Every component of a Weir bundle is satisfied (or active), none failed to activate.
        ServiceComponentRuntime scr = services.get(ServiceComponentRuntime.class);
        for (String name : WeirFramework.WEIR_BUNDLES) {
            for (ComponentDescriptionDTO description : scr.getComponentDescriptionDTOs(bundle(name))) {
                for (ComponentConfigurationDTO configuration : scr.getComponentConfigurationDTOs(description)) {
                    if (configuration.state == ComponentConfigurationDTO.FAILED_ACTIVATION
                            || configuration.state == ComponentConfigurationDTO.UNSATISFIED_REFERENCE) {
                        problems.add(name + " component " + description.name + ": state " + configuration.state
                                + (configuration.failure == null ? "" : ", " + configuration.failure));
                    }
                }
            }
        }
        assertEquals("components that cannot run", List.of(), problems);

        assertNotNull(services.get(DiskService.class));
        assertNotNull(services.get(ProbeRecorder.class));
        assertNotNull(services.get(BackendProvider.class, "(" + BackendProvider.TYPE + "=memory)"));
        assertNotNull(services.get(BackendProvider.class, "(" + BackendProvider.TYPE + "=file)"));
        assertNotNull(services.get(FilterFactory.class,
                "(&(" + FilterType.NAME + "=passthrough)(" + FilterType.CLASS + "=INSPECTION))"));
        for (FilterClass c : FilterClass.values()) {
            assertNotNull(services.get(FilterFactory.class,
                    "(&(" + FilterType.NAME + "=" + ProbeFilterFactory.nameOf(c) + ")(" + FilterType.CLASS + "=" + c + "))"));
        }
    }

    @Test
    public void diskServiceCreatesDiskAndServesVerifiedIo() throws Exception {
        DiskService disks = services.get(DiskService.class);
        services.get(BackendProvider.class, "(" + BackendProvider.TYPE + "=memory)");

        DiskInfo created = disks.create(new DiskSpec("it-verified-io", 16L * MIB, 512, "memory", Map.of(), List.of()));
        assertEquals(DiskState.ONLINE, created.state());
        assertTrue(disks.list().stream().anyMatch(i -> i.spec().id().equals("it-verified-io")));
        VirtualDisk disk = disks.disk("it-verified-io").orElseThrow();
        assertEquals(16L * MIB, disk.capacity());
        assertEquals(512, disk.blockSize());

        // Writes of several sizes, including the last block, then FLUSH, then read everything back.
        long[][] extents = {{0, 4096}, {512, 512}, {MIB, 64 * 1024}, {5L * MIB + 1024, 128 * 1024},
                {16L * MIB - 512, 512}};
        long seed = 0x5EED;
        for (long[] e : extents) {
            IoStatus s = DiskIo.run(disk, IoRequest.write(next(), e[0], DiskIo.pattern(seed, e[0], (int) e[1]), false));
            assertTrue("write " + e[0] + "+" + e[1] + ": " + s, s.isOk());
        }
        assertTrue(DiskIo.run(disk, IoRequest.flush(next())).isOk());
        // The last write of each byte wins: compare against the extents applied in order.
        ByteBuffer expected = ByteBuffer.allocate((int) (6L * MIB));
        for (long[] e : extents) {
            if (e[0] + e[1] <= expected.capacity()) {
                expected.put((int) e[0], DiskIo.pattern(seed, e[0], (int) e[1]), 0, (int) e[1]);
            }
        }
        for (long[] e : extents) {
            ByteBuffer read = ByteBuffer.allocate((int) e[1]);
            IoStatus s = DiskIo.run(disk, IoRequest.read(next(), e[0], read));
            assertTrue("read " + e[0] + "+" + e[1] + ": " + s, s.isOk());
            byte[] want = new byte[(int) e[1]];
            if (e[0] + e[1] <= expected.capacity()) {
                expected.get((int) e[0], want);
            } else {
                DiskIo.pattern(seed, e[0], (int) e[1]).get(0, want);
            }
            assertArrayEquals("data at " + e[0] + "+" + e[1], want, read.array());
        }

        // A range never written reads as zeros; a request past the end is refused and harms nothing.
        ByteBuffer untouched = ByteBuffer.allocate(4096);
        assertTrue(DiskIo.run(disk, IoRequest.read(next(), 8L * MIB, untouched)).isOk());
        assertArrayEquals(new byte[4096], untouched.array());
        IoStatus beyond = DiskIo.run(disk, IoRequest.write(next(), 16L * MIB, ByteBuffer.allocate(512), false));
        assertFalse(beyond.isOk());
        assertEquals(IoError.OUT_OF_RANGE, beyond.error());

        disks.delete("it-verified-io");
        assertFalse(disks.disk("it-verified-io").isPresent());
    }

    @Test
    public void requestsTraverseProbeStackInClassOrderBothWays() throws Exception {
        DiskService disks = services.get(DiskService.class);
        ProbeRecorder recorder = services.get(ProbeRecorder.class);
        List<FilterClass> scrambled = List.of(FilterClass.QOS, FilterClass.INSPECTION, FilterClass.CACHE,
                FilterClass.REPLICATION);
        waitForProbes(scrambled);
        String id = "it-probe-order";
        disks.create(new DiskSpec(id, 8L * MIB, 4096, "memory", Map.of(), List.of()));

        DiskInfo info = null;
        for (FilterClass c : scrambled) {
            info = disks.attachFilter(id, ProbeFilterFactory.nameOf(c), Map.of());
        }
        List<FilterClass> down = List.of(FilterClass.INSPECTION, FilterClass.REPLICATION, FilterClass.CACHE,
                FilterClass.QOS);
        List<FilterClass> up = reversed(down);
        assertEquals(down, info.stack().stream().map(LayerInfo::filterClass).toList());
        // Each probe was attached exactly once, in the order the operator attached them.
        assertEquals(scrambled, recorder.events(id, ControlEvent.Kind.ATTACH).stream()
                .map(ProbeRecorder.EventRecord::filterClass).toList());

        recorder.clear(id);
        VirtualDisk disk = disks.disk(id).orElseThrow();
        ByteBuffer data = DiskIo.pattern(7, 3 * 4096, 8192);
        assertTrue(DiskIo.run(disk, IoRequest.write(next(), 3 * 4096, data, true)).isOk());
        ByteBuffer back = ByteBuffer.allocate(8192);
        assertTrue(DiskIo.run(disk, IoRequest.read(next(), 3 * 4096, back)).isOk());
        assertTrue(DiskIo.run(disk, IoRequest.flush(next())).isOk());
        assertArrayEquals(DiskIo.pattern(7, 3 * 4096, 8192).array(), back.array());

        List<Trace> traces = recorder.traces(id);
        assertEquals(List.of(IoOp.WRITE, IoOp.READ, IoOp.FLUSH), traces.stream().map(Trace::op).toList());
        for (Trace t : traces) {
            assertEquals(t.op() + " on the way down", down, t.order(Phase.HANDLE));
            assertEquals(t.op() + " on the way back", up, t.order(Phase.COMPLETED));
            assertTrue(t.op() + " every layer saw success", t.visits().stream().allMatch(v -> v.status().isOk()));
            // All the way down before anything comes back up.
            assertEquals(t.op() + " sequence", phases(down.size()), t.visits().stream().map(Visit::phase).toList());
        }
        disks.delete(id);
    }

    @Test
    public void failureAtAProbeLayerReachesOnlyLayersAbove() throws Exception {
        DiskService disks = services.get(DiskService.class);
        ProbeRecorder recorder = services.get(ProbeRecorder.class);
        waitForProbes(List.of(FilterClass.INSPECTION, FilterClass.REPLICATION, FilterClass.CACHE, FilterClass.QOS));
        String id = "it-probe-failure";
        disks.create(new DiskSpec(id, 8L * MIB, 512, "memory", Map.of(), List.of()));
        disks.attachFilter(id, "probe-qos", Map.of());
        disks.attachFilter(id, "probe-cache", Map.of(ProbeFilterFactory.FAIL_OPS, "WRITE"));
        disks.attachFilter(id, "probe-inspection", Map.of());
        disks.attachFilter(id, "probe-replication", Map.of());
        recorder.clear(id);
        VirtualDisk disk = disks.disk(id).orElseThrow();

        IoStatus write = DiskIo.run(disk, IoRequest.write(next(), 0, ByteBuffer.allocate(512), false));
        IoStatus read = DiskIo.run(disk, IoRequest.read(next(), 0, ByteBuffer.allocate(512)));

        assertEquals(IoError.IO, write.error());
        assertTrue("the guest learns the probe's reason: " + write, write.message().contains("probe-cache"));
        assertTrue("reads are unaffected: " + read, read.isOk());
        Trace failed = recorder.traces(id).get(0);
        assertEquals(IoOp.WRITE, failed.op());
        assertEquals(List.of(FilterClass.INSPECTION, FilterClass.REPLICATION, FilterClass.CACHE),
                failed.order(Phase.HANDLE));
        assertTrue("QoS, below the failing layer, never sees the request", failed.visitsOf(FilterClass.QOS).isEmpty());
        assertEquals(List.of(FilterClass.REPLICATION, FilterClass.INSPECTION), failed.order(Phase.COMPLETED));
        for (Visit v : failed.visits()) {
            if (v.phase() == Phase.COMPLETED) {
                assertEquals(v.filterName() + " sees the failure", IoError.IO, v.status().error());
            }
        }
        disks.delete(id);
    }

    @Test
    public void refusedAttachLeavesTheStackAsItWas() throws Exception {
        DiskService disks = services.get(DiskService.class);
        ProbeRecorder recorder = services.get(ProbeRecorder.class);
        waitForProbes(List.of(FilterClass.INSPECTION, FilterClass.CACHE));
        String id = "it-probe-refusal";
        disks.create(new DiskSpec(id, 8L * MIB, 512, "memory", Map.of(), List.of()));
        disks.attachFilter(id, "probe-inspection", Map.of());

        DiskException refused = assertThrows(DiskException.class,
                () -> disks.attachFilter(id, "probe-cache", Map.of(ProbeFilterFactory.REFUSE_EVENTS, "ATTACH")));

        assertEquals(DiskException.Reason.REFUSED, refused.reason());
        assertTrue(refused.getMessage(), refused.getMessage().contains("probe-cache"));
        DiskInfo info = disks.info(id);
        assertEquals(List.of(FilterClass.INSPECTION), info.stack().stream().map(LayerInfo::filterClass).toList());
        assertTrue(info.spec().filters().stream().noneMatch(f -> f.filterName().equals("probe-cache")));
        recorder.clear(id);
        assertTrue(DiskIo.run(disks.disk(id).orElseThrow(), IoRequest.flush(next())).isOk());
        assertEquals(List.of(FilterClass.INSPECTION), recorder.traces(id).get(0).order(Phase.HANDLE));
        disks.delete(id);
    }

    @Test
    public void unknownFilterSettingIsRefusedByNameBeforeTheFilterIsCreated() throws Exception {
        DiskService disks = services.get(DiskService.class);
        waitForProbes(List.of(FilterClass.CACHE));
        String id = "it-probe-settings";
        disks.create(new DiskSpec(id, 8L * MIB, 512, "memory", Map.of(), List.of()));

        DiskException refused = assertThrows(DiskException.class,
                () -> disks.attachFilter(id, "probe-cache", Map.of("probe.failOpz", "WRITE")));

        assertEquals(DiskException.Reason.INVALID, refused.reason());
        assertTrue(refused.getMessage(), refused.getMessage().contains("has no setting 'probe.failOpz'")
                && refused.getMessage().contains("probe.failOps"));
        assertTrue(disks.info(id).stack().isEmpty());
        // a declared setting passes the same check
        disks.attachFilter(id, "probe-cache", Map.of(ProbeFilterFactory.FAIL_OPS, "WRITE"));
        assertEquals(1, disks.info(id).stack().size());
        disks.delete(id);
    }

    @Test
    public void failureFromBackendReachesOnlyLayersAbove() throws Exception {
        // The memory backend injects faults only through its Java API, not through disk options, so this test
        // registers a backend type of its own whose disks are memory disks that fail WRITEs at offset 0.
        DiskService disks = services.get(DiskService.class);
        ProbeRecorder recorder = services.get(ProbeRecorder.class);
        waitForProbes(List.of(FilterClass.INSPECTION, FilterClass.CACHE));
        BackendProvider faulty = new BackendProvider() {
            @Override
            public Backend open(BackendSpec spec) {
                MemoryBackend backend = MemoryBackend.builder(spec.capacity()).name(spec.diskId()).build();
                backend.failMatching(r -> r.op() == IoOp.WRITE && r.offset() == 0, IoError.IO);
                return backend;
            }

            @Override
            public void destroy(BackendSpec spec) {
                // nothing kept
            }
        };
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(BackendProvider.TYPE, "itest-faulty");
        ServiceRegistration<BackendProvider> registration =
                context.registerService(BackendProvider.class, faulty, props);
        String id = "it-backend-failure";
        try {
            disks.create(new DiskSpec(id, 8L * MIB, 512, "itest-faulty", Map.of(), List.of()));
            disks.attachFilter(id, "probe-cache", Map.of());
            disks.attachFilter(id, "probe-inspection", Map.of());
            recorder.clear(id);
            VirtualDisk disk = disks.disk(id).orElseThrow();

            IoStatus failed = DiskIo.run(disk, IoRequest.write(next(), 0, ByteBuffer.allocate(512), false));
            IoStatus fine = DiskIo.run(disk, IoRequest.write(next(), 512, ByteBuffer.allocate(512), false));

            assertEquals(IoError.IO, failed.error());
            assertTrue("the fault is not a filter's: " + failed, failed.message().contains("injected"));
            assertTrue(fine.toString(), fine.isOk());
            Trace t = recorder.traces(id).get(0);
            assertEquals(List.of(FilterClass.INSPECTION, FilterClass.CACHE), t.order(Phase.HANDLE));
            assertEquals(List.of(FilterClass.CACHE, FilterClass.INSPECTION), t.order(Phase.COMPLETED));
            for (Visit v : t.visits()) {
                if (v.phase() == Phase.COMPLETED) {
                    assertEquals(v.filterName() + " sees the backend's failure", IoError.IO, v.status().error());
                }
            }
        } finally {
            disks.delete(id);
            registration.unregister();
        }
    }

    private void waitForProbes(List<FilterClass> classes) {
        for (FilterClass c : classes) {
            services.get(FilterFactory.class, "(" + FilterType.NAME + "=" + ProbeFilterFactory.nameOf(c) + ")");
        }
        services.get(BackendProvider.class, "(" + BackendProvider.TYPE + "=memory)");
    }

    private static List<Phase> phases(int layers) {
        List<Phase> p = new ArrayList<>(Collections.nCopies(layers, Phase.HANDLE));
        p.addAll(Collections.nCopies(layers, Phase.COMPLETED));
        return p;
    }

    private static <T> List<T> reversed(List<T> list) {
        List<T> r = new ArrayList<>(list);
        Collections.reverse(r);
        return List.copyOf(r);
    }

    private static long tags = 1000;

    private static synchronized long next() {
        return ++tags;
    }

    private Bundle bundle(String symbolicName) {
        for (Bundle b : context.getBundles()) {
            if (symbolicName.equals(b.getSymbolicName())) {
                return b;
            }
        }
        return null;
    }

    private static String whyNotStarted(Bundle bundle) {
        try {
            bundle.start();
            return "started only when asked again";
        } catch (BundleException e) {
            return e.getMessage();
        }
    }

    private static String state(Bundle bundle) {
        return switch (bundle.getState()) {
            case Bundle.INSTALLED -> "INSTALLED";
            case Bundle.RESOLVED -> "RESOLVED";
            case Bundle.STARTING -> "STARTING";
            case Bundle.STOPPING -> "STOPPING";
            case Bundle.ACTIVE -> "ACTIVE";
            default -> "UNINSTALLED";
        };
    }

}
