package io.weir.samples.qos;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.weir.backend.memory.MemoryBackend;
import io.weir.filter.FilterClass;
import io.weir.vscsi.standalone.Disks;
import io.weir.vscsi.standalone.StandaloneDisk;

/**
 * Several disks of one group under contention, each kept busy by a closed-loop load: prints, per disk, its
 * reservation, limit, shares, the allocation mClock's rules predict, and the IOPS it achieved. Arguments: seconds
 * to measure (default 5). Run by {@code bench/qos-contention.sh}.
 */
public final class QosContentionBenchmark {
    private static final long GROUP_IOPS = 2000;
    private static final int BLOCK = 4096;

    private record Spec(String disk, long reservation, long limit, int shares) {
    }

    private static final List<Spec> SPECS = List.of(
            new Spec("db", 600, 0, 1000),
            new Spec("web", 100, 0, 1000),
            new Spec("batch", 0, 300, 4000),
            new Spec("backup", 0, 0, 500),
            new Spec("analytics", 200, 800, 2000));

    private QosContentionBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 5;
        QosFilterFactory factory = new QosFilterFactory();
        List<StandaloneDisk> disks = new ArrayList<>();
        List<Load> loads = new ArrayList<>();
        for (Spec s : SPECS) {
            Map<String, Object> settings = Map.of("qos.group", "bench", "qos.group.iops", GROUP_IOPS,
                    "qos.group.depth", 8, "qos.reservation.iops", s.reservation(), "qos.limit.iops", s.limit(),
                    "qos.shares", s.shares(), "qos.burst", 8);
            MemoryBackend memory = MemoryBackend.builder(16L << 20).name(s.disk()).latency(Duration.ofMillis(1)).build();
            StandaloneDisk d = Disks.builder(s.disk()).backend(memory).maxQueueDepth(64)
                    .filter("qos", FilterClass.QOS, factory, settings).open();
            disks.add(d);
            loads.add(new Load(d, 32, BLOCK, true));
        }
        loads.forEach(Load::start);
        Thread.sleep(500); // every disk backlogged
        Map<String, Long> before = dispatched(factory);
        long t0 = System.nanoTime();
        Thread.sleep((long) (seconds * 1000));
        Map<String, Long> after = dispatched(factory);
        double elapsed = (System.nanoTime() - t0) / 1e9;
        for (Load l : loads) {
            l.stop();
        }
        for (StandaloneDisk d : disks) {
            d.close();
        }

        Map<String, Double> expected = expected();
        System.out.printf(Locale.ROOT, "group capacity %d IOPS, depth 8, backend latency 1 ms, %d disks, %.1f s%n%n",
                GROUP_IOPS, SPECS.size(), elapsed);
        System.out.println("| disk | reservation | limit | shares | expected IOPS | achieved IOPS | verdict |");
        System.out.println("|---|---:|---:|---:|---:|---:|---|");
        double total = 0;
        boolean allOk = true;
        for (Spec s : SPECS) {
            double iops = (after.get(s.disk()) - before.get(s.disk())) / elapsed;
            total += iops;
            boolean ok = iops >= s.reservation() * 0.95 && (s.limit() == 0 || iops <= s.limit() * 1.02);
            allOk &= ok;
            System.out.printf(Locale.ROOT, "| %s | %d | %s | %d | %.0f | %.0f | %s |%n", s.disk(), s.reservation(),
                    s.limit() == 0 ? "none" : Long.toString(s.limit()), s.shares(), expected.get(s.disk()), iops,
                    ok ? "ok" : "OUT OF BOUNDS");
        }
        System.out.printf(Locale.ROOT, "| total | | | | %d | %.0f | |%n", GROUP_IOPS, total);
        if (!allOk) {
            System.exit(1);
        }
    }

    private static Map<String, Long> dispatched(QosFilterFactory factory) {
        Map<String, Long> n = new HashMap<>();
        for (Spec s : SPECS) {
            n.put(s.disk(), factory.metrics(s.disk()).orElseThrow().dispatched());
        }
        return n;
    }

    /**
     * The allocation the rules give: capacity split by shares, except that a disk whose share is below its
     * reservation is held at the reservation and one whose share is above its limit at the limit; the rest is
     * split again among the others, until nothing changes.
     */
    private static Map<String, Double> expected() {
        Map<String, Double> fixed = new HashMap<>();
        boolean changed = true;
        while (changed) {
            changed = false;
            double left = GROUP_IOPS - fixed.values().stream().mapToDouble(Double::doubleValue).sum();
            double weights = SPECS.stream().filter(s -> !fixed.containsKey(s.disk())).mapToDouble(Spec::shares).sum();
            for (Spec s : SPECS) {
                if (fixed.containsKey(s.disk())) {
                    continue;
                }
                double share = left * s.shares() / weights;
                if (share < s.reservation()) {
                    fixed.put(s.disk(), (double) s.reservation());
                    changed = true;
                } else if (s.limit() > 0 && share > s.limit()) {
                    fixed.put(s.disk(), (double) s.limit());
                    changed = true;
                }
            }
        }
        double left = GROUP_IOPS - fixed.values().stream().mapToDouble(Double::doubleValue).sum();
        double weights = SPECS.stream().filter(s -> !fixed.containsKey(s.disk())).mapToDouble(Spec::shares).sum();
        Map<String, Double> all = new HashMap<>(fixed);
        for (Spec s : SPECS) {
            all.putIfAbsent(s.disk(), left * s.shares() / weights);
        }
        return all;
    }
}
