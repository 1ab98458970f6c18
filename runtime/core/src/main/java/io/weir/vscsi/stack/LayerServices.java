package io.weir.vscsi.stack;

import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;

import io.weir.vscsi.store.SidecarStore;

/**
 * What every layer of one disk shares: the host disk, the pool deferred work runs on, a scheduler for delays,
 * the disk's sidecar store, and the disk's watchdog clock.
 */
public record LayerServices(StackHost host, Executor pool, ScheduledExecutorService scheduler, SidecarStore sidecars,
                            Ticker ticker) {
}
