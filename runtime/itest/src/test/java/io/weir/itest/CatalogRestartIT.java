package io.weir.itest;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.ops4j.pax.exam.CoreOptions.options;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;

import javax.inject.Inject;

import io.weir.backend.BackendProvider;
import io.weir.certification.probe.ProbeFilterFactory;
import io.weir.certification.probe.ProbeRecorder;
import io.weir.certification.probe.ProbeRecorder.Phase;
import io.weir.filter.FilterClass;
import io.weir.filter.FilterFactory;
import io.weir.filter.FilterType;
import io.weir.filter.IoRequest;
import io.weir.vscsi.DiskException;
import io.weir.vscsi.DiskInfo;
import io.weir.vscsi.DiskService;
import io.weir.vscsi.DiskSpec;
import io.weir.vscsi.DiskState;
import io.weir.vscsi.FilterAttachment;
import io.weir.vscsi.LayerInfo;
import io.weir.vscsi.VirtualDisk;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/**
 * The catalog outlives the core: stopping and starting the weir-core bundle (which closes every disk and
 * drops all in-memory state) brings back each disk with its definition, filter policy and data.
 *
 * <p>A restart of the whole framework cannot be done from inside Pax Exam's native container (the test runs
 * in the framework it would restart); that case belongs to the launcher's tests, which start the runtime
 * twice over one data directory. Restarting the core bundle exercises the same path: the catalog is read
 * back from disk by a fresh DiskService.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class CatalogRestartIT {
    private static final long WAIT_MILLIS = 30_000;

    @Inject
    private BundleContext context;

    @Configuration
    public Option[] config() {
        return options(WeirFramework.options(getClass()));
    }

    @Test
    public void catalogAndDataSurviveARestartOfTheCoreBundle() throws Exception {
        String id = "it-survivor";
        DiskSpec asCreated;
        ByteBuffer written = DiskIo.pattern(42, 1 << 20, 64 * 1024);
        try (Services services = new Services(context)) {
            DiskService disks = services.get(DiskService.class);
            services.get(BackendProvider.class, "(" + BackendProvider.TYPE + "=file)");
            services.get(FilterFactory.class, "(" + FilterType.NAME + "=passthrough)");
            services.get(FilterFactory.class, "(" + FilterType.NAME + "=probe-cache)");

            disks.create(new DiskSpec(id, 32L << 20, 4096, "file", Map.of(),
                    List.of(new FilterAttachment("passthrough", Map.of()))));
            disks.attachFilter(id, "probe-cache", Map.of(ProbeFilterFactory.REFUSE_EVENTS, "SNAPSHOT_PREPARE"));
            asCreated = disks.info(id).spec();
            VirtualDisk disk = disks.disk(id).orElseThrow();
            assertTrue(DiskIo.run(disk, IoRequest.write(1, 1 << 20, written.duplicate(), false)).isOk());
            assertTrue(DiskIo.run(disk, IoRequest.flush(2)).isOk());
        }

        Bundle core = bundle("weir-core");
        core.stop();
        assertEquals(Bundle.RESOLVED, core.getState());
        core.start();

        try (Services services = new Services(context)) {
            DiskService disks = services.get(DiskService.class);
            DiskInfo info = awaitOnline(disks, id);
            assertEquals(asCreated, info.spec());
            assertEquals(List.of(FilterClass.INSPECTION, FilterClass.CACHE),
                    info.stack().stream().map(LayerInfo::filterClass).toList());
            ProbeRecorder recorder = services.get(ProbeRecorder.class);
            recorder.clear(id);

            VirtualDisk disk = disks.disk(id).orElseThrow();
            ByteBuffer back = ByteBuffer.allocate(64 * 1024);
            assertTrue(DiskIo.run(disk, IoRequest.read(3, 1 << 20, back)).isOk());
            assertArrayEquals(DiskIo.pattern(42, 1 << 20, 64 * 1024).array(), back.array());
            assertEquals("the reopened stack carries requests", List.of(FilterClass.CACHE),
                    recorder.traces(id).get(0).order(Phase.HANDLE));

            disks.delete(id);
            assertFalse(disks.list().stream().anyMatch(i -> i.spec().id().equals(id)));
        }
    }

    /** Waits until the disk is serving: after a restart it opens once its backend and filters are bound. */
    private static DiskInfo awaitOnline(DiskService disks, String id) throws DiskException, InterruptedException {
        long giveUp = System.nanoTime() + WAIT_MILLIS * 1_000_000;
        DiskInfo info = disks.info(id);
        while (info.state() != DiskState.ONLINE) {
            if (info.state() == DiskState.FAILED || System.nanoTime() > giveUp) {
                fail("disk " + id + " did not come back online: " + info.state() + " " + info.reason());
            }
            Thread.sleep(20);
            info = disks.info(id);
        }
        return info;
    }

    private Bundle bundle(String symbolicName) {
        for (Bundle b : context.getBundles()) {
            if (symbolicName.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError(symbolicName + " is not installed");
    }
}
