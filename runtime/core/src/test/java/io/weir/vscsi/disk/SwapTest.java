package io.weir.vscsi.disk;

import static io.weir.vscsi.disk.DiskImplTest.pattern;
import static io.weir.vscsi.disk.DiskImplTest.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import io.weir.backend.memory.MemoryBackend;
import io.weir.filter.Capability;
import io.weir.filter.ControlEvent;
import io.weir.filter.ControlEvent.Kind;
import io.weir.filter.Filter;
import io.weir.filter.FilterClass;
import io.weir.filter.FilterContext;
import io.weir.filter.FilterFactory;
import io.weir.filter.FilterRefusedException;
import io.weir.filter.IoChain;
import io.weir.filter.IoRequest;
import io.weir.vscsi.DiskException;
import io.weir.vscsi.SwapReport;
import io.weir.vscsi.standalone.Disks;
import io.weir.vscsi.standalone.StandaloneDisk;

/** Live swap of a filter instance: state handed over, nothing lost, duplicated or failed, and a clean undo. */
class SwapTest {
    static final long CAPACITY = DiskImplTest.CAPACITY;

    /** A CACHE-class filter that counts what it handled, defers half of it, and hands its count to its successor. */
    static final class Counting implements Filter {
        final FilterContext ctx;
        final int generation;
        final AtomicLong count = new AtomicLong();
        final List<Kind> events = new CopyOnWriteArrayList<>();
        volatile boolean refuseSwapIn;

        Counting(FilterContext ctx, int generation) {
            this.ctx = ctx;
            this.generation = generation;
        }

        @Override
        public void handle(IoRequest request, IoChain chain) {
            count.incrementAndGet();
            if ((request.tag() & 1) == 0) {
                ctx.executor().execute(chain::pass);
            } else {
                chain.pass();
            }
        }

        @Override
        public void onEvent(ControlEvent event) throws FilterRefusedException {
            events.add(event.kind());
            if (event.kind() == Kind.SWAP_OUT) {
                event.handoff().orElseThrow().put("count", Long.toString(count.get()).getBytes(StandardCharsets.UTF_8));
            } else if (event.kind() == Kind.SWAP_IN) {
                if (refuseSwapIn) {
                    throw new FilterRefusedException("generation " + generation + " will not take over");
                }
                byte[] v = event.handoff().orElseThrow().get("count").orElseThrow();
                count.addAndGet(Long.parseLong(new String(v, StandardCharsets.UTF_8)));
            }
        }
    }

    @Test
    void swappingFiftyTimesUnderLoadHandsOverStateAndLosesDuplicatesOrFailsNothing() throws Exception {
        List<Counting> instances = new CopyOnWriteArrayList<>();
        AtomicInteger generations = new AtomicInteger();
        FilterFactory factory = ctx -> {
            Counting c = new Counting(ctx, generations.getAndIncrement());
            instances.add(c);
            return c;
        };
        int writers = 4;
        int perWriter = 1500;
        int blockSize = 512; // every request writes a block of its own: all of them must read back
        try (StandaloneDisk disk = Disks.builder("d").backend(MemoryBackend.durable(CAPACITY)).maxQueueDepth(32)
                .filter("counting", FilterClass.CACHE, factory, Map.of()).open()) {
            ConcurrentWriters guests = ConcurrentWriters.start(disk, writers, perWriter, blockSize, tag -> tag);
            List<SwapReport> reports = new ArrayList<>();
            for (int swap = 0; swap < 50; swap++) {
                reports.add(disk.swap("counting", factory, Map.of(), Duration.ofSeconds(10)));
            }
            guests.join();
            disk.stun(Duration.ofSeconds(10)); // drain what is still deferred
            disk.unstun();
            guests.awaitCallbacks(Duration.ofSeconds(10));
            assertEquals(0, guests.failures.get());
            assertEquals(writers * perWriter, guests.completions.size());
            guests.completions.forEach((tag, n) -> assertEquals(1, n.get(), "completions of request " + tag));
            Counting last = instances.get(instances.size() - 1);
            assertEquals((long) writers * perWriter, last.count.get(),
                    "the count travelled through 50 handoffs: every request counted exactly once");
            assertEquals(51, instances.size());
            for (Counting retired : instances.subList(0, 50)) {
                assertTrue(retired.events.containsAll(List.of(Kind.SWAP_OUT, Kind.CLOSE, Kind.DETACH)), retired.events.toString());
            }
            assertEquals(List.of(Kind.ATTACH, Kind.OPEN, Kind.SWAP_IN), last.events.subList(0, 3));
            assertTrue(reports.stream().allMatch(r -> r.stateKeys() == 1 && r.stateBytes() > 0), reports.toString());
            assertTrue((long) writers * perWriter * blockSize <= CAPACITY);
            for (long tag = 0; tag < (long) writers * perWriter; tag++) {
                ByteBuffer back = ByteBuffer.allocate(blockSize);
                assertTrue(run(disk, IoRequest.read(1_000_000 + tag, tag * blockSize, back)).isOk());
                assertArrayEquals(pattern(blockSize, (int) tag).array(), back.array(), "block " + tag);
            }
        }
    }

