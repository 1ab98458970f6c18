package io.weir.vscsi.stack;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;

/**
 * Runs tasks one at a time, in submission order, on a shared pool: each filter instance gets one, so its
 * deferred work never runs concurrently with itself and never occupies a thread while idle.
 */
final class SerialExecutor implements Executor {
    private final Executor pool;
    private final String owner;
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    private boolean running;

    SerialExecutor(Executor pool, String owner) {
        this.pool = pool;
        this.owner = owner;
    }

    @Override
    public void execute(Runnable task) {
        synchronized (tasks) {
            tasks.add(task);
            if (running) {
                return;
            }
            running = true;
        }
        pool.execute(this::drain);
    }

    private void drain() {
        while (true) {
            Runnable next;
            synchronized (tasks) {
                next = tasks.poll();
                if (next == null) {
                    running = false;
                    return;
                }
            }
            try {
                next.run();
            } catch (RuntimeException | Error e) {
                System.getLogger("io.weir.vscsi").log(System.Logger.Level.ERROR,
                        "task of filter " + owner + " threw", e);
            }
        }
    }
}
