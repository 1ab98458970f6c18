package io.weir.trust;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * A ZIP writer for tests that builds what {@link java.util.zip.ZipOutputStream} refuses to: duplicate names, a local
 * header that disagrees with the central directory, entries only in local headers, bytes between entries.
 * Entries are written in list order; each is stored or deflated.
 */
public final class RawZip {
    /**
     * One entry as written.
     *
     * @param name the name in the central directory
     * @param localName the name in the local header (normally {@code name})
     * @param data the uncompressed data
     * @param deflate whether to deflate the data
     * @param inCentralDirectory whether the central directory lists the entry (false hides it from ZipFile/JarFile)
     * @param junkBefore bytes written just before the local header, belonging to no entry
     */
    public record Item(String name, String localName, byte[] data, boolean deflate, boolean inCentralDirectory,
                       byte[] junkBefore) {
        /** A plain entry. */
        public static Item of(String name, byte[] data) {
            return new Item(name, name, data, !name.endsWith("/"), true, new byte[0]);
        }

        /** This entry with different data. */
        public Item withData(byte[] newData) {
            return new Item(name, localName, newData, deflate, inCentralDirectory, junkBefore);
        }

        /** This entry under another local-header name. */
        public Item withLocalName(String newLocalName) {
            return new Item(name, newLocalName, data, deflate, inCentralDirectory, junkBefore);
        }

        /** This entry, absent from the central directory. */
        public Item hidden() {
            return new Item(name, localName, data, deflate, false, junkBefore);
        }
    }

    private final List<Item> items = new ArrayList<>();
    private byte[] trailing = new byte[0];

    /** The items of an existing ZIP, in central directory order. */
    public static RawZip read(Path zip) throws IOException {
        RawZip raw = new RawZip();
        try (ZipFile file = new ZipFile(zip.toFile())) {
            for (ZipEntry entry : Collections.list(file.entries())) {
                byte[] data = file.getInputStream(entry).readAllBytes();
                raw.items.add(new Item(entry.getName(), entry.getName(), data, entry.getMethod() == ZipEntry.DEFLATED,
                        true, new byte[0]));
            }
        }
        return raw;
    }

    /** The items, mutable. */
    public List<Item> items() {
        return items;
    }

    /** The index of the item named {@code name}. */
    public int indexOf(String name) {
        for (int i = 0; i < items.size(); i++) {
            if (items.get(i).name().equals(name)) {
                return i;
            }
        }
        throw new IllegalArgumentException("no entry " + name);
    }

    /** The data of the item named {@code name}. */
    public byte[] data(String name) {
        return items.get(indexOf(name)).data();
    }

    /** Appends an item. */
    public RawZip add(Item item) {
        items.add(item);
        return this;
    }

    /** Bytes written after the end-of-central-directory record. */
    public RawZip trailing(byte[] bytes) {
        trailing = bytes.clone();
        return this;
    }

    /** Writes the ZIP. */
    public Path write(Path out) throws IOException {
        Files.write(out, bytes());
        return out;
    }

    /** The ZIP's bytes. */
    public byte[] bytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream central = new ByteArrayOutputStream();
        int count = 0;
        for (Item item : items) {
            out.writeBytes(item.junkBefore());
            byte[] stored = item.deflate() ? deflate(item.data()) : item.data();
            CRC32 crc = new CRC32();
            crc.update(item.data());
            int method = item.deflate() ? ZipEntry.DEFLATED : ZipEntry.STORED;
            int offset = out.size();
            byte[] localName = item.localName().getBytes(StandardCharsets.UTF_8);
            u32(out, 0x04034b50);
            u16(out, 20);
            u16(out, 1 << 11);
            u16(out, method);
            u32(out, 0x5A210000L);
            u32(out, crc.getValue());
            u32(out, stored.length);
            u32(out, item.data().length);
            u16(out, localName.length);
            u16(out, 0);
            out.writeBytes(localName);
            out.writeBytes(stored);
            if (!item.inCentralDirectory()) {
                continue;
            }
            byte[] name = item.name().getBytes(StandardCharsets.UTF_8);
            u32(central, 0x02014b50);
            u16(central, 20);
            u16(central, 20);
            u16(central, 1 << 11);
            u16(central, method);
            u32(central, 0x5A210000L);
            u32(central, crc.getValue());
            u32(central, stored.length);
            u32(central, item.data().length);
            u16(central, name.length);
            u16(central, 0);
            u16(central, 0);
            u16(central, 0);
            u16(central, 0);
            u32(central, 0);
            u32(central, offset);
            central.writeBytes(name);
            count++;
        }
        int centralOffset = out.size();
        out.writeBytes(central.toByteArray());
        u32(out, 0x06054b50);
        u16(out, 0);
        u16(out, 0);
        u16(out, count);
        u16(out, count);
        u32(out, central.size());
        u32(out, centralOffset);
        u16(out, 0);
        out.writeBytes(trailing);
        return out.toByteArray();
    }

    private static byte[] deflate(byte[] data) {
        Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
        try {
            deflater.setInput(data);
            deflater.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buffer = new byte[4096];
            while (!deflater.finished()) {
                out.write(buffer, 0, deflater.deflate(buffer));
            }
            return out.toByteArray();
        } finally {
            deflater.end();
        }
    }

    private static void u16(ByteArrayOutputStream out, int value) {
        out.write(value & 0xFF);
        out.write((value >>> 8) & 0xFF);
    }

    private static void u32(ByteArrayOutputStream out, long value) {
        u16(out, (int) (value & 0xFFFF));
        u16(out, (int) ((value >>> 16) & 0xFFFF));
    }
}
