package io.weir.trust;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * An independent, strict reading of a ZIP file's structure, so that every reader (the central directory, as
 * {@code ZipFile}/{@code JarFile} and Felix read it; the local headers, as {@code JarInputStream} reads them) sees the
 * same entries with the same bytes. Records a problem, with the entry name and offset, for: an end-of-central-directory
 * record not exactly at the end of the file (trailing data) or one hidden in the comment; ZIP64 and multi-disk
 * archives (never needed for a bundle); central directory entries that do not fill the directory exactly; encrypted
 * entries, compression methods other than stored and deflated; names that are not UTF-8, empty, absolute, with
 * {@code ..} segments, backslashes or NUL; local headers that disagree with the central directory (name, flags,
 * method, CRC, sizes, data descriptor); bytes outside every entry (before the first, between entries, before the
 * central directory), which is also where a local header missing from the central directory would hide; overlapping
 * entries; data that does not inflate to the declared size and CRC; duplicate names; and a manifest that is not the
 * first entry (after an optional {@code META-INF/}), which {@code JarInputStream} would not see.
 */
final class ZipImage {
    static final int METHOD_STORED = 0;
    static final int METHOD_DEFLATED = 8;

    private static final int EOCD_SIGNATURE = 0x06054b50;
    private static final int EOCD_SIZE = 22;
    private static final int MAX_COMMENT = 0xFFFF;
    private static final int ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
    private static final int ZIP64_LOCATOR_SIZE = 20;
    private static final int CENTRAL_SIGNATURE = 0x02014b50;
    private static final int CENTRAL_SIZE = 46;
    private static final int LOCAL_SIGNATURE = 0x04034b50;
    private static final int LOCAL_SIZE = 30;
    private static final int DESCRIPTOR_SIGNATURE = 0x08074b50;
    private static final int FLAG_ENCRYPTED = 1;
    private static final int FLAG_DESCRIPTOR = 1 << 3;
    private static final int FLAG_UTF8 = 1 << 11;
    private static final int FLAGS_COMPARED = FLAG_ENCRYPTED | FLAG_DESCRIPTOR | FLAG_UTF8;
    private static final int ZIP64_EXTRA_ID = 0x0001;
    private static final long ZIP64_MARKER_32 = 0xFFFFFFFFL;
    private static final int ZIP64_MARKER_16 = 0xFFFF;
    private static final String MANIFEST = "META-INF/MANIFEST.MF";
    private static final String META_INF = "META-INF/";

    /**
     * One entry as the central directory lists it, checked against its local header.
     *
     * @param name the entry name
     * @param method {@link #METHOD_STORED} or {@link #METHOD_DEFLATED} (others are a problem)
     * @param crc CRC-32 of the uncompressed data
     * @param compressedSize bytes of data in the file
     * @param size bytes once uncompressed
     * @param localOffset offset of the local header
     * @param dataOffset offset of the data, or -1 when the local header is unusable
     * @param end offset just past the data (and data descriptor), or -1 when the local header is unusable
     * @param dosTime the MS-DOS date and time of the entry (date in the high 16 bits)
     */
    record Entry(String name, int method, long crc, long compressedSize, long size, long localOffset, long dataOffset,
                 long end, long dosTime) {
        boolean directory() {
            return name.endsWith("/");
        }

        boolean readable() {
            return dataOffset >= 0 && (method == METHOD_STORED || method == METHOD_DEFLATED);
        }
    }

    /** A problem found, with the code it maps to. */
    record Problem(ReasonCode code, String message) {
    }

    private final byte[] bytes;
    private final List<Entry> entries = new ArrayList<>();
    private final List<Problem> problems = new ArrayList<>();

    private ZipImage(byte[] bytes) {
        this.bytes = bytes;
    }

    /** Reads the structure of {@code bytes}; never throws for malformed input, recording problems instead. */
    static ZipImage parse(byte[] bytes) {
        ZipImage image = new ZipImage(bytes);
        image.read();
        return image;
    }

    /** The central directory entries, in directory order (unusable ones included, flagged by a problem). */
    List<Entry> entries() {
        return entries;
    }

    /** Every structural problem, in the order found. */
    List<Problem> problems() {
        return problems;
    }

