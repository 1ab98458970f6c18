package io.weir.vscsi.disk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.weir.backend.ForwardingBackend;
import io.weir.backend.memory.MemoryBackend;
import io.weir.filter.FilterClass;
import io.weir.filter.FilterContext;
import io.weir.filter.FilterFactory;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;
import io.weir.vscsi.standalone.Disks;
import io.weir.vscsi.standalone.StandaloneDisk;

/** A filter can tell a new, empty disk from one that holds data, across restarts. */
class BlankDiskTest {
    private static final long CAPACITY = 1 << 20;

    @TempDir
    Path sidecars;

    private final List<Boolean> seenAtCreate = new CopyOnWriteArrayList<>();
    private final List<FilterContext> contexts = new CopyOnWriteArrayList<>();

    private final FilterFactory recorder = ctx -> {
        seenAtCreate.add(ctx.blank());
        contexts.add(ctx);
        return (r, c) -> c.pass();
    };

    /** A backend over existing storage: it cannot vouch for the content. */
    private static final class Existing extends ForwardingBackend {
        Existing(MemoryBackend delegate) {
            super(delegate);
        }

        @Override
        public boolean blank() {
            return false;
        }
    }

    private StandaloneDisk open(io.weir.backend.Backend backend) throws Exception {
        return Disks.builder("d").backend(backend).sidecarDirectory(sidecars)
                .filter("recorder", FilterClass.INSPECTION, recorder, Map.of()).open();
    }

    private static IoStatus run(StandaloneDisk disk, IoRequest r) throws Exception {
        CompletableFuture<IoStatus> f = new CompletableFuture<>();
        disk.submit(r, f::complete);
        return f.get(10, TimeUnit.SECONDS);
    }

    @Test
    void newDiskIsBlankUntilTheFirstWriteAndReadsDoNotChangeThat() throws Exception {
        MemoryBackend memory = MemoryBackend.durable(CAPACITY);
        try (StandaloneDisk disk = open(memory)) {
            assertEquals(List.of(true), seenAtCreate);
            assertTrue(run(disk, IoRequest.read(1, 0, ByteBuffer.allocate(4096))).isOk());
            assertTrue(run(disk, IoRequest.flush(2)).isOk());
            assertTrue(contexts.get(0).blank(), "reads and flushes leave the disk blank");
            assertTrue(run(disk, IoRequest.write(3, 0, ByteBuffer.allocate(4096), false)).isOk());
            assertFalse(contexts.get(0).blank());
        }
    }

    @Test
    void blanknessSurvivesARestartOverTheSameStorageUntilWritten() throws Exception {
        MemoryBackend memory = MemoryBackend.durable(CAPACITY);
        try (StandaloneDisk disk = open(memory)) {
            assertTrue(Files.exists(sidecars.resolve(DiskImpl.BLANK_MARKER)));
        }
        // The second open sees storage that already existed: only the marker vouches for it.
        try (StandaloneDisk disk = open(new Existing(memory.reopen()))) {
            assertEquals(List.of(true, true), seenAtCreate);
            assertTrue(run(disk, IoRequest.write(1, 8192, ByteBuffer.allocate(4096), true)).isOk());
            assertFalse(Files.exists(sidecars.resolve(DiskImpl.BLANK_MARKER)), "the first write removes the marker");
        }
        try (StandaloneDisk disk = open(new Existing(memory.reopen()))) {
            assertEquals(List.of(true, true, false), seenAtCreate);
        }
    }

    @Test
    void storageThatExistedBeforeIsNeverBlank() throws Exception {
        try (StandaloneDisk disk = open(new Existing(MemoryBackend.durable(CAPACITY)))) {
            assertEquals(List.of(false), seenAtCreate);
            assertFalse(Files.exists(sidecars.resolve(DiskImpl.BLANK_MARKER)));
        }
    }

    @Test
    void aFilterOwnWriteAlsoEndsBlankness() throws Exception {
        try (StandaloneDisk disk = open(MemoryBackend.durable(CAPACITY))) {
            CompletableFuture<IoStatus> f = new CompletableFuture<>();
            contexts.get(0).submit(IoRequest.writeZeroes(1, 0, 4096, false), f::complete);
            assertTrue(f.get(10, TimeUnit.SECONDS).isOk());
            assertFalse(contexts.get(0).blank());
        }
    }
}
