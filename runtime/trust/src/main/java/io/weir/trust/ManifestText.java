package io.weir.trust;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes manifest-format text (the manifest and signature files) byte for byte, so that the digests of its sections
 * can be computed over exactly the bytes written: lines end with CRLF, are at most 72 bytes, and are continued on
 * lines starting with one space without splitting a UTF-8 sequence; a blank line ends every section.
 */
final class ManifestText {
    private static final int MAX_LINE = 72;
    private static final byte[] NEWLINE = {'\r', '\n'};

    /** One section as written: its name ({@code null} for the main section) and its exact bytes, blank line included. */
    record Section(String name, byte[] bytes) {
    }

    private final List<Section> sections = new ArrayList<>();

    /** Adds the main section (must come first). */
    ManifestText main(Map<String, String> attributes) {
        sections.add(new Section(null, section(attributes)));
        return this;
    }

    /** Adds a named section ({@code Name:} first, then the attributes). */
    ManifestText section(String name, Map<String, String> attributes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        line(out, "Name", name);
        byte[] rest = section(attributes);
        out.write(rest, 0, rest.length);
        sections.add(new Section(name, out.toByteArray()));
        return this;
    }

    List<Section> sections() {
        return sections;
    }

    /** The whole text. */
    byte[] bytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Section section : sections) {
            out.write(section.bytes(), 0, section.bytes().length);
        }
        return out.toByteArray();
    }

    private static byte[] section(Map<String, String> attributes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        attributes.forEach((key, value) -> line(out, key, value));
        out.write(NEWLINE, 0, NEWLINE.length);
        return out.toByteArray();
    }

    private static void line(ByteArrayOutputStream out, String key, String value) {
        if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0 || value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("manifest attribute " + key + " holds a line break or NUL");
        }
        byte[] line = (key + ": " + value).getBytes(StandardCharsets.UTF_8);
        int at = 0;
        int room = MAX_LINE;
        while (true) {
            int end = Math.min(line.length, at + room);
            while (end < line.length && end > at && (line[end] & 0xC0) == 0x80) {
                end--; // never split a UTF-8 sequence
            }
            out.write(line, at, end - at);
            out.write(NEWLINE, 0, NEWLINE.length);
            at = end;
            if (at >= line.length) {
                return;
            }
            out.write(' ');
            room = MAX_LINE - 1;
        }
    }
}