    /** The uncompressed data of a readable entry. */
    byte[] content(Entry entry) throws DataFormatException {
        if (!entry.readable()) {
            throw new DataFormatException("entry '" + entry.name() + "' is not readable");
        }
        if (entry.size() > Integer.MAX_VALUE - 8) {
            throw new DataFormatException("entry '" + entry.name() + "' is too large: " + entry.size() + " bytes");
        }
        byte[] out = new byte[(int) entry.size()];
        int produced = inflate(entry, out, null);
        if (produced != entry.size()) {
            throw new DataFormatException("entry '" + entry.name() + "' inflates to " + produced + " bytes, not "
                    + entry.size());
        }
        return out;
    }

    private void read() {
        int eocd = findEndOfCentralDirectory();
        if (eocd < 0) {
            return;
        }
        if (eocd >= ZIP64_LOCATOR_SIZE && u32(eocd - ZIP64_LOCATOR_SIZE) == ZIP64_LOCATOR_SIGNATURE) {
            problem("ZIP64 end-of-central-directory locator at offset " + (eocd - ZIP64_LOCATOR_SIZE)
                    + ": ZIP64 archives are not accepted");
            return;
        }
        int disk = u16(eocd + 4);
        int centralDisk = u16(eocd + 6);
        int diskEntries = u16(eocd + 8);
        int total = u16(eocd + 10);
        long centralSize = u32(eocd + 12);
        long centralOffset = u32(eocd + 16);
        if (total == ZIP64_MARKER_16 || diskEntries == ZIP64_MARKER_16 || centralSize == ZIP64_MARKER_32
                || centralOffset == ZIP64_MARKER_32) {
            problem("end-of-central-directory record at offset " + eocd
                    + " defers to ZIP64 values: ZIP64 archives are not accepted");
            return;
        }
        if (disk != 0 || centralDisk != 0 || diskEntries != total) {
            problem("end-of-central-directory record at offset " + eocd + " describes a multi-disk archive");
            return;
        }
        long centralEnd = centralOffset + centralSize;
        if (centralEnd > eocd) {
            problem("central directory (offset " + centralOffset + ", " + centralSize
                    + " bytes) runs past its end record at offset " + eocd);
            return;
        }
        if (centralEnd < eocd) {
            problem((eocd - centralEnd) + " bytes at offset " + centralEnd
                    + " between the central directory and its end record belong to no entry");
        }
        readCentralDirectory((int) centralOffset, (int) centralEnd, total);
        checkCoverage(centralOffset);
        checkDuplicates();
        checkManifestFirst();
    }

    private int findEndOfCentralDirectory() {
        int lowest = Math.max(0, bytes.length - EOCD_SIZE - MAX_COMMENT);
        List<Integer> candidates = new ArrayList<>();
        for (int at = bytes.length - EOCD_SIZE; at >= lowest; at--) {
            if (u32(at) == EOCD_SIGNATURE) {
                candidates.add(at);
            }
        }
        if (candidates.isEmpty()) {
            problem("no end-of-central-directory record: not a ZIP file");
            return -1;
        }
        List<Integer> complete = candidates.stream()
                .filter(at -> at + EOCD_SIZE + u16(at + 20) == bytes.length).toList();
        if (!complete.isEmpty()) {
            int at = complete.get(0);
            if (complete.size() > 1 || at != candidates.get(0)) {
                int other = complete.size() > 1 ? complete.get(1) : candidates.get(0);
                int outer = Math.min(at, other);
                problem("the archive comment at offset " + (outer + EOCD_SIZE)
                        + " holds another end-of-central-directory record (records at offsets " + outer + " and "
                        + Math.max(at, other) + "): readers may disagree on the central directory");
            }
            return at;
        }
        int last = candidates.get(0);
        long expectedEnd = (long) last + EOCD_SIZE + u16(last + 20);
        problem(expectedEnd < bytes.length
                ? (bytes.length - expectedEnd) + " bytes of trailing data after the archive end at offset " + expectedEnd
                : "the archive comment of the end-of-central-directory record at offset " + last
                        + " runs past the end of the file");
        return last;
    }

