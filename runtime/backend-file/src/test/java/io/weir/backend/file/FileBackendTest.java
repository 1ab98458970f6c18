package io.weir.backend.file;

import static io.weir.backend.BackendTestSupport.call;
import static io.weir.backend.BackendTestSupport.filled;
import static io.weir.backend.BackendTestSupport.ok;
import static io.weir.backend.BackendTestSupport.read;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.weir.backend.Backend;
import io.weir.backend.BackendContractTest;
import io.weir.backend.BackendSpec;
import io.weir.backend.InlineIo;
import io.weir.filter.Capability;
import io.weir.filter.IoError;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;

import org.junit.jupiter.api.Test;

/** The backend contract on the file backend, and what is particular to files: sizes, paths, locks, threads. */
class FileBackendTest extends BackendContractTest {
    private final FileBackendProvider provider = new FileBackendProvider();

    @Override
    protected Backend open(BackendSpec spec) throws IOException {
        return provider.open(spec);
    }

    @Override
    protected Set<Capability> expectedCapabilities() {
        return EnumSet.of(Capability.FLUSH, Capability.FUA, Capability.UNMAP, Capability.WRITE_ZEROES,
                Capability.MULTI_CONN);
    }

    /** Java cannot punch holes: UNMAP writes zeros. */
    @Override
    protected boolean unmapReadsZeros() {
        return true;
    }

    /** Each FLUSH and FUA write is an fdatasync of the file. */
    @Override
    protected int loadPerThread() {
        return 1_000;
    }

    @Test
    void openCreatesAFileOfTheDiskCapacityInTheDiskDirectory() throws Exception {
        try (Backend backend = provider.open(spec(64 * MIB))) {
            Path file = dir.resolve("disk.img");
            assertEquals(64 * MIB, Files.size(file));
            assertEquals(64 * MIB, backend.capacity());
            try (var listing = Files.list(dir)) {
                assertEquals(List.of(file), listing.toList(), "no temporary file is left behind");
            }
        }
    }

    @Test
    void onlyTheOpenThatCreatedTheFileCallsItBlank() throws Exception {
        try (Backend backend = provider.open(spec(MIB))) {
            assertTrue(backend.blank(), "a file this open created holds only zeros");
        }
        try (Backend backend = provider.open(spec(MIB))) {
            assertFalse(backend.blank(), "a file that existed may hold anything");
        }
    }

    @Test
    void pathOptionPlacesTheFileThere() throws Exception {
        Path absolute = dir.resolve("elsewhere.raw");
        try (Backend backend = provider.open(spec(MIB, Map.of("path", absolute.toString())))) {
            ok(backend, IoRequest.write(1, 0, filled(BLOCK, 4), false));
        }
        assertEquals(MIB, Files.size(absolute));
        try (Backend backend = provider.open(spec(MIB, Map.of("path", "relative.raw")))) {
            assertEquals(MIB, backend.capacity());
        }
        assertEquals(MIB, Files.size(dir.resolve("relative.raw")));
        assertFalse(Files.exists(dir.resolve("disk.img")));
    }

