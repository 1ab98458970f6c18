package io.weir.vscsi.disk;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.weir.backend.Backend;
import io.weir.vscsi.DiskException;
import io.weir.vscsi.DiskSpec;
import io.weir.vscsi.standalone.Disks;
import io.weir.vscsi.standalone.StandaloneDisk;

/** Builds standalone disks on the shared pools. */
public final class StandaloneDiskFactory {
    /** Default deadline of standalone disks' control events, drains and held requests. */
    public static final Duration EVENT_TIMEOUT = Duration.ofSeconds(30);

    private StandaloneDiskFactory() {
    }

    public static StandaloneDisk open(String id, long capacity, int blockSize, int maxQueueDepth,
                                      int maxRequestLength, Backend backend, Path sidecarDirectory,
                                      List<Disks.FilterSpec> filters, Duration deadline) throws DiskException {
        DiskValidation.checkId(id);
        DiskSpec spec = new DiskSpec(id, capacity, blockSize, backend.getClass().getSimpleName(), Map.of(), List.of());
        List<LayerSpec> layers = filters.stream()
                .map(f -> new LayerSpec(f.name(), f.filterClass(), "standalone", f.factory(), f.config()))
                .toList();
        return DiskImpl.open(spec, maxQueueDepth, maxRequestLength, backend, layers, CorePools.shared(),
                sidecarDirectory, deadline);
    }
}