    private void readCentralDirectory(int offset, int centralEnd, int total) {
        int at = offset;
        for (int index = 0; index < total; index++) {
            if (at + CENTRAL_SIZE > centralEnd || u32(at) != CENTRAL_SIGNATURE) {
                problem("central directory entry #" + (index + 1) + " of " + total + " at offset " + at
                        + " is missing or malformed");
                return;
            }
            int flags = u16(at + 8);
            int method = u16(at + 10);
            long dosTime = u32(at + 12);
            long crc = u32(at + 16);
            long compressed = u32(at + 20);
            long size = u32(at + 24);
            int nameLength = u16(at + 28);
            int extraLength = u16(at + 30);
            int commentLength = u16(at + 32);
            int startDisk = u16(at + 34);
            long localOffset = u32(at + 42);
            int next = at + CENTRAL_SIZE + nameLength + extraLength + commentLength;
            if (next > centralEnd) {
                problem("central directory entry #" + (index + 1) + " at offset " + at + " runs past the directory");
                return;
            }
            byte[] rawName = Arrays.copyOfRange(bytes, at + CENTRAL_SIZE, at + CENTRAL_SIZE + nameLength);
            String name = decodeName(rawName, at);
            String where = "entry '" + name + "' (central directory offset " + at + ")";
            boolean usable = true;
            if (compressed == ZIP64_MARKER_32 || size == ZIP64_MARKER_32 || localOffset == ZIP64_MARKER_32
                    || startDisk == ZIP64_MARKER_16) {
                problem(where + " defers to ZIP64 values: ZIP64 archives are not accepted");
                usable = false;
            }
            usable &= checkExtra(at + CENTRAL_SIZE + nameLength, extraLength, where);
            if ((flags & FLAG_ENCRYPTED) != 0) {
                problem(where + " is encrypted");
                usable = false;
            }
            if (method != METHOD_STORED && method != METHOD_DEFLATED) {
                problem(where + " uses compression method " + method + "; only stored and deflated are accepted");
                usable = false;
            }
            if (method == METHOD_STORED && compressed != size) {
                problem(where + " is stored but its sizes differ (" + compressed + " and " + size + ")");
                usable = false;
            }
            if (startDisk != 0) {
                problem(where + " starts on disk " + startDisk);
                usable = false;
            }
            Entry entry = usable ? readLocal(name, rawName, flags, method, crc, compressed, size, localOffset,
                    dosTime, offset)
                    : new Entry(name, method, crc, compressed, size, localOffset, -1, -1, dosTime);
            entries.add(entry);
            at = next;
        }
        if (at != centralEnd) {
            problem((centralEnd - at) + " bytes at offset " + at + " in the central directory follow its " + total
                    + " entries");
        }
    }

