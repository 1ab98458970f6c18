package io.weir.certification.probe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.weir.backend.memory.MemoryBackend;
import io.weir.certification.probe.ProbeRecorder.EventRecord;
import io.weir.certification.probe.ProbeRecorder.Phase;
import io.weir.certification.probe.ProbeRecorder.Trace;
import io.weir.certification.probe.ProbeRecorder.Visit;
import io.weir.filter.ControlEvent.Kind;
import io.weir.filter.FilterClass;
import io.weir.filter.FilterRefusedException;
import io.weir.filter.IoError;
import io.weir.filter.IoOp;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;
import io.weir.vscsi.DiskException;
import io.weir.vscsi.standalone.Disks;
import io.weir.vscsi.standalone.StandaloneDisk;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Probes on a standalone disk over a memory backend: what the runtime's data path and control path look like
 * from inside the stack. These are the first checks of the certification kit, run against the core.
 */
class ProbeStackTest {
    private static final long CAPACITY = 4L << 20;
    private static final List<FilterClass> FOUR = List.of(FilterClass.INSPECTION, FilterClass.REPLICATION,
            FilterClass.CACHE, FilterClass.QOS);
    private static final Duration DEADLINE = Duration.ofSeconds(30);

    private final ProbeRecorder recorder = new ProbeRecorder();
    private final Map<FilterClass, ProbeFilterFactory> probes = new EnumMap<>(FilterClass.class);
    private final MemoryBackend backend = MemoryBackend.durable(CAPACITY);
    private StandaloneDisk disk;

    private ProbeFilterFactory probe(FilterClass c) {
        return probes.computeIfAbsent(c, k -> new ProbeFilterFactory(k, recorder));
    }

    /** Opens disk {@code id} with probes of {@code classes}, handed to the builder in the order given. */
    private StandaloneDisk open(String id, List<FilterClass> classes) throws DiskException {
        Disks.Builder b = Disks.builder(id).backend(backend);
        for (FilterClass c : classes) {
            b.filter(ProbeFilterFactory.nameOf(c), c, probe(c), Map.of());
        }
        disk = b.open();
        return disk;
    }

    @AfterEach
    void closeDisk() throws DiskException {
        if (disk != null) {
            disk.close();
        }
    }

    private IoStatus run(IoRequest request) throws Exception {
        CompletableFuture<IoStatus> done = new CompletableFuture<>();
        disk.submit(request, status -> {
            if (!done.complete(status)) {
                throw new AssertionError(request + " completed twice");
            }
        });
        return done.get(30, TimeUnit.SECONDS);
    }

    private static List<FilterClass> reversed(List<FilterClass> classes) {
        List<FilterClass> r = new ArrayList<>(classes);
        Collections.reverse(r);
        return r;
    }

    private List<FilterClass> eventOrder(String id, Kind kind) {
        return recorder.events(id, kind).stream().map(EventRecord::filterClass).toList();
    }

    @Test
    void requestsVisitFiltersOuterToInnerAndCompleteInnerToOuter() throws Exception {
        open("order", List.of(FilterClass.QOS, FilterClass.CACHE, FilterClass.INSPECTION, FilterClass.REPLICATION));
        ByteBuffer data = ByteBuffer.allocate(4096);
        for (int i = 0; i < data.capacity(); i++) {
            data.put(i, (byte) (i * 31 + 7));
        }
        byte[] written = data.array().clone();

        assertTrue(run(IoRequest.write(1, 8192, data, false)).isOk());
        ByteBuffer back = ByteBuffer.allocate(4096);
        assertTrue(run(IoRequest.read(2, 8192, back)).isOk());
        assertTrue(run(IoRequest.flush(3)).isOk());
        assertTrue(run(IoRequest.unmap(4, 0, 4096)).isOk());
        assertTrue(run(IoRequest.writeZeroes(5, 4096, 4096, true)).isOk());

        assertArrayEquals(written, back.array());
        assertArrayEquals(written, backend.peek(8192, 4096));
        List<Trace> traces = recorder.traces("order");
        assertEquals(List.of(IoOp.WRITE, IoOp.READ, IoOp.FLUSH, IoOp.UNMAP, IoOp.WRITE_ZEROES),
                traces.stream().map(Trace::op).toList());
        for (Trace t : traces) {
            assertEquals(FOUR, t.order(Phase.HANDLE), t.op() + " down");
            assertEquals(reversed(FOUR), t.order(Phase.COMPLETED), t.op() + " up");
            List<Phase> phases = t.visits().stream().map(Visit::phase).toList();
            assertEquals(List.of(Phase.HANDLE, Phase.HANDLE, Phase.HANDLE, Phase.HANDLE,
                    Phase.COMPLETED, Phase.COMPLETED, Phase.COMPLETED, Phase.COMPLETED), phases,
                    t.op() + ": all the way down before anything comes back");
            assertTrue(t.visits().stream().allMatch(v -> v.status().isOk()), t.op() + " succeeded at every layer");
        }
    }

