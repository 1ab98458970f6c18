package io.weir.backend.memory.internal;

import static io.weir.backend.BackendTestSupport.ok;
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

import org.junit.jupiter.api.Test;

/** The provider's own rules; the backend contract runs through the provider in {@code MemoryBackendContractTest}. */
class MemoryBackendProviderTest {
    private static final long MIB = 1 << 20;

    private static BackendSpec spec(String id, long capacity, Map<String, String> options) {
        return new BackendSpec(id, capacity, 512, Path.of("unused"), options);
    }

    @Test
    void destroyDropsTheContents() throws Exception {
        MemoryBackendProvider provider = new MemoryBackendProvider();
        Backend first = provider.open(spec("d2", MIB, Map.of()));
        ok(first, IoRequest.write(1, 0, ByteBuffer.wrap(new byte[] {1, 2}), false));
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
