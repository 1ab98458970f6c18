package io.weir.certification.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import io.weir.certification.probe.ProbeRecorder.EventRecord;
import io.weir.certification.probe.ProbeRecorder.Phase;
import io.weir.certification.probe.ProbeRecorder.Trace;
import io.weir.filter.ControlEvent;
import io.weir.filter.Filter;
import io.weir.filter.FilterClass;
import io.weir.filter.FilterRefusedException;
import io.weir.filter.IoError;
import io.weir.filter.IoOp;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;

import org.junit.jupiter.api.Test;

class ProbeFilterFactoryTest {
    private final ProbeRecorder recorder = new ProbeRecorder();

    private Filter probe(FilterClass c, Map<String, Object> config) throws FilterRefusedException {
        return new ProbeFilterFactory(c, recorder).create(new FakeContext("d1", c, config));
    }

    private static ControlEvent event(ControlEvent.Kind kind) {
        return new ControlEvent(kind, 1 << 20, Instant.now().plusSeconds(30), null);
    }

    @Test
    void everyClassHasAProbeNamedAfterIt() {
        assertEquals("probe-inspection", ProbeFilterFactory.nameOf(FilterClass.INSPECTION));
        assertEquals("probe-qos", ProbeFilterFactory.nameOf(FilterClass.QOS));
        for (FilterClass c : FilterClass.values()) {
            ProbeFilterFactory f = new ProbeFilterFactory(c, recorder);
            assertEquals(c, f.filterClass());
            assertEquals(ProbeFilterFactory.nameOf(c), f.filterName());
            assertSame(recorder, f.recorder());
        }
    }

    @Test
    void aProbePassesEveryRequestAndRecordsItBeforePassing() throws Exception {
        Filter probe = probe(FilterClass.CACHE, Map.of());
        IoRequest write = IoRequest.write(7, 512, ByteBuffer.allocate(512), false);
        List<Integer> visitsAtPass = new ArrayList<>();
        FakeChain chain = new FakeChain(write,
                () -> visitsAtPass.add(recorder.trace("d1", 7).map(t -> t.visits().size()).orElse(0)));

        probe.handle(write, chain);
        IoStatus back = probe.completed(write, IoStatus.OK);

        assertEquals(List.of("pass"), chain.dispositions);
        assertEquals(List.of(1), visitsAtPass);
        assertSame(IoStatus.OK, back);
        Trace trace = recorder.trace("d1", 7).orElseThrow();
        assertEquals(IoOp.WRITE, trace.op());
        assertEquals(512, trace.offset());
        assertEquals(512, trace.length());
        assertEquals(List.of(FilterClass.CACHE), trace.order(Phase.HANDLE));
        assertEquals(List.of(FilterClass.CACHE), trace.order(Phase.COMPLETED));
        assertEquals(IoStatus.OK, trace.visits().get(0).status());
    }

    @Test
    void aProbeReportsTheStatusFromBelowUnchanged() throws Exception {
        Filter probe = probe(FilterClass.REPLICATION, Map.of());
        IoRequest flush = IoRequest.flush(3);
        IoStatus failure = IoStatus.failed(IoError.IO, "backend broke");
        probe.handle(flush, new FakeChain(flush, () -> { }));

        assertSame(failure, probe.completed(flush, failure));
        assertEquals(failure, recorder.trace("d1", 3).orElseThrow().visitsOf(FilterClass.REPLICATION).get(1).status());
    }

    @Test
    void aProbeToldToFailMatchingRequestsFailsThemAtItsLayerInsteadOfPassing() throws Exception {
        ProbeFilterFactory factory = new ProbeFilterFactory(FilterClass.CACHE, recorder)
                .failWhen(r -> r.op() == IoOp.WRITE, IoError.NO_SPACE);
        Filter probe = factory.create(new FakeContext("d1", FilterClass.CACHE, Map.of()));
        IoRequest write = IoRequest.write(1, 0, ByteBuffer.allocate(512), false);
        IoRequest read = IoRequest.read(2, 0, ByteBuffer.allocate(512));
        FakeChain writeChain = new FakeChain(write, () -> { });
        FakeChain readChain = new FakeChain(read, () -> { });

        probe.handle(write, writeChain);
        probe.handle(read, readChain);

        assertEquals(List.of("fail NO_SPACE"), writeChain.dispositions);
        assertEquals(List.of("pass"), readChain.dispositions);
        IoStatus recorded = recorder.trace("d1", 1).orElseThrow().visits().get(0).status();
        assertEquals(IoError.NO_SPACE, recorded.error());

        factory.reset();
        FakeChain again = new FakeChain(write, () -> { });
        probe.handle(write, again);
        assertEquals(List.of("pass"), again.dispositions);
    }

    @Test
    void configurationTellsOneInstanceWhichOperationsToFail() throws Exception {
        Filter told = probe(FilterClass.QOS, Map.of(ProbeFilterFactory.FAIL_OPS, "flush, write_zeroes"));
        IoRequest flush = IoRequest.flush(1);
        IoRequest zeroes = IoRequest.writeZeroes(2, 0, 512, false);
        IoRequest unmap = IoRequest.unmap(3, 0, 512);
        FakeChain f = new FakeChain(flush, () -> { });
        FakeChain z = new FakeChain(zeroes, () -> { });
        FakeChain u = new FakeChain(unmap, () -> { });

        told.handle(flush, f);
        told.handle(zeroes, z);
        told.handle(unmap, u);

        assertEquals(List.of("fail IO"), f.dispositions);
        assertEquals(List.of("fail IO"), z.dispositions);
        assertEquals(List.of("pass"), u.dispositions);
    }