    @Test
    void openRefusesExistingFileSmallerThanTheDisk() throws Exception {
        Path file = dir.resolve("disk.img");
        byte[] contents = filled((int) MIB, 5).array();
        Files.write(file, contents);
        IOException e = assertThrows(IOException.class, () -> provider.open(spec(2 * MIB)));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(Long.toString(MIB)) && e.getMessage().contains(Long.toString(2 * MIB)),
                e.getMessage());
        assertArrayEquals(contents, Files.readAllBytes(file), "the file was changed");
    }

    @Test
    void fileLargerThanTheDiskFromAnInterruptedGrowOpensWithItsDataIntact() throws Exception {
        Path file = dir.resolve("disk.img");
        byte[] contents = filled((int) (2 * MIB), 8).array();
        Files.write(file, contents);
        try (Backend backend = provider.open(spec(MIB))) {
            assertArrayEquals(Arrays.copyOf(contents, BLOCK), read(backend, 0, BLOCK));
        }
        assertArrayEquals(contents, Files.readAllBytes(file), "the file was changed");
    }

    @Test
    void secondOpenOfAnOpenFileIsRefused() throws Exception {
        try (Backend backend = provider.open(spec(MIB))) {
            IOException e = assertThrows(IOException.class, () -> provider.open(spec(MIB)));
            assertTrue(e.getMessage().contains("already open"), e.getMessage());
            // The refused open must not have released the first one's lock or channel.
            ok(backend, IoRequest.write(1, 0, filled(BLOCK, 7), true));
        }
        provider.open(spec(MIB)).close();
    }

    @Test
    void callbacksNeverRunOnTheSubmittingThread() throws Exception {
        try (Backend backend = provider.open(spec(MIB))) {
            for (IoRequest request : List.of(IoRequest.read(1, 0, ByteBuffer.allocate(BLOCK)),
                    IoRequest.write(2, 0, filled(BLOCK, 9), true), IoRequest.flush(3),
                    IoRequest.read(4, 2 * MIB, ByteBuffer.allocate(BLOCK)))) {
                CompletableFuture<Thread> ran = new CompletableFuture<>();
                backend.submit(request, status -> ran.complete(Thread.currentThread()));
                assertNotSame(Thread.currentThread(), ran.get(1, TimeUnit.MINUTES), request::toString);
            }
        }
    }

    @Test
    void smallReadsAndWritesWithoutFuaCompleteOnASubmittingThreadThatOffersIt() throws Exception {
        int largest = FileBackend.INLINE_MAX_BYTES;
        try (Backend backend = provider.open(spec(MIB))) {
            for (IoRequest request : List.of(IoRequest.write(1, 0, filled(largest, 3), false),
                    IoRequest.read(2, 0, ByteBuffer.allocate(largest)),
                    IoRequest.read(3, MIB - BLOCK, ByteBuffer.allocate(BLOCK)))) {
                Thread[] ran = new Thread[1];
                try (InlineIo.Offer offer = InlineIo.offer()) {
                    backend.submit(request, status -> {
                        assertTrue(status.isOk(), status::toString);
                        ran[0] = Thread.currentThread();
                    });
                }
                assertSame(Thread.currentThread(), ran[0], "completed before submit returned: " + request);
            }
            assertArrayEquals(filled(largest, 3).array(), read(backend, 0, largest));
        }
    }

    @Test
    void flushFuaZeroingLargeTransfersAndInterruptedThreadsNeverGetTheirOfferTaken() throws Exception {
        int tooLarge = FileBackend.INLINE_MAX_BYTES + BLOCK;
        try (Backend backend = provider.open(spec(MIB))) {
            for (IoRequest request : List.of(IoRequest.write(1, 0, filled(BLOCK, 4), true), IoRequest.flush(2),
                    IoRequest.writeZeroes(3, 0, BLOCK, false), IoRequest.unmap(4, 0, BLOCK),
                    IoRequest.read(5, 0, ByteBuffer.allocate(tooLarge)),
                    IoRequest.write(6, 0, filled(tooLarge, 5), false))) {
                CompletableFuture<Thread> ran = new CompletableFuture<>();
                try (InlineIo.Offer offer = InlineIo.offer()) {
                    backend.submit(request, status -> ran.complete(Thread.currentThread()));
                }
                assertNotSame(Thread.currentThread(), ran.get(1, TimeUnit.MINUTES), request::toString);
            }
            CompletableFuture<Thread> ran = new CompletableFuture<>();
            Thread.currentThread().interrupt();
            try (InlineIo.Offer offer = InlineIo.offer()) {
                backend.submit(IoRequest.read(7, 0, ByteBuffer.allocate(BLOCK)),
                        status -> ran.complete(Thread.currentThread()));
            } finally {
                assertTrue(Thread.interrupted(), "the caller's interrupt is left alone");
            }
            assertNotSame(Thread.currentThread(), ran.get(1, TimeUnit.MINUTES));
            ok(backend, IoRequest.write(8, 0, filled(BLOCK, 6), false)); // the channel is still open
        }
    }

    @Test
    void fileSizeChangesOnlyWithGrow() throws Exception {
        Path file = dir.resolve("disk.img");
        try (Backend backend = provider.open(spec(2 * MIB))) {
            assertThrows(IOException.class, () -> backend.grow(MIB));
            IoStatus status = call(backend, IoRequest.write(1, 2 * MIB - 512, filled(BLOCK, 14), false));
            assertEquals(IoError.OUT_OF_RANGE, status.error());
            assertEquals(2 * MIB, Files.size(file));
            backend.grow(300 * MIB);
            assertEquals(300 * MIB, Files.size(file));
        }
        assertEquals(300 * MIB, Files.size(file));
    }

    @Test
    void failuresNameDiskOperationAndOffsetAndMapNoSpace() {
        IoRequest write = IoRequest.write(9, 8192, ByteBuffer.allocate(512), false);
        IoStatus full = FileBackend.failure("d9", write, new IOException("No space left on device"));
        assertEquals(IoError.NO_SPACE, full.error());
        assertTrue(full.message().contains("'d9'") && full.message().contains("WRITE")
                && full.message().contains("offset 8192"), full.message());
        IoStatus broken = FileBackend.failure("d9", IoRequest.flush(1), new IOException("Input/output error"));
        assertEquals(IoError.IO, broken.error());
        assertTrue(broken.message().contains("FLUSH") && broken.message().contains("Input/output error"),
                broken.message());
    }

    @Test
    void destroyDeletesTheFileAndIsRefusedWhileOpen() throws Exception {
        Backend backend = provider.open(spec(MIB));
        assertThrows(IOException.class, () -> provider.destroy(spec(MIB)));
        backend.close();
        provider.destroy(spec(MIB));
        assertFalse(Files.exists(dir.resolve("disk.img")));
        provider.destroy(spec(MIB));
    }

    @Test
    void threadsOptionMustBeASmallPositiveCount() throws Exception {
        IOException e = assertThrows(IOException.class, () -> provider.open(spec(MIB, Map.of("threads", "0"))));
        assertTrue(e.getMessage().contains("threads=0"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("disk.img")));
        try (Backend backend = provider.open(spec(MIB, Map.of("threads", "1")))) {
            ok(backend, IoRequest.flush(1));
        }
    }

}
