package io.weir.vscsi.disk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import io.weir.backend.memory.MemoryBackend;
import io.weir.filter.Capability;
import io.weir.filter.ControlEvent.Kind;
import io.weir.filter.Filter;
import io.weir.filter.FilterClass;
import io.weir.filter.FilterFactory;
import io.weir.filter.FilterRefusedException;
import io.weir.filter.IoChain;
import io.weir.filter.IoError;
import io.weir.filter.IoOp;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;
import io.weir.vscsi.DiskException;
import io.weir.vscsi.DiskInfo;
import io.weir.vscsi.DiskState;
import io.weir.vscsi.FencePolicy;
import io.weir.vscsi.VirtualDisk;
import io.weir.vscsi.standalone.Disks;
import io.weir.vscsi.standalone.StandaloneDisk;

class DiskImplTest {
    static final long CAPACITY = 8 << 20;

    static IoStatus run(VirtualDisk disk, IoRequest r) throws Exception {
        CompletableFuture<IoStatus> f = new CompletableFuture<>();
        disk.submit(r, f::complete);
        return f.get(10, TimeUnit.SECONDS);
    }

    static ByteBuffer pattern(int length, int seed) {
        ByteBuffer b = ByteBuffer.allocate(length);
        for (int i = 0; i < length; i++) {
            b.put(i, (byte) (seed * 31 + i));
        }
        return b;
    }

    @Test
    void writeThenReadReturnsTheWrittenBytesThroughFilters() throws Exception {
        ConcurrentLinkedQueue<String> journal = new ConcurrentLinkedQueue<>();
        List<Probe> probes = new CopyOnWriteArrayList<>();
        Disks.Builder b = Disks.builder("d").backend(MemoryBackend.durable(CAPACITY));
        for (FilterClass c : FilterClass.values()) {
            Probe.add(b, c, journal, probes);
        }
        try (StandaloneDisk disk = b.open()) {
            assertTrue(run(disk, IoRequest.write(1, 4096, pattern(8192, 7), false)).isOk());
            ByteBuffer dst = ByteBuffer.allocate(8192);
            assertTrue(run(disk, IoRequest.read(2, 4096, dst)).isOk());
            assertArrayEquals(pattern(8192, 7).array(), dst.array());
        }
    }

    @Test
    void stackIsOrderedByClassWhateverTheOrderOfAttachment() throws Exception {
        ConcurrentLinkedQueue<String> journal = new ConcurrentLinkedQueue<>();
        List<Probe> probes = new CopyOnWriteArrayList<>();
        Disks.Builder b = Disks.builder("d").backend(MemoryBackend.durable(CAPACITY));
        List<FilterClass> scrambled = new ArrayList<>(List.of(FilterClass.values()));
        Collections.shuffle(scrambled, new java.util.Random(3));
        for (FilterClass c : scrambled) {
            Probe.add(b, c, journal, probes);
        }
        try (StandaloneDisk disk = b.open()) {
            journal.clear();
            run(disk, IoRequest.flush(1));
            List<String> expected = new ArrayList<>();
            for (FilterClass c : FilterClass.values()) {
                expected.add(c.name().toLowerCase() + ":handle");
            }
            List<FilterClass> reversed = new ArrayList<>(List.of(FilterClass.values()));
            Collections.reverse(reversed);
            for (FilterClass c : reversed) {
                expected.add(c.name().toLowerCase() + ":completed:ok");
            }
            assertEquals(expected, List.copyOf(journal));
        }
    }

    @Test
    void secondFilterOfTheSameClassIsRefusedNamingBoth() {
        Disks.Builder b = Disks.builder("d").backend(MemoryBackend.durable(CAPACITY))
                .filter("a", FilterClass.CACHE, ctx -> (r, c) -> c.pass(), Map.of())
                .filter("b", FilterClass.CACHE, ctx -> (r, c) -> c.pass(), Map.of());
        DiskException e = assertThrows(DiskException.class, b::open);
        assertTrue(e.getMessage().contains("'a'") && e.getMessage().contains("'b'"), e.getMessage());
    }

