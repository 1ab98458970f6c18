package io.weir.deploy.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsStoreTest {
    @TempDir
    Path tmp;

    @Test
    void storedSettingsAreReadBackByANewStoreOnTheSameFolder() throws Exception {
        new SettingsStore(tmp.resolve("settings")).put("io.example.receiver", Map.of("port", "10810", "dir", "/srv/r"));
        Map<String, Map<String, String>> again = new SettingsStore(tmp.resolve("settings")).load((f, why) -> {
            throw new AssertionError(f + ": " + why);
        });
        assertEquals(Map.of("io.example.receiver", Map.of("port", "10810", "dir", "/srv/r")), again);
    }

    @Test
    void removingSettingsForgetsThemAndSaysWhetherThereWereAny() throws Exception {
        SettingsStore store = new SettingsStore(tmp);
        store.put("a.b", Map.of("k", "v"));
        assertTrue(store.remove("a.b"));
        assertFalse(store.remove("a.b"));
        assertTrue(store.load((f, why) -> { }).isEmpty());
    }

    @Test
    void aPidThatCouldLeaveTheFolderIsRefused() {
        SettingsStore store = new SettingsStore(tmp);
        for (String pid : List.of("../etc", "a/b", "", "..", ".hidden")) {
            assertFalse(SettingsStore.validPid(pid), pid);
            assertThrows(IllegalArgumentException.class, () -> store.put(pid, Map.of()), pid);
        }
    }

    @Test
    void anUnreadableFileIsReportedAndTheOthersStillLoad() throws Exception {
        SettingsStore store = new SettingsStore(tmp);
        store.put("good.pid", Map.of("k", "v"));
        Files.writeString(tmp.resolve("bad.pid.json"), "{not json");
        List<String> broken = new ArrayList<>();
        Map<String, Map<String, String>> loaded = store.load((f, why) -> broken.add(f.getFileName().toString()));
        assertEquals(Map.of("good.pid", Map.of("k", "v")), loaded);
        assertEquals(List.of("bad.pid.json"), broken);
    }
}
