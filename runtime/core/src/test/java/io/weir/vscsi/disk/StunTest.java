package io.weir.vscsi.disk;

import static io.weir.vscsi.disk.DiskImplTest.pattern;
import static io.weir.vscsi.disk.DiskImplTest.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import io.weir.backend.memory.MemoryBackend;
import io.weir.filter.ControlEvent;
import io.weir.filter.Filter;
import io.weir.filter.FilterClass;
import io.weir.filter.FilterContext;
import io.weir.filter.IoChain;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;
import io.weir.vscsi.DiskException;
import io.weir.vscsi.DiskState;
import io.weir.vscsi.standalone.Disks;
import io.weir.vscsi.standalone.StandaloneDisk;

class StunTest {
    static final long CAPACITY = 64 << 20; // more 4 KiB blocks than the randomized test writes

    /** Holds every request until told to release; releases all on STUN unless told to ignore it. */
    static final class Hoarder implements Filter {
        final ConcurrentLinkedQueue<IoChain> held = new ConcurrentLinkedQueue<>();
        final AtomicInteger handled = new AtomicInteger();
        volatile boolean hold = true;
        volatile boolean releaseOnStun = true;

        @Override
        public void handle(IoRequest request, IoChain chain) {
            handled.incrementAndGet();
            if (hold) {
                held.add(chain);
            } else {
                chain.pass();
            }
        }

        void releaseAll() {
            IoChain c;
            while ((c = held.poll()) != null) {
                c.pass();
            }
        }

        @Override
        public void onEvent(ControlEvent event) {
            if (event.kind() == ControlEvent.Kind.STUN && releaseOnStun) {
                hold = false;
                releaseAll();
            }
        }
    }

    @Test
    void stunParksNewRequestsAndReplaysThemInArrivalOrder() throws Exception {
        List<Long> order = new CopyOnWriteArrayList<>();
        try (StandaloneDisk disk = Disks.builder("d").backend(MemoryBackend.durable(CAPACITY))
                .filter("rec", FilterClass.INSPECTION, ctx -> (r, c) -> {
                    order.add(r.tag());
                    c.pass();
                }, Map.of()).open()) {
            disk.stun(Duration.ofSeconds(5));
            assertEquals(DiskState.STUNNED, disk.info().state());
            List<IoStatus> done = new CopyOnWriteArrayList<>();
            for (long tag = 1; tag <= 20; tag++) {
                disk.submit(IoRequest.write(tag, tag * 512, pattern(512, (int) tag), false), done::add);
            }
            assertTrue(order.isEmpty(), "a filter saw a request while the disk was stunned");
            assertEquals(20, disk.info().stats().parked());
            disk.unstun();
            List<Long> expected = new ArrayList<>();
            for (long tag = 1; tag <= 20; tag++) {
                expected.add(tag);
            }
            assertEquals(expected, order);
            assertEquals(20, done.size());
        }
    }

    @Test
    void stunReleasesDeferredRequestsAndWaitsForThemToDrain() throws Exception {
        Hoarder hoarder = new Hoarder();
        try (StandaloneDisk disk = Disks.builder("d").backend(MemoryBackend.durable(CAPACITY))
                .filter("hoarder", FilterClass.CACHE, ctx -> hoarder, Map.of()).open()) {
            List<IoStatus> done = new CopyOnWriteArrayList<>();
            for (int i = 0; i < 5; i++) {
                disk.submit(IoRequest.write(i, i * 4096L, pattern(4096, i), false), done::add);
            }
            assertEquals(5, hoarder.held.size());
            disk.stun(Duration.ofSeconds(5));
            assertEquals(5, done.size(), "stun returned before in-flight requests drained");
            assertTrue(done.stream().allMatch(IoStatus::isOk));
            disk.unstun();
        }
    }

    @Test
    void stunThatCannotDrainTimesOutNamingTheHolderAndResumes() throws Exception {
        Hoarder hoarder = new Hoarder();
        hoarder.releaseOnStun = false;
        try (StandaloneDisk disk = Disks.builder("d").backend(MemoryBackend.durable(CAPACITY))
                .filter("hoarder", FilterClass.CACHE, ctx -> hoarder, Map.of()).open()) {
            List<IoStatus> done = new CopyOnWriteArrayList<>();
            for (int i = 0; i < 3; i++) {
                disk.submit(IoRequest.flush(i), done::add);
            }
            DiskException e = assertThrows(DiskException.class, () -> disk.stun(Duration.ofMillis(200)));
            assertTrue(e.getMessage().contains("filter 'hoarder' (CACHE)=3"), e.getMessage());
            assertEquals(DiskState.ONLINE, disk.info().state());
            hoarder.hold = false;
            hoarder.releaseAll();
            assertEquals(3, done.size());
            assertTrue(run(disk, IoRequest.flush(9)).isOk());
        }
    }