    @Test
    void invalidRequestNeverReachesAnyFilter() throws Exception {
        ConcurrentLinkedQueue<String> journal = new ConcurrentLinkedQueue<>();
        Disks.Builder b = Disks.builder("d").backend(MemoryBackend.durable(CAPACITY));
        Probe.add(b, FilterClass.INSPECTION, journal, new ArrayList<>());
        try (StandaloneDisk disk = b.open()) {
            journal.clear();
            IoStatus s = run(disk, IoRequest.read(1, CAPACITY, ByteBuffer.allocate(512)));
            assertEquals(IoError.OUT_OF_RANGE, s.error());
            s = run(disk, IoRequest.write(2, 3, ByteBuffer.allocate(512), false));
            assertEquals(IoError.INVALID, s.error());
            assertTrue(journal.isEmpty(), journal::toString);
            assertEquals(2, disk.info().stats().rejected());
        }
    }

    @Test
    void metricsAFilterPublishesAppearInTheDiskInfoAndAFailingSupplierIsShownNotThrown() throws Exception {
        java.util.concurrent.atomic.AtomicLong seen = new java.util.concurrent.atomic.AtomicLong();
        Filter counting = (r, chain) -> {
            seen.incrementAndGet();
            chain.pass();
        };
        try (StandaloneDisk disk = Disks.builder("d").backend(MemoryBackend.durable(CAPACITY))
                .filter("counting", FilterClass.INSPECTION, ctx -> {
                    ctx.metrics(() -> Map.of("requests", seen.get(), "state", "ok"));
                    return counting;
                }, Map.of())
                .filter("broken", FilterClass.CACHE, ctx -> {
                    ctx.metrics(() -> {
                        throw new IllegalStateException("no numbers today");
                    });
                    return (r, chain) -> chain.pass();
                }, Map.of())
                .filter("quiet", FilterClass.QOS, ctx -> (r, chain) -> chain.pass(), Map.of()).open()) {
            run(disk, IoRequest.flush(1));
            run(disk, IoRequest.flush(2));
            Map<String, Map<String, Object>> byName = new java.util.HashMap<>();
            disk.info().stack().forEach(l -> byName.put(l.filterName(), l.metrics()));
            assertEquals(Map.of("requests", 2L, "state", "ok"), byName.get("counting"));
            assertTrue(String.valueOf(byName.get("broken").get("error")).contains("no numbers today"), byName::toString);
            assertEquals(Map.of(), byName.get("quiet"));
        }
    }

    @Test
    void filterThatCompletesTwiceIsNamedAndTheRequestCompletesOnce() throws Exception {
        AtomicReference<Throwable> second = new AtomicReference<>();
        Filter twice = (r, chain) -> {
            chain.complete();
            try {
                chain.complete();
            } catch (IllegalStateException e) {
                second.set(e);
            }
        };
        try (StandaloneDisk disk = Disks.builder("d").backend(MemoryBackend.durable(CAPACITY))
                .filter("twice", FilterClass.CACHE, ctx -> twice, Map.of()).open()) {
            List<IoStatus> seen = new CopyOnWriteArrayList<>();
            disk.submit(IoRequest.flush(1), seen::add);
            assertEquals(List.of(IoStatus.OK), seen);
            assertTrue(second.get().getMessage().contains("filter 'twice' (CACHE)"), second.get().getMessage());
            assertEquals(1, disk.info().stack().get(0).faults());
            assertEquals(DiskState.DEGRADED, disk.info().state());
        }
    }