    @Test
    void newInstanceRefusingToTakeOverLeavesTheOldOneServing() throws Exception {
        List<Counting> instances = new CopyOnWriteArrayList<>();
        FilterFactory factory = ctx -> {
            Counting c = new Counting(ctx, instances.size());
            c.refuseSwapIn = !instances.isEmpty();
            instances.add(c);
            return c;
        };
        try (StandaloneDisk disk = Disks.builder("d").backend(MemoryBackend.durable(CAPACITY))
                .filter("counting", FilterClass.CACHE, factory, Map.of()).open()) {
            assertTrue(run(disk, IoRequest.write(1, 0, pattern(512, 1), false)).isOk());
            DiskException e = assertThrows(DiskException.class,
                    () -> disk.swap("counting", factory, Map.of(), Duration.ofSeconds(5)));
            assertEquals(DiskException.Reason.REFUSED, e.reason());
            assertTrue(e.getMessage().contains("will not take over") && e.getMessage().contains("old instance keeps serving"),
                    e.getMessage());
            Counting old = instances.get(0);
            Counting refused = instances.get(1);
            assertTrue(old.events.containsAll(List.of(Kind.SWAP_OUT, Kind.SWAP_ABORT)), old.events.toString());
            assertTrue(refused.events.containsAll(List.of(Kind.CLOSE, Kind.DETACH)), refused.events.toString());
            assertTrue(run(disk, IoRequest.write(3, 512, pattern(512, 2), false)).isOk());
            assertEquals(2, old.count.get(), "the old instance still serves");
            assertEquals(0, refused.count.get());
        }
    }

    @Test
    void swapMayNotTakeCapabilitiesAwayOrChangeTheClass() throws Exception {
        Filter plain = (r, chain) -> chain.pass();
        Filter noFua = new Filter() {
            @Override
            public void handle(IoRequest request, IoChain chain) {
                chain.pass();
            }

            @Override
            public Set<Capability> capabilities(Set<Capability> below) {
                EnumSet<Capability> c = EnumSet.copyOf(below);
                c.remove(Capability.FUA);
                return c;
            }
        };
        try (StandaloneDisk disk = Disks.builder("d").backend(MemoryBackend.durable(CAPACITY))
                .filter("f", FilterClass.INSPECTION, ctx -> plain, Map.of()).open()) {
            DiskException e = assertThrows(DiskException.class,
                    () -> disk.swap("f", ctx -> noFua, Map.of(), Duration.ofSeconds(5)));
            assertEquals(DiskException.Reason.INVALID, e.reason());
            assertTrue(e.getMessage().contains("would take away [FUA]"), e.getMessage());
            assertEquals(DiskException.Reason.NOT_FOUND, assertThrows(DiskException.class,
                    () -> disk.swap("nope", ctx -> plain, Map.of(), Duration.ofSeconds(5))).reason());
            assertTrue(run(disk, IoRequest.flush(9)).isOk());
        }
    }
}
