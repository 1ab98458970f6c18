package io.weir.samples.replication;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * The write-ahead journal of one replica: append-only segments of records. A change is journaled, with the bytes
 * it replaces and the bytes it writes, and the journal made durable before the image is touched: the journal alone
 * makes a change durable (the image is written back lazily and replayed from the journal after a crash), and the
 * image can be rolled back to any retained checkpoint. Record layout (big-endian):
 *
 * <pre>
 * u32 record length (all bytes, CRC included)   u8 type   u8[3] 0   u64 replica time (µs since the epoch)
 * CHANGE:     u64 offset, u32 length, u8 zeros (1: the new bytes are zeros and are not stored),
 *             the image's bytes before the change, then (unless zeros) the bytes after it
 * CHECKPOINT: u64 checkpoint id, u64 primary time (µs since the epoch), u8 cause ({@link Checkpoint.Cause})
 * RESIZE:     u64 old capacity, u64 new capacity
 * SYNCED:     (empty) the image held every earlier change durably when this was written
 * u32 CRC32C of every preceding byte of the record
 * </pre>
 *
 * A torn or corrupt record at the end of the newest segment (a crash while appending) is cut off when the journal
 * is opened; anywhere else it is an error naming the file. Not thread-safe: the owning {@link ReplicaImage}
 * serializes access.
 */
final class Journal implements AutoCloseable {
    static final int CHECKPOINT = 2;
    static final int RESIZE = 3;
    static final int CHANGE = 4;
    static final int SYNCED = 5;
    private static final int FIXED = 4 + 1 + 3 + 8;

    /** A record's place: segment start number and position in it. */
    record Position(long segment, long offset, int type, long length) {
    }

    /** A checkpoint and where its record lies. */
    record Indexed(Checkpoint checkpoint, Position at) {
    }

    private final Path dir;
    private final long segmentBytes;
    /** Segment number to its size and newest record time. */
    private final TreeMap<Long, long[]> segments = new TreeMap<>();
    private final List<Indexed> checkpoints = new ArrayList<>();
    /** The latest SYNCED record; null when there is none (replay from the start). */
    private Position synced;
    private FileChannel tail;
    private long tailSegment;
    private long tailSize;
    private boolean unforced;