    @Test
    void fullQueueBlocksTheSubmitterInsteadOfFailing() throws Exception {
        Hoarder hoarder = new Hoarder();
        try (StandaloneDisk disk = Disks.builder("d").backend(MemoryBackend.durable(CAPACITY)).maxQueueDepth(4)
                .filter("hoarder", FilterClass.CACHE, ctx -> hoarder, Map.of()).open()) {
            List<IoStatus> done = new CopyOnWriteArrayList<>();
            for (int i = 0; i < 4; i++) {
                disk.submit(IoRequest.flush(i), done::add);
            }
            CountDownLatch fifthReturned = new CountDownLatch(1);
            Thread fifth = new Thread(() -> {
                try {
                    disk.submit(IoRequest.flush(5), done::add);
                    fifthReturned.countDown();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            fifth.start();
            while (fifth.getState() != Thread.State.WAITING) {
                Thread.onSpinWait();
            }
            assertEquals(4, hoarder.handled.get(), "a fifth request got past a queue depth of 4");
            assertEquals(1, fifthReturned.getCount());
            hoarder.held.poll().pass();
            assertTrue(fifthReturned.await(10, TimeUnit.SECONDS));
            hoarder.hold = false;
            hoarder.releaseAll();
            fifth.join();
            assertEquals(5, done.size());
            assertTrue(done.stream().allMatch(IoStatus::isOk));
        }
    }

    @Test
    void randomizedStunUnderConcurrentLoadLosesAndDuplicatesNothing() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        AtomicLong handledWhileStunned = new AtomicLong();
        AtomicInteger handled = new AtomicInteger();
        class Deferring implements Filter {
            final FilterContext ctx;

            Deferring(FilterContext ctx) {
                this.ctx = ctx;
            }

            @Override
            public void handle(IoRequest request, IoChain chain) {
                handled.incrementAndGet();
                if ((request.tag() & 1) == 0) {
                    ctx.executor().execute(chain::pass);
                } else {
                    chain.pass();
                }
            }
        }
        int writers = 4;
        int perWriter = 2000;
        int blockSize = 4096;
        try (StandaloneDisk disk = Disks.builder("d").backend(MemoryBackend.durable(CAPACITY)).maxQueueDepth(16)
                .filter("deferring", FilterClass.REPLICATION, Deferring::new, Map.of()).open()) {
            ConcurrentWriters guests = ConcurrentWriters.start(disk, writers, perWriter, blockSize, tag -> tag % (CAPACITY / blockSize));
            for (int cycle = 0; cycle < 50; cycle++) {
                disk.stun(Duration.ofSeconds(10));
                int before = handled.get();
                Thread.sleep(random.nextInt(3));
                handledWhileStunned.addAndGet(handled.get() - before);
                disk.unstun();
            }
            guests.join();
            disk.stun(Duration.ofSeconds(10));
            disk.unstun();
            guests.awaitCallbacks(Duration.ofSeconds(10));
            assertEquals(0, handledWhileStunned.get(), "filters saw requests while stunned (seed " + seed + ")");
            assertEquals(writers * perWriter, guests.completions.size());
            guests.completions.forEach((tag, n) -> assertEquals(1, n.get(), "request " + tag + " completions, seed " + seed));
            assertEquals(0, guests.failures.get(), "seed " + seed);
            // Every write went to its own block: all of them must read back.
            for (long tag = 0; tag < (long) writers * perWriter; tag++) {
                long block = tag % (CAPACITY / blockSize);
                ByteBuffer dst = ByteBuffer.allocate(blockSize);
                assertTrue(run(disk, IoRequest.read(0, block * blockSize, dst)).isOk());
                assertArrayEquals(pattern(blockSize, (int) tag).array(), dst.array(), "seed " + seed);
            }
        }
    }
}
