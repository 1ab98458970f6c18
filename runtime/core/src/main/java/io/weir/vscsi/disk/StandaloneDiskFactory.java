package io.weir.vscsi.disk;

import java.nio.file.Path;
import java.util.List;

import io.weir.backend.Backend;
import io.weir.vscsi.DiskException;
import io.weir.vscsi.standalone.Disks;
import io.weir.vscsi.standalone.StandaloneDisk;

/** Builds standalone disks; implementation in progress. */
public final class StandaloneDiskFactory {
    private StandaloneDiskFactory() {
    }

    public static StandaloneDisk open(String id, long capacity, int blockSize, int maxQueueDepth,
                                      int maxRequestLength, Backend backend, Path sidecarDirectory,
                                      List<Disks.FilterSpec> filters) throws DiskException {
        throw new DiskException(DiskException.Reason.IO, "not yet implemented");
    }
}