    private String decodeName(byte[] rawName, int at) {
        String name;
        try {
            CharBuffer decoded = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(rawName));
            name = decoded.toString();
        } catch (CharacterCodingException e) {
            name = new String(rawName, StandardCharsets.UTF_8);
            problem("entry name '" + name + "' at central directory offset " + at + " is not valid UTF-8");
            return name;
        }
        if (name.isEmpty()) {
            problem("an entry at central directory offset " + at + " has an empty name");
        } else if (name.indexOf('\0') >= 0 || name.indexOf('\\') >= 0 || name.startsWith("/")
                || Arrays.asList(name.split("/")).contains("..")) {
            problem("entry name '" + name.replace('\0', '?') + "' at central directory offset " + at
                    + " is not a plain relative path (absolute, '..', backslash or NUL)");
        }
        return name;
    }

    private boolean checkExtra(int offset, int length, String where) {
        int at = offset;
        int end = offset + length;
        while (at < end) {
            if (at + 4 > end) {
                problem(where + " has a truncated extra field at offset " + at);
                return false;
            }
            int id = u16(at);
            int size = u16(at + 2);
            if (at + 4 + size > end) {
                problem(where + " has an extra field (id 0x" + Integer.toHexString(id) + ") overrunning its extra data at offset " + at);
                return false;
            }
            if (id == ZIP64_EXTRA_ID) {
                problem(where + " carries a ZIP64 extra field: ZIP64 archives are not accepted");
                return false;
            }
            at += 4 + size;
        }
        return true;
    }

    private Entry readLocal(String name, byte[] rawName, int flags, int method, long crc, long compressed, long size,
                            long localOffset, long dosTime, long centralOffset) {
        Entry unusable = new Entry(name, method, crc, compressed, size, localOffset, -1, -1, dosTime);
        String where = "entry '" + name + "' (local header offset " + localOffset + ")";
        if (localOffset + LOCAL_SIZE > centralOffset || u32((int) localOffset) != LOCAL_SIGNATURE) {
            problem("entry '" + name + "': no local header at offset " + localOffset);
            return unusable;
        }
        int at = (int) localOffset;
        int localFlags = u16(at + 6);
        int localMethod = u16(at + 8);
        long localCrc = u32(at + 14);
        long localCompressed = u32(at + 18);
        long localSize = u32(at + 22);
        int nameLength = u16(at + 26);
        int extraLength = u16(at + 28);
        long dataOffset = localOffset + LOCAL_SIZE + nameLength + extraLength;
        if (dataOffset > centralOffset) {
            problem(where + " runs into the central directory");
            return unusable;
        }
        byte[] localName = Arrays.copyOfRange(bytes, at + LOCAL_SIZE, at + LOCAL_SIZE + nameLength);
        boolean consistent = true;
        if (!Arrays.equals(localName, rawName)) {
            problem(where + ": the local header names it '" + new String(localName, StandardCharsets.UTF_8)
                    + "', the central directory '" + name + "'");
            consistent = false;
        }
        if ((localFlags & FLAGS_COMPARED) != (flags & FLAGS_COMPARED)) {
            problem(where + ": local header flags 0x" + Integer.toHexString(localFlags)
                    + " disagree with the central directory's 0x" + Integer.toHexString(flags));
            consistent = false;
        }
        if (localMethod != method) {
            problem(where + ": local header method " + localMethod + " disagrees with the central directory's " + method);
            consistent = false;
        }
        consistent &= checkExtra(at + LOCAL_SIZE + nameLength, extraLength, where);
        boolean descriptor = (flags & FLAG_DESCRIPTOR) != 0;
        boolean zeroed = localCrc == 0 && localCompressed == 0 && localSize == 0;
        if (!(descriptor && zeroed) && (localCrc != crc || localCompressed != compressed || localSize != size)) {
            problem(where + ": local header CRC/sizes (" + Long.toHexString(localCrc) + ", " + localCompressed + ", "
                    + localSize + ") disagree with the central directory's (" + Long.toHexString(crc) + ", "
                    + compressed + ", " + size + ")");
            consistent = false;
        }
        long dataEnd = dataOffset + compressed;
        if (dataEnd > centralOffset) {
            problem(where + ": its " + compressed + " bytes of data run into the central directory");
            return unusable;
        }
        long end = dataEnd;
        if (descriptor) {
            int descriptorLength = dataEnd + 4 <= centralOffset && u32((int) dataEnd) == DESCRIPTOR_SIGNATURE ? 16 : 12;
            int values = (int) dataEnd + descriptorLength - 12;
            if (dataEnd + descriptorLength > centralOffset
                    || u32(values) != crc || u32(values + 4) != compressed || u32(values + 8) != size) {
                problem(where + ": its data descriptor at offset " + dataEnd
                        + " is missing or disagrees with the central directory");
                consistent = false;
            }
            end = dataEnd + descriptorLength;
        }
        Entry entry = new Entry(name, method, crc, compressed, size, localOffset, dataOffset, end, dosTime);
        if (consistent) {
            checkData(entry, where);
        }
        return entry;
    }

    private void checkData(Entry entry, String where) {
        CRC32 crc = new CRC32();
        try {
            long produced = inflate(entry, null, crc);
            if (produced != entry.size()) {
                problem(where + ": data inflates to " + produced + " bytes, the directory says " + entry.size());
            } else if (crc.getValue() != entry.crc()) {
                problem(where + ": data CRC " + Long.toHexString(crc.getValue()) + " is not the declared "
                        + Long.toHexString(entry.crc()));
            }
        } catch (DataFormatException e) {
            problem(where + ": data does not inflate: " + e.getMessage());
        }
    }

    /**
     * Decompresses an entry into {@code out} (when given) and/or a CRC (when given), never producing more than
     * the declared size plus one byte; returns the bytes produced.
     */
    private int inflate(Entry entry, byte[] out, CRC32 crc) throws DataFormatException {
        int offset = (int) entry.dataOffset();
        int length = (int) entry.compressedSize();
        if (entry.method() == METHOD_STORED) {
            if (out != null) {
                System.arraycopy(bytes, offset, out, 0, length);
            }
            if (crc != null) {
                crc.update(bytes, offset, length);
            }
            return length;
        }
        Inflater inflater = new Inflater(true);
        try {
            inflater.setInput(bytes, offset, length);
            byte[] buffer = new byte[64 * 1024];
            long produced = 0;
            boolean padded = false;
            while (!inflater.finished()) {
                int n = inflater.inflate(buffer);
                if (n == 0) {
                    if (inflater.needsInput() && !padded) {
                        inflater.setInput(new byte[1]);
                        padded = true;
                        continue;
                    }
                    if (inflater.needsInput() || inflater.needsDictionary()) {
                        throw new DataFormatException("deflate stream of '" + entry.name() + "' is truncated");
                    }
                }
                if (produced + n > entry.size()) {
                    throw new DataFormatException("'" + entry.name() + "' inflates to more than its declared "
                            + entry.size() + " bytes");
                }
                if (out != null) {
                    System.arraycopy(buffer, 0, out, (int) produced, n);
                }
                if (crc != null) {
                    crc.update(buffer, 0, n);
                }
                produced += n;
            }
            long consumed = inflater.getBytesRead();
            if (consumed != length && !(padded && consumed == length + 1L)) {
                throw new DataFormatException("deflate stream of '" + entry.name() + "' ends after " + consumed
                        + " of its " + length + " bytes");
            }
            return (int) produced;
        } finally {
            inflater.end();
        }
    }

    private void checkCoverage(long centralOffset) {
        List<Entry> placed = new ArrayList<>(entries.stream().filter(e -> e.end() >= 0).toList());
        placed.sort(Comparator.comparingLong(Entry::localOffset));
        long expected = 0;
        String previous = null;
        for (Entry entry : placed) {
            if (entry.localOffset() > expected) {
                unclaimed(expected, entry.localOffset(), previous, "'" + entry.name() + "'");
            } else if (entry.localOffset() < expected) {
                problem("entry '" + entry.name() + "' at offset " + entry.localOffset() + " overlaps entry '"
                        + previous + "'");
            }
            expected = Math.max(expected, entry.end());
            previous = entry.name();
        }
        if (centralOffset > expected) {
            unclaimed(expected, centralOffset, previous, "the central directory");
        }
    }

    private void unclaimed(long from, long to, String before, String after) {
        String place = before == null ? "before " + after : "between '" + before + "' and " + after;
        if (to - from >= LOCAL_SIZE && u32((int) from) == LOCAL_SIGNATURE) {
            int nameLength = u16((int) from + 26);
            String hidden = from + LOCAL_SIZE + nameLength <= to
                    ? new String(bytes, (int) from + LOCAL_SIZE, nameLength, StandardCharsets.UTF_8) : "?";
            problem("a local header for '" + hidden + "' at offset " + from + " (" + place
                    + ") is not in the central directory: it is hidden from central-directory readers");
        } else {
            problem((to - from) + " bytes at offset " + from + " (" + place + ") belong to no entry");
        }
    }

    private void checkDuplicates() {
        Map<String, List<Long>> offsets = new LinkedHashMap<>();
        for (Entry entry : entries) {
            offsets.computeIfAbsent(entry.name(), n -> new ArrayList<>()).add(entry.localOffset());
        }
        offsets.forEach((name, at) -> {
            if (at.size() > 1) {
                problems.add(new Problem(ReasonCode.DUPLICATE_ENTRY, "entry '" + name + "' appears " + at.size()
                        + " times (local headers at offsets " + at + ")"));
            }
        });
    }

    private void checkManifestFirst() {
        int position = -1;
        List<Entry> inFileOrder = new ArrayList<>(entries);
        inFileOrder.sort(Comparator.comparingLong(Entry::localOffset));
        for (int i = 0; i < inFileOrder.size(); i++) {
            if (inFileOrder.get(i).name().equals(MANIFEST)) {
                position = i;
                break;
            }
        }
        boolean first = position == 0 || (position == 1 && inFileOrder.get(0).name().equals(META_INF));
        if (position >= 0 && !first) {
            problem(MANIFEST + " is entry #" + (position + 1) + " in file order, not the first: JarInputStream "
                    + "would not see the manifest (nor the signature)");
        }
    }

    private void problem(String message) {
        problems.add(new Problem(ReasonCode.ZIP_STRUCTURE, message));
    }

    private int u16(int at) {
        if (at < 0 || at + 2 > bytes.length) {
            return -1;
        }
        return (bytes[at] & 0xFF) | (bytes[at + 1] & 0xFF) << 8;
    }

    private long u32(int at) {
        if (at < 0 || at + 4 > bytes.length) {
            return -1;
        }
        return (bytes[at] & 0xFFL) | (bytes[at + 1] & 0xFFL) << 8 | (bytes[at + 2] & 0xFFL) << 16
                | (bytes[at + 3] & 0xFFL) << 24;
    }
}
