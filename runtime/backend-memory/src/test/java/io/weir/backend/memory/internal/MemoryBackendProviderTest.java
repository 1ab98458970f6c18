package io.weir.backend.memory.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;

import io.weir.backend.Backend;
import io.weir.backend.BackendSpec;
import io.weir.backend.memory.MemoryBackend;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;

import org.junit.jupiter.api.Test;

class MemoryBackendProviderTest {
    private static final long MIB = 1 << 20;

    private static BackendSpec spec(String id, long capacity, Map<String, String> options) {
        return new BackendSpec(id, capacity, 512, Path.of("unused"), options);
    }

    private static IoStatus[] run(Backend backend, IoRequest request) {
        IoStatus[] status = new IoStatus[1];
        backend.submit(request, s -> status[0] = s);
        return status;
    }

    @Test
    void contentsOutliveCloseAndReopen() throws IOException {
        MemoryBackendProvider provider = new MemoryBackendProvider();
        Backend first = provider.open(spec("d1", MIB, Map.of()));
        byte[] data = new byte[4096];
        data[0] = 42;
        assertTrue(run(first, IoRequest.write(1, 0, ByteBuffer.wrap(data), false))[0].isOk());
        first.close();
        Backend second = provider.open(spec("d1", MIB, Map.of()));
        ByteBuffer back = ByteBuffer.allocate(4096);
        assertTrue(run(second, IoRequest.read(2, 0, back))[0].isOk());
        assertArrayEquals(data, back.array());
    }

    @Test
    void destroyDropsTheContents() throws IOException {
        MemoryBackendProvider provider = new MemoryBackendProvider();
        Backend first = provider.open(spec("d2", MIB, Map.of()));
        assertTrue(run(first, IoRequest.write(1, 0, ByteBuffer.wrap(new byte[] {1, 2}), false))[0].isOk());
        first.close();
        provider.destroy(spec("d2", MIB, Map.of()));
        assertArrayEquals(new byte[2], ((MemoryBackend) provider.open(spec("d2", MIB, Map.of()))).peek(0, 2));
    }

    @Test
    void openRefusesExistingDiskOfOtherCapacity() throws IOException {
        MemoryBackendProvider provider = new MemoryBackendProvider();
        provider.open(spec("d3", MIB, Map.of())).close();
        IOException e = assertThrows(IOException.class, () -> provider.open(spec("d3", 2 * MIB, Map.of())));
        assertTrue(e.getMessage().contains("d3") && e.getMessage().contains(String.valueOf(MIB)), e.getMessage());
    }

    @Test
    void modeOptionSelectsTheVolatileCache() throws IOException {
        MemoryBackendProvider provider = new MemoryBackendProvider();
        MemoryBackend cached = (MemoryBackend) provider.open(spec("d4", MIB, Map.of("mode", "volatile-cache", "seed", "7")));
        assertTrue(cached.isVolatileCache());
        assertFalse(((MemoryBackend) provider.open(spec("d5", MIB, Map.of()))).isVolatileCache());
        assertThrows(IOException.class, () -> provider.open(spec("d4", MIB, Map.of())));
        IOException bad = assertThrows(IOException.class, () -> provider.open(spec("d6", MIB, Map.of("mode", "fast"))));
        assertTrue(bad.getMessage().contains("mode=fast"), bad.getMessage());
        assertThrows(IOException.class, () -> provider.open(spec("d7", MIB, Map.of("seed", "x"))));
        assertEquals(MIB, cached.capacity());
    }
}
