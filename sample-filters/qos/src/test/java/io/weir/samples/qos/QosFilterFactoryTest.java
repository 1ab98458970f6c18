package io.weir.samples.qos;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.weir.backend.memory.MemoryBackend;
import io.weir.filter.FilterClass;
import io.weir.filter.IoOp;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;
import io.weir.samples.qos.RecordingBackend.Dispatch;
import io.weir.vscsi.DiskException;
import io.weir.vscsi.standalone.Disks;
import io.weir.vscsi.standalone.StandaloneDisk;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class QosFilterFactoryTest {
    private static final long CAPACITY = 8L << 20;
    private static final int BLOCK = 4096;
    /** How late a dispatch may reach the backend after the scheduler decided it, on a busy machine. */
    private static final double JITTER_SECONDS = 0.05;

    private final QosFilterFactory factory = new QosFilterFactory();
    private final List<Dispatch> log = new ArrayList<>();
    private final List<StandaloneDisk> opened = new ArrayList<>();

    @AfterEach
    void closeDisks() throws DiskException {
        for (StandaloneDisk d : opened) {
            d.close();
        }
    }

    private StandaloneDisk disk(String id, Map<String, Object> settings) throws DiskException {
        return disk(id, settings, Duration.ofMillis(1));
    }

    private StandaloneDisk disk(String id, Map<String, Object> settings, Duration latency) throws DiskException {
        MemoryBackend memory = MemoryBackend.builder(CAPACITY).name(id).latency(latency).build();
        StandaloneDisk d = Disks.builder(id).backend(new RecordingBackend(id, memory, log)).maxQueueDepth(64)
                .filter("qos", FilterClass.QOS, factory, settings).open();
        opened.add(d);
        return d;
    }

    private List<Dispatch> dispatches(String disk) {
        synchronized (log) {
            return log.stream().filter(d -> d.disk().equals(disk)).toList();
        }
    }

    private static void run(Duration d) throws InterruptedException {
        Thread.sleep(d.toMillis());
    }

    /** Largest excess of dispatches over {@code rate * span + allowance} in any window of the sequence. */
    private static double worstExcess(List<Long> nanos, List<Long> weights, double ratePerSecond, double allowance) {
        double worst = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < nanos.size(); i++) {
            double sum = 0;
            for (int j = i; j < nanos.size(); j++) {
                sum += weights.get(j);
                double span = (nanos.get(j) - nanos.get(i)) / 1e9 + JITTER_SECONDS;
                worst = Math.max(worst, sum - (ratePerSecond * span + allowance));
            }
        }
        return worst;
    }

    @Test
    void aDiskNeverExceedsItsIopsLimitBeyondItsBurst() throws Exception {
        StandaloneDisk d = disk("limited", Map.of("qos.limit.iops", 200L, "qos.burst", 10));
        Load load = new Load(d, 32, BLOCK, true).start();
        run(Duration.ofMillis(1200));
        load.stop();

        List<Dispatch> seen = dispatches("limited");
        List<Long> at = seen.stream().map(Dispatch::nanos).toList();
        List<Long> ones = seen.stream().map(x -> 1L).toList();
        assertTrue(worstExcess(at, ones, 200, 10 + 1) <= 0,
                "some window saw more than 200/s plus a burst of 10: excess " + worstExcess(at, ones, 200, 11));
        assertTrue(seen.size() >= 120, "the disk was kept busy and got close to its limit: " + seen.size()
                + " dispatches in 1.2 s");
        assertEquals("", load.problems());
    }

    @Test
    void aDiskNeverExceedsItsByteLimitBeyondItsBurst() throws Exception {
        long limit = 1L << 20;
        long burst = 64 << 10;
        int size = 16 << 10;
        StandaloneDisk d = disk("bytes", Map.of("qos.limit.bytesPerSecond", limit, "qos.burst.bytes", burst));
        Load load = new Load(d, 16, size, false).start();
        run(Duration.ofMillis(1200));
        load.stop();

        List<Dispatch> seen = dispatches("bytes");
        List<Long> at = seen.stream().map(Dispatch::nanos).toList();
        List<Long> sizes = seen.stream().map(x -> (long) x.request().length()).toList();
        double excess = worstExcess(at, sizes, limit, burst + size);
        assertTrue(excess <= 0, "some window moved more than 1 MiB/s plus 64 KiB of burst: excess " + excess + " bytes");
        long total = sizes.stream().mapToLong(Long::longValue).sum();
        assertTrue(total >= 600 << 10, "the disk was kept busy near its byte limit: " + total + " bytes in 1.2 s");
        assertEquals("", load.problems());
    }

    @Test
    void underContentionEachDiskGetsItsReservationAndSpareCapacitySplitsByShares() throws Exception {
        // Capacity 500/s. Shares 3:1:1 would give c 100/s, below its reservation of 200/s: c is held at its
        // reservation and the 300/s left split 3:1 between a and b (225 and 75), each above its reservation of 20
        // (still so if a loaded machine delivers only 300/s: 75 and 25).
        Map<String, Object> group = Map.of("qos.group", "shared", "qos.group.iops", 500L, "qos.group.depth", 4);
        StandaloneDisk a = disk("a", with(group, "qos.reservation.iops", 20L, "qos.shares", 3000));
        StandaloneDisk b = disk("b", with(group, "qos.reservation.iops", 20L, "qos.shares", 1000));
        StandaloneDisk c = disk("c", with(group, "qos.reservation.iops", 200L, "qos.shares", 1000));
        List<Load> loads = List.of(new Load(a, 24, BLOCK, true), new Load(b, 24, BLOCK, true),
                new Load(c, 24, BLOCK, true));
        loads.forEach(Load::start);
        run(Duration.ofMillis(300)); // every disk backlogged
        Map<String, Long> before = counts();
        long t0 = System.nanoTime();
        run(Duration.ofMillis(1500));
        Map<String, Long> after = counts();
        double seconds = (System.nanoTime() - t0) / 1e9;
        for (Load l : loads) {
            l.stop();
            assertEquals("", l.problems());
        }

        long na = after.get("a") - before.get("a");
        long nb = after.get("b") - before.get("b");
        long nc = after.get("c") - before.get("c");
        String got = "a=" + na + " b=" + nb + " c=" + nc + " in " + seconds + " s";
        assertTrue(na >= 20 * seconds * 0.9 && nb >= 20 * seconds * 0.9, "a and b got their reservations: " + got);
        assertTrue(nc >= 200 * seconds * 0.9, "c got its reservation of 200/s: " + got);
        double ratio = (double) na / nb;
        assertTrue(ratio > 2.4 && ratio < 3.75, "a and b split what c leaves 3:1 by shares, got " + ratio + ": " + got);
        assertTrue(na + nb + nc <= 500 * (seconds + JITTER_SECONDS) + 2, "the group stayed within 500/s: " + got);
        assertTrue(factory.metrics("c").orElseThrow().reservationPhase() > 0, "c was served in the reservation phase");
        assertTrue(factory.metrics("a").orElseThrow().sharePhase() > factory.metrics("a").orElseThrow().reservationPhase(),
                "a got most of its service by weight: " + factory.metrics("a").orElseThrow());
    }

    @Test
    void anIdleDisksShareGoesToTheBusyOnes() throws Exception {
        // Measured against the same disks with all three busy, so a slow machine changes both sides alike.
        Map<String, Object> group = Map.of("qos.group", "g", "qos.group.iops", 600L, "qos.group.depth", 4);
        StandaloneDisk busy1 = disk("busy1", group);
        StandaloneDisk goingIdle = disk("goes-idle", group);
        StandaloneDisk busy2 = disk("busy2", group);
        Load l1 = new Load(busy1, 24, BLOCK, false).start();
        Load l2 = new Load(busy2, 24, BLOCK, false).start();
        Load l3 = new Load(goingIdle, 24, BLOCK, false).start();
        run(Duration.ofMillis(200));
        double allBusy = perDiskRate(List.of("busy1", "busy2"), Duration.ofMillis(800));
        l3.stop();
        run(Duration.ofMillis(100));
        long idleBefore = counts().get("goes-idle");
        double oneIdle = perDiskRate(List.of("busy1", "busy2"), Duration.ofMillis(800));
        long idleAfter = counts().get("goes-idle");
        l1.stop();
        l2.stop();

        String got = "per busy disk: " + allBusy + "/s with three busy, " + oneIdle + "/s with one idle";
        // Equal shares: a third each, then a half each once one disk is idle (1.5 times as much).
        assertTrue(oneIdle >= 1.3 * allBusy, "the idle disk's share went to the busy ones: " + got);
        assertEquals(idleBefore, idleAfter, "the idle disk issued nothing");
        assertEquals("", l1.problems() + l2.problems() + l3.problems());
    }

    /** The mean dispatch rate of {@code disks} over {@code window}, each disk's busy or not. */
    private double perDiskRate(List<String> disks, Duration window) throws InterruptedException {
        Map<String, Long> before = counts();
        long t0 = System.nanoTime();
        run(window);
        Map<String, Long> after = counts();
        double seconds = (System.nanoTime() - t0) / 1e9;
        double sum = 0;
        for (String d : disks) {
            sum += after.getOrDefault(d, 0L) - before.getOrDefault(d, 0L);
        }
        double rate = sum / disks.size() / seconds;
        for (String d : disks) {
            long n = after.getOrDefault(d, 0L) - before.getOrDefault(d, 0L);
            assertTrue(Math.abs(n / seconds - rate) <= 0.15 * rate, "equal shares split equally: " + d + " got "
                    + n / seconds + "/s, mean " + rate + "/s");
        }
        return rate;
    }

    @Test
    void everyRequestCompletesExactlyOnceAndTheDataVerifies() throws Exception {
        Map<String, Object> group = Map.of("qos.group", "data", "qos.group.iops", 3000L, "qos.group.depth", 8);
        List<StandaloneDisk> disks = List.of(
                disk("d1", with(group, "qos.limit.iops", 1000L, "qos.shares", 2000)),
                disk("d2", with(group, "qos.reservation.iops", 300L, "qos.limit.bytesPerSecond", 4L << 20)),
                disk("d3", group, Duration.ZERO));
        int blocks = 200;
        Map<String, AtomicInteger> callbacks = new ConcurrentHashMap<>();
        List<CompletableFuture<IoStatus>> all = new ArrayList<>();
        for (int i = 0; i < blocks; i++) {
            for (StandaloneDisk d : disks) {
                all.add(submit(d, IoRequest.write(i, (long) i * BLOCK, ByteBuffer.wrap(pattern(d.id(), i)), i % 7 == 0),
                        callbacks));
                if (i % 50 == 49) {
                    all.add(submit(d, IoRequest.flush(10_000 + i), callbacks));
                }
            }
        }
        for (CompletableFuture<IoStatus> f : all) {
            assertTrue(f.get(30, TimeUnit.SECONDS).isOk());
        }
        Map<String, ByteBuffer> reads = new HashMap<>();
        List<CompletableFuture<IoStatus>> readsDone = new ArrayList<>();
        for (StandaloneDisk d : disks) {
            ByteBuffer back = ByteBuffer.allocate(blocks * BLOCK);
            reads.put(d.id(), back);
            for (int i = 0; i < blocks; i++) {
                ByteBuffer slice = back.duplicate().position(i * BLOCK).limit((i + 1) * BLOCK).slice();
                readsDone.add(submit(d, IoRequest.read(20_000 + i, (long) i * BLOCK, slice), callbacks));
            }
        }
        for (CompletableFuture<IoStatus> f : readsDone) {
            assertTrue(f.get(30, TimeUnit.SECONDS).isOk());
        }
        Thread.sleep(100); // a second completion, if any, would arrive late
        callbacks.forEach((key, n) -> assertEquals(1, n.get(), key + " completed " + n.get() + " times"));
        assertEquals(disks.size() * (blocks * 2 + blocks / 50), callbacks.size());
        for (StandaloneDisk d : disks) {
            for (int i = 0; i < blocks; i++) {
                byte[] got = new byte[BLOCK];
                reads.get(d.id()).get(i * BLOCK, got);
                assertArrayEquals(pattern(d.id(), i), got, d.id() + " block " + i + " reads back what was written");
            }
            QosMetrics m = factory.metrics(d.id()).orElseThrow();
            assertEquals(blocks * 2 + blocks / 50, m.dispatched(), m.toString());
            assertEquals(m.dispatched(), m.reservationPhase() + m.sharePhase() + m.barriers() + m.released(), m.toString());
            assertEquals(0, m.queued());
        }
    }

    @Test
    void noRequestPassesAFlushInEitherDirection() throws Exception {
        Map<String, Object> group = Map.of("qos.group", "order", "qos.group.iops", 2000L, "qos.group.depth", 3);
        StandaloneDisk x = disk("x", with(group, "qos.limit.iops", 800L, "qos.burst", 0, "qos.reservation.iops", 100L));
        StandaloneDisk y = disk("y", with(group, "qos.shares", 4000));
        List<CompletableFuture<IoStatus>> done = new ArrayList<>();
        Map<String, AtomicInteger> callbacks = new ConcurrentHashMap<>();
        int n = 400;
        for (int i = 0; i < n; i++) {
            for (StandaloneDisk d : List.of(x, y)) {
                IoRequest r = i % 9 == 8 ? IoRequest.flush(i)
                        : i % 3 == 0 ? IoRequest.read(i, (long) (i % 64) * BLOCK, ByteBuffer.allocate(BLOCK))
                        : IoRequest.write(i, (long) (i % 64) * BLOCK, ByteBuffer.allocate(BLOCK), false);
                done.add(submit(d, r, callbacks));
            }
        }
        for (CompletableFuture<IoStatus> f : done) {
            assertTrue(f.get(30, TimeUnit.SECONDS).isOk());
        }
        for (String disk : List.of("x", "y")) {
            List<Dispatch> seen = dispatches(disk);
            assertEquals(n, seen.size());
            int flushes = 0;
            for (int pos = 0; pos < seen.size(); pos++) {
                IoRequest r = seen.get(pos).request();
                if (r.op() != IoOp.FLUSH) {
                    continue;
                }
                flushes++;
                for (int k = 0; k < seen.size(); k++) {
                    long tag = seen.get(k).request().tag();
                    if (k < pos) {
                        assertTrue(tag < r.tag(), disk + ": #" + tag + " arrived after " + r + " but went down before it");
                    } else if (k > pos) {
                        assertTrue(tag > r.tag(), disk + ": #" + tag + " arrived before " + r + " but went down after it");
                    }
                }
            }
            assertEquals(n / 9, flushes);
        }
        assertTrue(factory.metrics("x").orElseThrow().throttled().toMillis() > 0, "x's requests had to queue");
    }

    @Test
    void stunReleasesEverythingQueuedAtOnceAndUnstunThrottlesAgain() throws Exception {
        StandaloneDisk d = disk("stunned", Map.of("qos.limit.iops", 10L, "qos.burst", 0));
        List<CompletableFuture<IoStatus>> done = new ArrayList<>();
        Map<String, AtomicInteger> callbacks = new ConcurrentHashMap<>();
        for (int i = 0; i < 40; i++) {
            done.add(submit(d, IoRequest.write(i, (long) i * BLOCK, ByteBuffer.allocate(BLOCK), false), callbacks));
        }
        Thread.sleep(100);
        int queued = factory.metrics("stunned").orElseThrow().queued();
        assertTrue(queued >= 35, "at 10/s most of 40 requests wait in the queue, got " + queued);

        long t0 = System.nanoTime();
        d.stun(Duration.ofSeconds(2)); // at 10/s draining the queue would take 4 s
        for (CompletableFuture<IoStatus> f : done) {
            assertTrue(f.get(2, TimeUnit.SECONDS).isOk());
        }
        double stunSeconds = (System.nanoTime() - t0) / 1e9;
        QosMetrics m = factory.metrics("stunned").orElseThrow();
        assertEquals(0, m.queued());
        assertTrue(m.released() >= queued, "the stun released what was queued: " + m);
        assertTrue(stunSeconds < 1.5, "the stun released and drained everything at once, took " + stunSeconds + " s");
        d.unstun();

        CountDownLatch after = new CountDownLatch(10);
        for (int i = 100; i < 110; i++) {
            d.submit(IoRequest.write(i, 0, ByteBuffer.allocate(BLOCK), false), s -> after.countDown());
        }
        Thread.sleep(300);
        long sinceUnstun = factory.metrics("stunned").orElseThrow().dispatched() - m.dispatched();
        assertTrue(sinceUnstun <= 5, "after unstun the limit of 10/s holds again: " + sinceUnstun + " in 0.3 s");
        assertTrue(after.await(5, TimeUnit.SECONDS));
    }

    @Test
    void limitsChangedAtRunTimeTakeEffect() throws Exception {
        StandaloneDisk d = disk("tuned", Map.of("qos.limit.iops", 50L, "qos.burst", 0));
        Load load = new Load(d, 16, BLOCK, true).start();
        run(Duration.ofMillis(200));
        long a0 = load.completed();
        run(Duration.ofMillis(600));
        long slow = load.completed() - a0;

        factory.setPolicy("tuned", factory.policy("tuned").orElseThrow().withIops(0, 1000));
        run(Duration.ofMillis(100));
        long b0 = load.completed();
        run(Duration.ofMillis(600));
        long fast = load.completed() - b0;

        d.swap("qos", factory, Map.of("qos.limit.iops", 50L, "qos.burst", 0), Duration.ofSeconds(5));
        run(Duration.ofMillis(100));
        long c0 = load.completed();
        run(Duration.ofMillis(600));
        long slowAgain = load.completed() - c0;
        load.stop();

        String got = "50/s: " + slow + ", 1000/s: " + fast + ", 50/s by settings: " + slowAgain + " in 0.6 s each";
        assertTrue(slow <= 50 * (0.6 + JITTER_SECONDS) + 1, got);
        assertTrue(fast >= 250, "raising the limit took effect: " + got);
        assertTrue(slowAgain <= 50 * (0.6 + JITTER_SECONDS) + 1, "the swapped-in settings took effect: " + got);
        assertEquals(50, factory.policy("tuned").orElseThrow().limitIops());
        assertEquals("", load.problems());
    }

    @Test
    void aReservationAboveTheLimitIsRefusedNamingBothKeys() {
        DiskException e = assertThrows(DiskException.class,
                () -> disk("wrong", Map.of("qos.reservation.iops", 500L, "qos.limit.iops", 100L)));
        assertTrue(e.getMessage().contains("qos.reservation.iops 500 exceeds qos.limit.iops 100"), e.getMessage());
        assertTrue(e.getMessage().contains("'wrong'"), e.getMessage());
    }

    @Test
    void aDiskGivingABusyGroupAnotherCapacityIsRefusedNamingTheGroupAndTheDiskHoldingIt() throws Exception {
        disk("first", Map.of("qos.group", "ds1", "qos.group.iops", 1000L));
        DiskException e = assertThrows(DiskException.class,
                () -> disk("second", Map.of("qos.group", "ds1", "qos.group.iops", 2000L)));
        assertTrue(e.getMessage().contains("group 'ds1'") && e.getMessage().contains("disk 'first'")
                && e.getMessage().contains("disk 'second'"), e.getMessage());

        factory.setGroupCapacity("ds1", new GroupCapacity(2000, GroupCapacity.DEFAULT_DEPTH));
        disk("second", Map.of("qos.group", "ds1", "qos.group.iops", 2000L));
        assertEquals(2000, factory.groupCapacity("ds1").orElseThrow().iops());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> factory.setPolicy("third", QosPolicy.UNRESTRICTED));
        assertTrue(unknown.getMessage().contains("'third'") && unknown.getMessage().contains("first"),
                unknown.getMessage());
    }

    // ---- helpers ----

    private Map<String, Long> counts() {
        Map<String, Long> n = new HashMap<>();
        synchronized (log) {
            for (Dispatch d : log) {
                n.merge(d.disk(), 1L, Long::sum);
            }
        }
        return n;
    }

    private static Map<String, Object> with(Map<String, Object> base, Object... keysAndValues) {
        Map<String, Object> m = new HashMap<>(base);
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }

    private static CompletableFuture<IoStatus> submit(StandaloneDisk d, IoRequest r, Map<String, AtomicInteger> callbacks)
            throws InterruptedException {
        CompletableFuture<IoStatus> f = new CompletableFuture<>();
        String key = d.id() + "#" + r.tag() + " " + r.op();
        callbacks.put(key, new AtomicInteger());
        d.submit(r, status -> {
            callbacks.get(key).incrementAndGet();
            f.complete(status);
        });
        return f;
    }

    private static byte[] pattern(String disk, int block) {
        byte[] b = new byte[BLOCK];
        int seed = disk.hashCode() * 31 + block;
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (seed + i * 7);
        }
        return b;
    }
}