    @Test
    void failureAtALayerIsSeenOnlyByLayersAbove() throws Exception {
        probe(FilterClass.CACHE).failWhen(r -> r.op() == IoOp.WRITE && r.offset() == 0, IoError.NO_SPACE);
        open("fail-at-layer", FOUR);

        IoStatus failed = run(IoRequest.write(1, 0, ByteBuffer.allocate(512), false));
        IoStatus other = run(IoRequest.write(2, 512, ByteBuffer.allocate(512), false));

        assertEquals(IoError.NO_SPACE, failed.error(), failed.toString());
        assertTrue(other.isOk(), other.toString());
        Trace t = recorder.trace("fail-at-layer", 1).orElseThrow();
        assertEquals(List.of(FilterClass.INSPECTION, FilterClass.REPLICATION, FilterClass.CACHE), t.order(Phase.HANDLE));
        assertEquals(List.of(FilterClass.REPLICATION, FilterClass.INSPECTION), t.order(Phase.COMPLETED));
        assertTrue(t.visitsOf(FilterClass.QOS).isEmpty(), "the layer below the failure never learns of it");
        for (Visit v : t.visits()) {
            if (v.phase() == Phase.COMPLETED) {
                assertEquals(IoError.NO_SPACE, v.status().error(), v.filterName());
            }
        }
    }

    @Test
    void failureFromTheBackendIsSeenByEveryLayerInnerToOuter() throws Exception {
        backend.failNext(r -> r.op() == IoOp.READ, IoError.IO);
        open("fail-at-backend", FOUR);

        IoStatus failed = run(IoRequest.read(1, 0, ByteBuffer.allocate(512)));
        IoStatus retried = run(IoRequest.read(2, 0, ByteBuffer.allocate(512)));

        assertEquals(IoError.IO, failed.error(), failed.toString());
        assertTrue(retried.isOk(), retried.toString());
        Trace t = recorder.trace("fail-at-backend", 1).orElseThrow();
        assertEquals(FOUR, t.order(Phase.HANDLE));
        assertEquals(reversed(FOUR), t.order(Phase.COMPLETED));
        for (Visit v : t.visits()) {
            if (v.phase() == Phase.COMPLETED) {
                assertEquals(IoError.IO, v.status().error(), v.filterName());
            }
        }
    }

    @Test
    void refusedAttachRollsBackFiltersAlreadyAttached() throws Exception {
        // ATTACH travels inner to outer: QOS, CACHE, REPLICATION accept before INSPECTION refuses.
        probe(FilterClass.INSPECTION).refuse(Kind.ATTACH);

        DiskException e = assertThrows(DiskException.class, () -> open("refused-attach", FOUR));
        disk = null;

        assertEquals(DiskException.Reason.REFUSED, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains("probe-inspection"), e.getMessage());
        List<EventRecord> events = recorder.events("refused-attach");
        assertEquals(List.of(
                new EventRecord("refused-attach", "probe-qos", FilterClass.QOS, Kind.ATTACH, true),
                new EventRecord("refused-attach", "probe-cache", FilterClass.CACHE, Kind.ATTACH, true),
                new EventRecord("refused-attach", "probe-replication", FilterClass.REPLICATION, Kind.ATTACH, true),
                new EventRecord("refused-attach", "probe-inspection", FilterClass.INSPECTION, Kind.ATTACH, false),
                new EventRecord("refused-attach", "probe-replication", FilterClass.REPLICATION, Kind.DETACH, true),
                new EventRecord("refused-attach", "probe-cache", FilterClass.CACHE, Kind.DETACH, true),
                new EventRecord("refused-attach", "probe-qos", FilterClass.QOS, Kind.DETACH, true)),
                events);
    }

    @Test
    void openingADiskAttachesThenOpensInnerToOuter() throws Exception {
        open("bring-up", List.of(FilterClass.CACHE, FilterClass.INSPECTION, FilterClass.QOS));
        List<FilterClass> innerToOuter = List.of(FilterClass.QOS, FilterClass.CACHE, FilterClass.INSPECTION);

        assertEquals(innerToOuter, eventOrder("bring-up", Kind.ATTACH));
        assertEquals(innerToOuter, eventOrder("bring-up", Kind.OPEN));
        List<Kind> kinds = recorder.events("bring-up").stream().map(EventRecord::kind).toList();
        assertEquals(List.of(Kind.ATTACH, Kind.ATTACH, Kind.ATTACH, Kind.OPEN, Kind.OPEN, Kind.OPEN), kinds);
    }

