package io.weir.vscsi.standalone;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import io.weir.backend.Backend;
import io.weir.filter.FilterClass;
import io.weir.filter.FilterFactory;
import io.weir.vscsi.DiskException;
import io.weir.vscsi.disk.StandaloneDiskFactory;

/** Assembles {@link StandaloneDisk}s from a backend and filter factories, without OSGi or a catalog. */
public final class Disks {
    private Disks() {
    }

    /** Start describing a disk named {@code id}. */
    public static Builder builder(String id) {
        return new Builder(id);
    }

    /** A filter to put in a standalone disk's stack. */
    public record FilterSpec(String name, FilterClass filterClass, FilterFactory factory, Map<String, Object> config) {
        public FilterSpec {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(filterClass, "filterClass");
            Objects.requireNonNull(factory, "factory");
            config = Map.copyOf(config);
        }
    }

    /** Describes a standalone disk; {@link #open()} builds the stack, negotiates capabilities and ATTACHes. */
    public static final class Builder {
        private final String id;
        private long capacity = -1;
        private int blockSize = 512;
        private int maxQueueDepth = 128;
        private int maxRequestLength = 32 << 20;
        private Backend backend;
        private Path sidecarDirectory;
        private Duration deadline = StandaloneDiskFactory.EVENT_TIMEOUT;
        private final List<FilterSpec> filters = new ArrayList<>();

        private Builder(String id) {
            this.id = Objects.requireNonNull(id, "id");
        }

        /** Capacity in bytes; defaults to the backend's capacity. */
        public Builder capacity(long bytes) {
            this.capacity = bytes;
            return this;
        }

        public Builder blockSize(int bytes) {
            this.blockSize = bytes;
            return this;
        }

        public Builder maxQueueDepth(int depth) {
            this.maxQueueDepth = depth;
            return this;
        }

        public Builder maxRequestLength(int bytes) {
            this.maxRequestLength = bytes;
            return this;
        }

        public Builder backend(Backend b) {
            this.backend = b;
            return this;
        }

        /** Where filters' sidecars live; required when any filter uses its sidecar. */
        public Builder sidecarDirectory(Path directory) {
            this.sidecarDirectory = directory;
            return this;
        }

        /**
         * The deadline of each control event, of a drain, and of a request a filter holds deferred (default 30 s); a
         * filter that misses it is fenced.
         */
        public Builder deadline(Duration d) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("deadline must be positive, got " + d);
            }
            this.deadline = d;
            return this;
        }

        public Builder filter(String name, FilterClass filterClass, FilterFactory factory, Map<String, Object> config) {
            filters.add(new FilterSpec(name, filterClass, factory, config));
            return this;
        }

        /** Open the disk; refused when a filter refuses to be created or attached, or the spec is invalid. */
        public StandaloneDisk open() throws DiskException {
            if (backend == null) {
                throw new DiskException(DiskException.Reason.INVALID, "disk '" + id + "': no backend given");
            }
            long cap = capacity < 0 ? backend.capacity() : capacity;
            return StandaloneDiskFactory.open(id, cap, blockSize, maxQueueDepth, maxRequestLength, backend,
                    sidecarDirectory, List.copyOf(filters), deadline);
        }
    }
}
