package io.weir.vscsi.disk;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads behind the data path: a pool for filters' deferred work, a scheduler for delays and deadlines,
 * and a control pool that runs control events (so a hung filter cannot hang its caller).
 */
public final class CorePools implements AutoCloseable {
    private static volatile CorePools shared;

    private final ExecutorService filterPool;
    private final ScheduledExecutorService scheduler;
    private final ExecutorService control;

    private CorePools(String prefix) {
        int workers = Math.max(2, Runtime.getRuntime().availableProcessors());
        this.filterPool = Executors.newFixedThreadPool(workers, named(prefix + "filter-"));
        this.scheduler = Executors.newScheduledThreadPool(1, named(prefix + "timer-"));
        this.control = Executors.newCachedThreadPool(named(prefix + "control-"));
    }

    /** New pools, closed by {@link #close()}. */
    public static CorePools create(String prefix) {
        return new CorePools(prefix);
    }

    /** Pools shared by standalone disks for the life of the JVM (daemon threads). */
    public static CorePools shared() {
        CorePools p = shared;
        if (p == null) {
            synchronized (CorePools.class) {
                p = shared;
                if (p == null) {
                    p = new CorePools("weir-standalone-");
                    shared = p;
                }
            }
        }
        return p;
    }

    public ExecutorService filterPool() {
        return filterPool;
    }

    public ScheduledExecutorService scheduler() {
        return scheduler;
    }

    public ExecutorService control() {
        return control;
    }

    @Override
    public void close() throws InterruptedException {
        filterPool.shutdown();
        scheduler.shutdownNow();
        control.shutdown();
        filterPool.awaitTermination(10, TimeUnit.SECONDS);
        control.awaitTermination(10, TimeUnit.SECONDS);
    }

    private static ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