    Journal(Path dir, long segmentBytes) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.segmentBytes = segmentBytes;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.seg")) {
            for (Path f : files) {
                String n = f.getFileName().toString();
                segments.put(Long.parseLong(n.substring(0, n.length() - 4)), new long[] {0, 0});
            }
        } catch (NumberFormatException e) {
            throw new IOException("journal " + dir + " holds a segment with a malformed name", e);
        }
        for (long s : new ArrayList<>(segments.keySet())) {
            scan(s, s == segments.lastKey());
        }
        if (segments.isEmpty()) {
            segments.put(0L, new long[] {0, 0});
        }
        openTail(segments.lastKey());
    }

    private Path file(long segment) {
        return dir.resolve(String.format("%020d.seg", segment));
    }

    private void openTail(long segment) throws IOException {
        tail = FileChannel.open(file(segment), StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        tailSegment = segment;
        tailSize = segments.get(segment)[0];
        tail.truncate(tailSize);
    }

    /** Read every record of a segment, index checkpoints, and find its valid length. */
    private void scan(long segment, boolean last) throws IOException {
        long valid = 0;
        long newest = 0;
        try (FileChannel ch = FileChannel.open(file(segment), StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer head = ByteBuffer.allocate(FIXED);
            while (valid + FIXED + 4 <= size) {
                head.clear();
                Durable.readFully(ch, head, valid);
                head.flip();
                int length = head.getInt();
                int type = head.get() & 0xff;
                head.position(8);
                long time = head.getLong();
                if (length < FIXED + 4 || valid + length > size || length > Frame.MAX_PAYLOAD + 64) {
                    break;
                }
                ByteBuffer rec = ByteBuffer.allocate(length);
                Durable.readFully(ch, rec, valid);
                CRC32C crc = new CRC32C();
                crc.update(rec.array(), 0, length - 4);
                if ((int) crc.getValue() != rec.getInt(length - 4)) {
                    break;
                }
                if (type == SYNCED) {
                    synced = new Position(segment, valid, type, length);
                }
                if (type == CHECKPOINT) {
                    if (length != FIXED + 17 + 4) {
                        throw new IOException("journal segment " + file(segment) + " at byte " + valid
                                + ": a checkpoint record of " + length + " bytes, not " + (FIXED + 17 + 4));
                    }
                    rec.position(FIXED);
                    long id = rec.getLong();
                    long primary = rec.getLong();
                    Checkpoint.Cause cause;
                    try {
                        cause = Checkpoint.Cause.of(rec.get());
                    } catch (IllegalArgumentException e) {
                        throw new IOException("journal segment " + file(segment) + " at byte " + valid + ": "
                                + e.getMessage() + " (written by a newer version?)");
                    }
                    checkpoints.add(new Indexed(new Checkpoint(id, micros(primary), micros(time), cause),
                            new Position(segment, valid, type, length)));
                }
                newest = Math.max(newest, time);
                valid += length;
            }
            if (valid != size && !last) {
                throw new IOException("journal segment " + file(segment) + " is corrupt at byte " + valid);
            }
        }
        segments.put(segment, new long[] {valid, newest});
    }

    static Instant micros(long us) {
        return Instant.ofEpochSecond(Math.floorDiv(us, 1_000_000), Math.floorMod(us, 1_000_000) * 1000L);
    }

    static long micros(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1000);
    }

    private Position append(int type, ByteBuffer body, long timeMicros) throws IOException {
        int length = FIXED + body.remaining() + 4;
        if (tailSize > 0 && tailSize + length > segmentBytes) {
            tail.force(true);
            tail.close();
            long next = tailSegment + tailSize;
            segments.put(next, new long[] {0, 0});
            openTail(next);
            Durable.syncDirectory(dir);
        }
        ByteBuffer rec = ByteBuffer.allocate(length);
        rec.putInt(length).put((byte) type).put(new byte[3]).putLong(timeMicros).put(body);
        CRC32C crc = new CRC32C();
        crc.update(rec.array(), 0, length - 4);
        rec.putInt((int) crc.getValue()).flip();
        Position at = new Position(tailSegment, tailSize, type, length);
        Durable.writeFully(tail, rec, tailSize);
        unforced = true;
        tailSize += length;
        long[] s = segments.get(tailSegment);
        s[0] = tailSize;
        s[1] = Math.max(s[1], timeMicros);
        return at;
    }

    /** Journal a change: the bytes at {@code offset} before it, and after it ({@code null}: zeros). */
    void change(long offset, ByteBuffer before, ByteBuffer after, long nowMicros) throws IOException {
        int length = before.remaining();
        ByteBuffer body = ByteBuffer.allocate(13 + length + (after == null ? 0 : length));
        body.putLong(offset).putInt(length).put((byte) (after == null ? 1 : 0)).put(before);
        if (after != null) {
            body.put(after.duplicate());
        }
        append(CHANGE, body.flip(), nowMicros);
    }

    /** Record that the image holds every change before this point durably. */
    void synced(long nowMicros) throws IOException {
        synced = append(SYNCED, ByteBuffer.allocate(0), nowMicros);
    }

    void resize(long oldCapacity, long newCapacity, long nowMicros) throws IOException {
        append(RESIZE, ByteBuffer.allocate(16).putLong(oldCapacity).putLong(newCapacity).flip(), nowMicros);
    }

    Checkpoint checkpoint(long id, Instant primaryAt, Checkpoint.Cause cause, long nowMicros) throws IOException {
        Position at = append(CHECKPOINT, ByteBuffer.allocate(17).putLong(id).putLong(micros(primaryAt))
                .put(cause.code()).flip(), nowMicros);
        Checkpoint c = new Checkpoint(id, primaryAt, micros(nowMicros), cause);
        checkpoints.add(new Indexed(c, at));
        return c;
    }

    /** Make every appended record durable (a no-op when nothing was appended since the last call). */
    void force() throws IOException {
        if (unforced) {
            tail.force(false);
            unforced = false;
        }
    }

    /** The latest SYNCED record, or null. */
    Position lastSynced() {
        return synced;
    }

    List<Indexed> checkpoints() {
        return List.copyOf(checkpoints);
    }

    long bytes() {
        long total = 0;
        for (long[] s : segments.values()) {
            total += s[0];
        }
        return total;
    }

    /**
     * Drop whole segments, oldest first, while the journal exceeds {@code maxBytes} or the oldest segment's newest
     * record is older than {@code oldestMicros}. Neither the segment being appended to nor any segment from the one
     * holding the latest SYNCED record on (the image may still need their changes replayed) is dropped.
     */
    void retain(long maxBytes, long oldestMicros) throws IOException {
        boolean dropped = false;
        while (segments.size() > 1) {
            var first = segments.firstEntry();
            if (synced == null || first.getKey() >= synced.segment()) {
                break;
            }
            if (bytes() <= maxBytes && first.getValue()[1] >= oldestMicros) {
                break;
            }
            Files.deleteIfExists(file(first.getKey()));
            segments.remove(first.getKey());
            checkpoints.removeIf(i -> i.at().segment() == first.getKey());
            dropped = true;
        }
        if (dropped) {
            Durable.syncDirectory(dir);
        }
    }

    /** Every CHANGE and RESIZE record after {@code from} ({@code null}: from the start), oldest first. */
    List<Position> changesAfter(Position from) throws IOException {
        List<Position> out = new ArrayList<>();
        long firstSegment = from == null ? segments.firstKey() : from.segment();
        for (var e : segments.tailMap(firstSegment, true).entrySet()) {
            long seg = e.getKey();
            long end = e.getValue()[0];
            long pos = from != null && seg == from.segment() ? from.offset() + from.length() : 0;
            try (FileChannel ch = FileChannel.open(file(seg), StandardOpenOption.READ)) {
                ByteBuffer head = ByteBuffer.allocate(FIXED);
                while (pos < end) {
                    head.clear();
                    Durable.readFully(ch, head, pos);
                    int length = head.getInt(0);
                    int type = head.get(4) & 0xff;
                    if (type == CHANGE || type == RESIZE) {
                        out.add(new Position(seg, pos, type, length));
                    }
                    pos += length;
                }
            }
        }
        return out;
    }

    /** The body of a record (after the fixed header, before the CRC). */
    ByteBuffer body(Position p) throws IOException {
        ByteBuffer rec = ByteBuffer.allocate((int) p.length());
        try (FileChannel ch = FileChannel.open(file(p.segment()), StandardOpenOption.READ)) {
            Durable.readFully(ch, rec, p.offset());
        }
        CRC32C crc = new CRC32C();
        crc.update(rec.array(), 0, rec.capacity() - 4);
        if ((int) crc.getValue() != rec.getInt(rec.capacity() - 4)) {
            throw new IOException("journal record at " + file(p.segment()) + ":" + p.offset() + " is corrupt");
        }
        return rec.position(FIXED).limit(rec.capacity() - 4).slice();
    }

    @Override
    public void close() throws IOException {
        tail.close();
    }
}
