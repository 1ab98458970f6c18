package io.weir.vscsi.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.weir.filter.Sidecar;

class SidecarStoreTest {
    @TempDir
    Path dir;

    @Test
    void updatesSurviveReopening() throws IOException {
        Sidecar s = new SidecarStore(dir).forFilter("cache");
        s.put("key.id", new byte[] {1, 2, 3});
        s.update(Map.of("a", new byte[] {4}, "b", new byte[0]), Set.of("key.id"));
        Sidecar again = new SidecarStore(dir).forFilter("cache");
        assertEquals(Set.of("a", "b"), again.keys());
        assertArrayEquals(new byte[] {4}, again.get("a").orElseThrow());
        assertEquals(Optional.empty(), again.get("key.id"));
    }

    @Test
    void corruptSidecarIsReportedWithItsFileNeverEmptied() throws IOException {
        new SidecarStore(dir).forFilter("cache").put("k", new byte[] {9, 9});
        Path file = dir.resolve("cache.sidecar");
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 6] ^= 0x40;
        Files.write(file, bytes);
        Sidecar s = new SidecarStore(dir).forFilter("cache");
        IOException e = assertThrows(IOException.class, () -> s.get("k"));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("checksum"), e.getMessage());
        assertThrows(IOException.class, () -> s.put("other", new byte[1]));
        assertArrayEquals(bytes, Files.readAllBytes(file), "a corrupt sidecar was rewritten");
    }

    @Test
    void leftoverTemporaryFileFromACrashIsIgnored() throws IOException {
        new SidecarStore(dir).forFilter("cache").put("k", new byte[] {1});
        Files.write(dir.resolve("cache.sidecar.tmp"), new byte[] {0, 1, 2}); // a crash mid-update
        assertArrayEquals(new byte[] {1}, new SidecarStore(dir).forFilter("cache").get("k").orElseThrow());
    }

    @Test
    void badKeysAreRefusedWithTheRuleStated() {
        Sidecar s = new SidecarStore(dir).forFilter("cache");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.put("../x", new byte[1]));
        assertTrue(e.getMessage().contains("1-128 letters"), e.getMessage());
    }

    @Test
    void filtersKeepSeparateSidecars() throws IOException {
        SidecarStore store = new SidecarStore(dir);
        store.forFilter("a").put("k", new byte[] {1});
        store.forFilter("b").put("k", new byte[] {2});
        assertArrayEquals(new byte[] {1}, store.forFilter("a").get("k").orElseThrow());
        store.remove("a");
        assertEquals(Set.of(), new SidecarStore(dir).forFilter("a").keys());
        assertArrayEquals(new byte[] {2}, new SidecarStore(dir).forFilter("b").get("k").orElseThrow());
    }
}