    @Test
    void aProbeRefusesOnlyTheEventsItWasToldAndRecordsTheRefusal() throws Exception {
        ProbeFilterFactory factory = new ProbeFilterFactory(FilterClass.INSPECTION, recorder)
                .refuse(ControlEvent.Kind.GROW);
        Filter probe = factory.create(new FakeContext("d1", FilterClass.INSPECTION,
                Map.of(ProbeFilterFactory.REFUSE_EVENTS, "SNAPSHOT_PREPARE")));

        probe.onEvent(event(ControlEvent.Kind.ATTACH));
        FilterRefusedException grow = assertThrows(FilterRefusedException.class,
                () -> probe.onEvent(event(ControlEvent.Kind.GROW)));
        assertThrows(FilterRefusedException.class, () -> probe.onEvent(event(ControlEvent.Kind.SNAPSHOT_PREPARE)));
        probe.onEvent(event(ControlEvent.Kind.GROW_ABORT));

        assertTrue(grow.getMessage().contains("GROW"), grow.getMessage());
        assertEquals(List.of(
                new EventRecord("d1", "probe-inspection", FilterClass.INSPECTION, ControlEvent.Kind.ATTACH, true),
                new EventRecord("d1", "probe-inspection", FilterClass.INSPECTION, ControlEvent.Kind.GROW, false),
                new EventRecord("d1", "probe-inspection", FilterClass.INSPECTION, ControlEvent.Kind.SNAPSHOT_PREPARE, false),
                new EventRecord("d1", "probe-inspection", FilterClass.INSPECTION, ControlEvent.Kind.GROW_ABORT, true)),
                recorder.events("d1"));
        assertEquals(2, recorder.events("d1", ControlEvent.Kind.GROW, ControlEvent.Kind.GROW_ABORT).size());
    }

    @Test
    void onlyRefusableEventsCanBeRefused() {
        ProbeFilterFactory factory = new ProbeFilterFactory(FilterClass.CACHE, recorder);
        assertThrows(IllegalArgumentException.class, () -> factory.refuse(ControlEvent.Kind.STUN));
        assertThrows(FilterRefusedException.class,
                () -> probe(FilterClass.CACHE, Map.of(ProbeFilterFactory.REFUSE_EVENTS, "DETACH")));
    }

    @Test
    void unknownNamesInTheConfigurationRefuseCreation() {
        FilterRefusedException e = assertThrows(FilterRefusedException.class,
                () -> probe(FilterClass.CACHE, Map.of(ProbeFilterFactory.FAIL_OPS, "WRITE,SCRUB")));
        assertTrue(e.getMessage().contains("SCRUB"), e.getMessage());
        assertThrows(FilterRefusedException.class,
                () -> probe(FilterClass.CACHE, Map.of(ProbeFilterFactory.REFUSE_EVENTS, "REBOOT")));
    }

    @Test
    void recordsAreKeptPerDiskAndClearedPerDisk() throws Exception {
        Filter a = new ProbeFilterFactory(FilterClass.CACHE, recorder)
                .create(new FakeContext("a", FilterClass.CACHE, Map.of()));
        Filter b = new ProbeFilterFactory(FilterClass.CACHE, recorder)
                .create(new FakeContext("b", FilterClass.CACHE, Map.of()));
        IoRequest flush = IoRequest.flush(1);
        a.handle(flush, new FakeChain(flush, () -> { }));
        b.handle(flush, new FakeChain(flush, () -> { }));
        b.onEvent(event(ControlEvent.Kind.STUN));

        recorder.clear("b");

        assertEquals(1, recorder.traces("a").size());
        assertTrue(recorder.traces("b").isEmpty());
        assertTrue(recorder.events("b").isEmpty());
        assertFalse(recorder.trace("b", 1).isPresent());
        recorder.clear();
        assertTrue(recorder.traces("a").isEmpty());
    }

    @Test
    void concurrentRequestsEachKeepTheirOwnDeliveryOrder() throws Exception {
        List<Filter> stack = new ArrayList<>();
        for (FilterClass c : FilterClass.values()) {
            stack.add(probe(c, Map.of()));
        }
        int threads = 4;
        int perThread = 500;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int base = t * perThread;
            Thread worker = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                for (int i = 0; i < perThread; i++) {
                    IoRequest r = IoRequest.flush(base + i);
                    for (Filter f : stack) {
                        f.handle(r, new FakeChain(r, () -> { }));
                    }
                    for (int k = stack.size() - 1; k >= 0; k--) {
                        stack.get(k).completed(r, IoStatus.OK);
                    }
                }
            });
            workers.add(worker);
            worker.start();
        }
        start.countDown();
        for (Thread w : workers) {
            w.join();
        }

        List<FilterClass> down = List.of(FilterClass.values());
        List<FilterClass> up = new ArrayList<>(down);
        Collections.reverse(up);
        List<Trace> traces = recorder.traces("d1");
        assertEquals(threads * perThread, traces.size());
        for (Trace trace : traces) {
            assertEquals(down, trace.order(Phase.HANDLE), "trace " + trace.tag());
            assertEquals(up, trace.order(Phase.COMPLETED), "trace " + trace.tag());
        }
    }
}
