package io.weir.vscsi.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.weir.vscsi.DiskSpec;
import io.weir.vscsi.FilterAttachment;

class CatalogTest {
    @TempDir
    Path dir;

    private static DiskSpec disk(String id) {
        return new DiskSpec(id, 1L << 30, 4096, "file", Map.of("path", "/x/" + id),
                List.of(new FilterAttachment("cache", Map.of("mode", "write-back", "blocks", 4096L, "on", true))));
    }

    @Test
    void savedDisksLoadBackEqual() throws IOException {
        Catalog c = new Catalog(dir);
        assertFalse(c.exists());
        assertEquals(List.of(), c.load());
        c.save(List.of(disk("a"), disk("b")));
        assertEquals(List.of(disk("a"), disk("b")), new Catalog(dir).load());
    }

    @Test
    void theVersionADiskStaysOnIsKeptAndAbsentMeansTheNewest() throws IOException {
        DiskSpec pinned = disk("p").withFilters(List.of(new FilterAttachment("tap", Map.of(), "1.1.0")));
        new Catalog(dir).save(List.of(pinned, disk("n")));
        List<DiskSpec> back = new Catalog(dir).load();
        assertEquals("1.1.0", back.get(0).filters().get(0).version());
        assertEquals("", back.get(1).filters().get(0).version());
        assertFalse(Files.readString(new Catalog(dir).file()).contains("\"version\": \"\""),
                "no version is written for the newest");
    }

    @Test
    void corruptCatalogIsReportedWithItsFileAndLeftUntouched() throws IOException {
        Catalog c = new Catalog(dir);
        c.save(List.of(disk("a")));
        String broken = Files.readString(c.file()).substring(0, 40);
        Files.writeString(c.file(), broken);
        IOException e = assertThrows(IOException.class, () -> new Catalog(dir).load());
        assertTrue(e.getMessage().contains(c.file().toString()) && e.getMessage().contains("corrupt"), e.getMessage());
        assertEquals(broken, Files.readString(c.file(), StandardCharsets.UTF_8));
    }

    @Test
    void duplicateDiskIsReportedByName() throws IOException {
        Catalog c = new Catalog(dir);
        c.save(List.of(disk("a"), disk("a")));
        IOException e = assertThrows(IOException.class, c::load);
        assertTrue(e.getMessage().contains("disk 'a' is defined twice"), e.getMessage());
    }

    @Test
    void unknownFormatIsRefused() throws IOException {
        Files.writeString(dir.resolve("catalog.json"), "{\"format\": 9, \"disks\": []}");
        IOException e = assertThrows(IOException.class, () -> new Catalog(dir).load());
        assertTrue(e.getMessage().contains("format 9"), e.getMessage());
    }

    @Test
    void interruptedSaveLeavesThePreviousCatalog() throws IOException {
        Catalog c = new Catalog(dir);
        c.save(List.of(disk("a")));
        Files.writeString(dir.resolve("catalog.json.tmp"), "{\"format\": 1, \"disks\": [{\"id\""); // crash mid-write
        assertEquals(List.of(disk("a")), new Catalog(dir).load());
        c.save(List.of(disk("a"), disk("b")));
        assertEquals(2, new Catalog(dir).load().size());
    }
}
