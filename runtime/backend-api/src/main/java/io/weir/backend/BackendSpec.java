package io.weir.backend;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * What a provider needs to open one disk's backend.
 *
 * @param diskId    the disk's identifier
 * @param capacity  capacity in bytes, a multiple of {@code blockSize}
 * @param blockSize logical block size, 512 or 4096
 * @param directory a directory that belongs to this disk's backend alone (created by the runtime)
 * @param options   backend-specific options from the disk's definition (for example {@code path})
 */
public record BackendSpec(String diskId, long capacity, int blockSize, Path directory, Map<String, String> options) {
    public BackendSpec {
        Objects.requireNonNull(diskId, "diskId");
        Objects.requireNonNull(directory, "directory");
        options = Map.copyOf(options);
    }
}