    @Test
    void filterThatThrowsIsFencedAndEveryLaterRequestThroughItFailsNamingIt() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        FilterFactory flaky = ctx -> (r, chain) -> {
            calls.incrementAndGet();
            if (r.op() == IoOp.FLUSH) {
                throw new IllegalArgumentException("boom");
            }
            chain.pass();
        };
        try (StandaloneDisk disk = Disks.builder("d").backend(MemoryBackend.durable(CAPACITY))
                .filter("flaky", FilterClass.REPLICATION, flaky, Map.of()).open();
             StandaloneDisk other = Disks.builder("other").backend(MemoryBackend.durable(CAPACITY))
                .filter("flaky", FilterClass.REPLICATION, flaky, Map.of()).open()) {
            IoStatus s = run(disk, IoRequest.flush(1));
            assertEquals(IoError.FILTER_FAULT, s.error());
            assertTrue(s.message().contains("filter 'flaky' (REPLICATION) threw"), s.message());

            IoStatus later = run(disk, IoRequest.write(2, 0, pattern(512, 1), false));
            assertEquals(IoError.FILTER_FAULT, later.error(), "a fenced REPLICATION filter is never bypassed");
            assertTrue(later.message().contains("filter 'flaky' (REPLICATION) is fenced"), later.message());
            assertEquals(1, calls.get(), "a fenced filter is not called again");
            DiskInfo info = disk.info();
            assertEquals(DiskState.DEGRADED, info.state());
            assertTrue(info.reason().contains("is fenced (its requests fail with FILTER_FAULT until it is detached)"),
                    info.reason());
            assertTrue(info.stack().get(0).isFenced());
            assertEquals(FencePolicy.FAIL, info.stack().get(0).policy());

            assertTrue(run(other, IoRequest.write(3, 0, pattern(512, 2), false)).isOk(), "other disks are unaffected");
            assertEquals(DiskState.ONLINE, other.info().state());
        }
    }

    @Test
    void fencedInspectionFilterIsBypassedAndDataKeepsFlowing() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        Filter nosy = (r, chain) -> {
            if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("first request kills it");
            }
            chain.pass();
        };
        try (StandaloneDisk disk = Disks.builder("d").backend(MemoryBackend.durable(CAPACITY))
                .filter("nosy", FilterClass.INSPECTION, ctx -> nosy, Map.of()).open()) {
            assertEquals(IoError.FILTER_FAULT, run(disk, IoRequest.flush(1)).error());
            ByteBuffer data = pattern(4096, 7);
            assertTrue(run(disk, IoRequest.write(2, 4096, data.duplicate(), true)).isOk());
            ByteBuffer back = ByteBuffer.allocate(4096);
            assertTrue(run(disk, IoRequest.read(3, 4096, back)).isOk());
            assertEquals(data.rewind(), back.rewind());
            assertEquals(1, calls.get(), "bypassed, not called");
            assertEquals(FencePolicy.BYPASS, disk.info().stack().get(0).policy());
            assertTrue(disk.info().reason().contains("is fenced (bypassed until it is detached)"), disk.info().reason());
        }
    }

    @Test
    void filterHoldingARequestPastTheDeadlineIsFencedAndTheRequestTimesOut() throws Exception {
        Filter hoarder = (r, chain) -> {
            if (r.op() != IoOp.FLUSH) {
                chain.pass();
            } // a FLUSH is deferred and never completed
        };
        try (StandaloneDisk disk = Disks.builder("d").backend(MemoryBackend.durable(CAPACITY))
                .deadline(Duration.ofMillis(300))
                .filter("hoarder", FilterClass.CACHE, ctx -> hoarder, Map.of()).open()) {
            CompletableFuture<IoStatus> flush = new CompletableFuture<>();
            disk.submit(IoRequest.flush(1), flush::complete);
            IoStatus s = flush.get(30, TimeUnit.SECONDS);
            assertEquals(IoError.TIMED_OUT, s.error());
            assertTrue(s.message().contains("filter 'hoarder' (CACHE) held FLUSH #1 for more than its 300 ms deadline"),
                    s.message());
            assertEquals(DiskState.DEGRADED, disk.info().state());
            assertEquals(IoError.FILTER_FAULT, run(disk, IoRequest.write(2, 0, pattern(512, 3), false)).error());
        }
    }

    @Test
    void filterBlockingItsCallersThreadPastTheDeadlineIsFenced() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Filter sleepy = (r, chain) -> {
            if (r.op() == IoOp.FLUSH) {
                try {
                    release.await(30, TimeUnit.SECONDS); // blocks the submitting thread: forbidden
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            chain.pass();
        };
        try (StandaloneDisk disk = Disks.builder("d").backend(MemoryBackend.durable(CAPACITY))
                .deadline(Duration.ofMillis(300))
                .filter("sleepy", FilterClass.CACHE, ctx -> sleepy, Map.of()).open()) {
            CompletableFuture<IoStatus> blocked = new CompletableFuture<>();
            Thread guest = new Thread(() -> {
                try {
                    disk.submit(IoRequest.flush(1), blocked::complete);
                } catch (InterruptedException e) {
                    blocked.completeExceptionally(e);
                }
            });
            guest.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!disk.info().stack().get(0).isFenced() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(disk.info().reason().contains("has blocked its caller's thread"), disk.info().reason());
            assertEquals(IoError.FILTER_FAULT, run(disk, IoRequest.write(2, 0, pattern(512, 4), false)).error(),
                    "other requests fail at once instead of queueing behind the blocked thread");
            release.countDown();
            assertEquals(IoError.FILTER_FAULT, blocked.get(30, TimeUnit.SECONDS).error());
            guest.join();
        }
    }

    @Test
    void slowBackendBelowAFilterIsNotTheFiltersFault() throws Exception {
        MemoryBackend memory = MemoryBackend.durable(CAPACITY);
        io.weir.backend.Backend slowInline = new io.weir.backend.ForwardingBackend(memory) {
            @Override
            public void submit(IoRequest request, io.weir.filter.IoCallback callback) {
                try {
                    Thread.sleep(700); // completes on the submitting thread, slowly: the filter above waits, innocent
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                super.submit(request, callback);
            }
        };
        try (StandaloneDisk disk = Disks.builder("d").backend(slowInline).deadline(Duration.ofMillis(300))
                .filter("pass", FilterClass.CACHE, ctx -> (r, chain) -> chain.pass(), Map.of()).open()) {
            assertTrue(run(disk, IoRequest.flush(1)).isOk());
            assertEquals(DiskState.ONLINE, disk.info().state(), disk.info().reason());
        }
    }

    @Test
    void filterPassingARequestOutsideTheDiskFailsItNamingTheFilter() throws Exception {
        Filter shifty = (r, chain) -> chain.pass(IoRequest.unmap(r.tag(), CAPACITY, 512));
        try (StandaloneDisk disk = Disks.builder("d").backend(MemoryBackend.durable(CAPACITY))
                .filter("shifty", FilterClass.COMPRESSION, ctx -> shifty, Map.of()).open()) {
            IoStatus s = run(disk, IoRequest.unmap(1, 0, 512));
            assertEquals(IoError.FILTER_FAULT, s.error());
            assertTrue(s.message().contains("filter 'shifty' (COMPRESSION) passed an invalid request"), s.message());
        }
    }

    @Test
    void failureBelowIsSeenOnlyByLayersAbove() throws Exception {
        ConcurrentLinkedQueue<String> journal = new ConcurrentLinkedQueue<>();
        MemoryBackend backend = MemoryBackend.durable(CAPACITY);
        Disks.Builder b = Disks.builder("d").backend(backend);
        Probe.add(b, FilterClass.INSPECTION, journal, new ArrayList<>());
        b.filter("failer", FilterClass.REPLICATION, ctx -> (r, chain) -> chain.fail(IoError.IO, "replica down"), Map.of());
        Probe.add(b, FilterClass.CACHE, journal, new ArrayList<>());
        try (StandaloneDisk disk = b.open()) {
            journal.clear();
            IoStatus s = run(disk, IoRequest.flush(1));
            assertEquals(IoError.IO, s.error());
            assertTrue(s.message().contains("failer: replica down"), s.message());
            assertEquals(List.of("inspection:handle", "inspection:completed:IO"), List.copyOf(journal));
        }
    }

    @Test
    void backendErrorReachesTheGuestAndEveryLayerAbove() throws Exception {
        ConcurrentLinkedQueue<String> journal = new ConcurrentLinkedQueue<>();
        MemoryBackend backend = MemoryBackend.durable(CAPACITY);
        Disks.Builder b = Disks.builder("d").backend(backend);
        Probe.add(b, FilterClass.INSPECTION, journal, new ArrayList<>());
        Probe.add(b, FilterClass.CACHE, journal, new ArrayList<>());
        try (StandaloneDisk disk = b.open()) {
            journal.clear();
            backend.failNext(r -> r.op() == IoOp.WRITE, IoError.IO);
            IoStatus s = run(disk, IoRequest.write(1, 0, pattern(512, 1), false));
            assertEquals(IoError.IO, s.error());
            assertEquals(List.of("inspection:handle", "cache:handle", "cache:completed:IO", "inspection:completed:IO"),
                    List.copyOf(journal));
        }
    }

    @Test
    void deferredRequestCompletesFromTheFilterExecutor() throws Exception {
        try (StandaloneDisk disk = Disks.builder("d").backend(MemoryBackend.durable(CAPACITY))
                .filter("later", FilterClass.CACHE, ctx -> (r, chain) -> ctx.executor().execute(chain::pass), Map.of())
                .open()) {
            assertTrue(run(disk, IoRequest.write(1, 0, pattern(4096, 3), true)).isOk());
            ByteBuffer dst = ByteBuffer.allocate(4096);
            assertTrue(run(disk, IoRequest.read(2, 0, dst)).isOk());
            assertArrayEquals(pattern(4096, 3).array(), dst.array());
        }
    }

    @Test
    void filterMayOnlyNarrowCapabilities() throws Exception {
        Filter narrowing = new Filter() {
            @Override
            public void handle(IoRequest r, IoChain c) {
                c.pass();
            }

            @Override
            public Set<Capability> capabilities(Set<Capability> below) {
                EnumSet<Capability> s = EnumSet.copyOf(below);
                s.remove(Capability.UNMAP);
                return s;
            }
        };
        try (StandaloneDisk disk = Disks.builder("d").backend(MemoryBackend.durable(CAPACITY))
                .filter("narrow", FilterClass.CACHE, ctx -> narrowing, Map.of()).open()) {
            assertFalse(disk.capabilities().contains(Capability.UNMAP));
            assertEquals(IoError.NOT_SUPPORTED, run(disk, IoRequest.unmap(1, 0, 512)).error());
        }
        Filter widening = new Filter() {
            @Override
            public void handle(IoRequest r, IoChain c) {
                c.pass();
            }

            @Override
            public Set<Capability> capabilities(Set<Capability> below) {
                return EnumSet.allOf(Capability.class);
            }
        };
        MemoryBackend limited = MemoryBackend.builder(CAPACITY).capabilities(EnumSet.of(Capability.FLUSH)).build();
        DiskException e = assertThrows(DiskException.class, () -> Disks.builder("d").backend(limited)
                .filter("wide", FilterClass.CACHE, ctx -> widening, Map.of()).open());
        assertTrue(e.getMessage().contains("filter 'wide' (CACHE) may only narrow"), e.getMessage());
    }

    @Test
    void refusedAttachRollsBackFiltersAlreadyAttachedInReverse() {
        ConcurrentLinkedQueue<String> journal = new ConcurrentLinkedQueue<>();
        List<Probe> probes = new CopyOnWriteArrayList<>();
        Disks.Builder b = Disks.builder("d").backend(MemoryBackend.durable(CAPACITY));
        Probe.add(b, FilterClass.INSPECTION, journal, probes);
        Probe.add(b, FilterClass.CACHE, journal, probes);
        Probe.add(b, FilterClass.QOS, journal, probes);
        b.filter("refuser", FilterClass.REPLICATION, ctx -> new Filter() {
            @Override
            public void handle(IoRequest r, IoChain c) {
                c.pass();
            }

            @Override
            public void onEvent(io.weir.filter.ControlEvent e) throws FilterRefusedException {
                journal.add("refuser:" + e.kind());
                if (e.kind() == Kind.ATTACH) {
                    throw new FilterRefusedException("no replica configured");
                }
            }
        }, Map.of());
        DiskException e = assertThrows(DiskException.class, b::open);
        assertTrue(e.getMessage().contains("filter 'refuser' (REPLICATION) refused ATTACH: no replica configured"),
                e.getMessage());
        // ATTACH travels inner to outer; the two inner filters accepted and are undone most recent first.
        assertEquals(List.of("qos:ATTACH", "cache:ATTACH", "refuser:ATTACH", "cache:DETACH", "qos:DETACH"),
                List.copyOf(journal));
    }

    @Test
    void quiescingEventsTravelOuterToInnerAndTheRestInnerToOuter() throws Exception {
        ConcurrentLinkedQueue<String> journal = new ConcurrentLinkedQueue<>();
        Disks.Builder b = Disks.builder("d").backend(MemoryBackend.durable(CAPACITY));
        Probe.add(b, FilterClass.CACHE, journal, new ArrayList<>());
        Probe.add(b, FilterClass.INSPECTION, journal, new ArrayList<>());
        try (StandaloneDisk disk = b.open()) {
            for (Kind k : Kind.values()) {
                journal.clear();
                disk.deliver(k, Duration.ofSeconds(5));
                List<String> expected = k.travelsOutward()
                        ? List.of("cache:" + k, "inspection:" + k)
                        : List.of("inspection:" + k, "cache:" + k);
                assertEquals(expected, List.copyOf(journal), k.toString());
            }
        }
    }

    @Test
    void eventDeadlineMissIsARefusalThatNamesTheFilter() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        Filter slow = new Filter() {
            @Override
            public void handle(IoRequest r, IoChain c) {
                c.pass();
            }

            @Override
            public void onEvent(io.weir.filter.ControlEvent e) {
                if (e.kind() == Kind.SNAPSHOT_PREPARE) {
                    try {
                        never.await();
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        };
        try (StandaloneDisk disk = Disks.builder("d").backend(MemoryBackend.durable(CAPACITY))
                .filter("slow", FilterClass.CACHE, ctx -> slow, Map.of()).open()) {
            FilterRefusedException e = assertThrows(FilterRefusedException.class,
                    () -> disk.deliver(Kind.SNAPSHOT_PREPARE, Duration.ofMillis(200)));
            assertTrue(e.getMessage().contains("filter 'slow' (CACHE) refused SNAPSHOT_PREPARE: missed the 200 ms deadline"),
                    e.getMessage());
            assertEquals(1, disk.info().stack().get(0).faults());
        }
    }

    @Test
    void growIsRefusableAndIoReachesTheNewEndOnlyAfterIt() throws Exception {
        ConcurrentLinkedQueue<String> journal = new ConcurrentLinkedQueue<>();
        List<Probe> probes = new CopyOnWriteArrayList<>();
        Disks.Builder b = Disks.builder("d").backend(MemoryBackend.durable(CAPACITY));
        Probe.add(b, FilterClass.INSPECTION, journal, probes);
        Probe.add(b, FilterClass.CACHE, journal, probes);
        try (StandaloneDisk disk = b.open()) {
            assertEquals(IoError.OUT_OF_RANGE, run(disk, IoRequest.write(1, CAPACITY, pattern(512, 1), false)).error());
            probes.get(0).refuse = k -> k == Kind.GROW;
            journal.clear();
            DiskException e = assertThrows(DiskException.class, () -> disk.grow(2 * CAPACITY, Duration.ofSeconds(5)));
            assertTrue(e.getMessage().contains("refused GROW"), e.getMessage());
            assertEquals(List.of("cache:GROW", "inspection:GROW", "cache:GROW_ABORT"), List.copyOf(journal));
            assertEquals(CAPACITY, disk.capacity());
            probes.get(0).refuse = k -> false;
            disk.grow(2 * CAPACITY, Duration.ofSeconds(5));
            assertTrue(run(disk, IoRequest.write(2, CAPACITY, pattern(512, 1), false)).isOk());
            ByteBuffer dst = ByteBuffer.allocate(512);
            assertTrue(run(disk, IoRequest.read(3, CAPACITY, dst)).isOk());
            assertArrayEquals(pattern(512, 1).array(), dst.array());
        }
    }

    @Test
    void shrinkingIsRefused() throws Exception {
        try (StandaloneDisk disk = Disks.builder("d").backend(MemoryBackend.durable(CAPACITY)).open()) {
            DiskException e = assertThrows(DiskException.class, () -> disk.grow(CAPACITY / 2, Duration.ofSeconds(1)));
            assertEquals(DiskException.Reason.INVALID, e.reason());
        }
    }

    @Test
    void liveAttachAndDetachChangeTheStackWithoutFailingRequests() throws Exception {
        ConcurrentLinkedQueue<String> journal = new ConcurrentLinkedQueue<>();
        try (StandaloneDisk disk = Disks.builder("d").backend(MemoryBackend.durable(CAPACITY)).open()) {
            DiskImpl impl = (DiskImpl) disk;
            impl.attachLive(new LayerSpec("cache", FilterClass.CACHE, "test", ctx -> new Probe("cache", journal),
                    Map.of()), Duration.ofSeconds(5));
            assertEquals(List.of("cache:ATTACH", "cache:OPEN"), List.copyOf(journal));
            journal.clear();
            assertTrue(run(disk, IoRequest.flush(1)).isOk());
            assertEquals(List.of("cache:handle", "cache:completed:ok"), List.copyOf(journal));
            impl.detachLive("cache", Duration.ofSeconds(5));
            journal.clear();
            assertTrue(run(disk, IoRequest.flush(2)).isOk());
            assertTrue(journal.isEmpty());
            assertTrue(disk.info().stack().isEmpty());
        }
    }

    @Test
    void closedDiskFailsRequestsWithShutdown() throws Exception {
        StandaloneDisk disk = Disks.builder("d").backend(MemoryBackend.durable(CAPACITY)).open();
        disk.close();
        assertEquals(IoError.SHUTDOWN, run(disk, IoRequest.flush(1)).error());
    }

    @Test
    void invalidGeometryIsRefusedWithTheValueNamed() {
        DiskException e = assertThrows(DiskException.class,
                () -> Disks.builder("d").backend(MemoryBackend.durable(CAPACITY)).blockSize(1024).open());
        assertTrue(e.getMessage().contains("block size 1024"), e.getMessage());
        e = assertThrows(DiskException.class,
                () -> Disks.builder("Bad Name").backend(MemoryBackend.durable(CAPACITY)).open());
        assertTrue(e.getMessage().contains("'Bad Name'"), e.getMessage());
    }
}