    @Test
    void quiescingEventsTravelOuterToInner() throws Exception {
        open("quiesce", FOUR);

        disk.stun(DEADLINE);
        disk.unstun();
        disk.deliver(Kind.SNAPSHOT_PREPARE, DEADLINE);
        disk.deliver(Kind.SNAPSHOT_COMMIT, DEADLINE);

        assertEquals(FOUR, eventOrder("quiesce", Kind.STUN));
        assertEquals(FOUR, eventOrder("quiesce", Kind.SNAPSHOT_PREPARE));
        // ...and resuming or concluding events travel inner to outer.
        assertEquals(reversed(FOUR), eventOrder("quiesce", Kind.UNSTUN));
        assertEquals(reversed(FOUR), eventOrder("quiesce", Kind.SNAPSHOT_COMMIT));
    }

    @Test
    void closingTellsEveryLayerCloseThenDetachOuterToInner() throws Exception {
        open("teardown", FOUR);
        recorder.clear("teardown");

        disk.close();
        disk = null;

        List<Kind> kinds = recorder.events("teardown").stream().map(EventRecord::kind)
                .filter(k -> k == Kind.CLOSE || k == Kind.DETACH).toList();
        assertEquals(List.of(Kind.CLOSE, Kind.CLOSE, Kind.CLOSE, Kind.CLOSE,
                Kind.DETACH, Kind.DETACH, Kind.DETACH, Kind.DETACH), kinds, "CLOSE reaches every layer before DETACH");
        assertEquals(FOUR, eventOrder("teardown", Kind.CLOSE));
        assertEquals(FOUR, eventOrder("teardown", Kind.DETACH));
        assertTrue(backend.isClosed());
    }

    @Test
    void refusedSnapshotPrepareAbortsOnlyFiltersThatPrepared() throws Exception {
        probe(FilterClass.CACHE).refuse(Kind.SNAPSHOT_PREPARE);
        open("snapshot", FOUR);
        disk.stun(DEADLINE);

        FilterRefusedException e = assertThrows(FilterRefusedException.class,
                () -> disk.deliver(Kind.SNAPSHOT_PREPARE, DEADLINE));
        disk.unstun();

        assertTrue(e.getMessage().contains("probe-cache"), e.getMessage());
        assertEquals(List.of(FilterClass.INSPECTION, FilterClass.REPLICATION, FilterClass.CACHE),
                eventOrder("snapshot", Kind.SNAPSHOT_PREPARE));
        assertEquals(List.of(FilterClass.REPLICATION, FilterClass.INSPECTION), eventOrder("snapshot", Kind.SNAPSHOT_ABORT),
                "undo in the reverse of the order they accepted; QOS never prepared, the refuser is not undone");
        assertTrue(run(IoRequest.flush(9)).isOk(), "the disk serves after the refusal");
    }

    @Test
    void refusedGrowKeepsTheCapacityAndAbortsFiltersThatAccepted() throws Exception {
        // GROW travels inner to outer: QOS and CACHE accept before REPLICATION refuses.
        probe(FilterClass.REPLICATION).refuse(Kind.GROW);
        open("grow-refused", FOUR);

        assertThrows(DiskException.class, () -> disk.grow(2 * CAPACITY, DEADLINE));

        assertEquals(CAPACITY, disk.capacity());
        assertEquals(CAPACITY, backend.capacity(), "the backend was not grown");
        assertEquals(List.of(FilterClass.QOS, FilterClass.CACHE, FilterClass.REPLICATION),
                eventOrder("grow-refused", Kind.GROW));
        assertEquals(List.of(FilterClass.CACHE, FilterClass.QOS), eventOrder("grow-refused", Kind.GROW_ABORT));
        IoStatus beyond = run(IoRequest.read(1, CAPACITY, ByteBuffer.allocate(512)));
        assertEquals(IoError.OUT_OF_RANGE, beyond.error(), beyond.toString());
    }

    @Test
    void acceptedGrowReachesEveryLayerAndExtendsTheDisk() throws Exception {
        open("grow", FOUR);

        disk.grow(2 * CAPACITY, DEADLINE);

        assertEquals(2 * CAPACITY, disk.capacity());
        assertEquals(reversed(FOUR), eventOrder("grow", Kind.GROW));
        assertTrue(eventOrder("grow", Kind.GROW_ABORT).isEmpty());
        ByteBuffer tail = ByteBuffer.allocate(512);
        assertTrue(run(IoRequest.read(1, 2 * CAPACITY - 512, tail)).isOk());
        assertArrayEquals(new byte[512], tail.array(), "the new range reads as zeros");
        assertEquals(FOUR, recorder.trace("grow", 1).orElseThrow().order(Phase.HANDLE));
    }
}
