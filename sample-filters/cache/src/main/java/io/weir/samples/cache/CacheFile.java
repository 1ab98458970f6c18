package io.weir.samples.cache;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * One disk's cache file: a header, two metadata log areas and the data slots.
 *
 * <pre>
 * [header 4 KiB][log area 0][log area 1][slot 0][slot 1]...
 * </pre>
 *
 * <p>The header holds the geometry (cache block size, slots, log records per area), a random token naming this
 * file and the disk id, under a CRC32C. Each log record is 64 bytes under its own CRC32C: DIRTY (a block's version
 * is in a slot, with the CRC32C of its data), CLEAN (a block was written back and flushed below), SYNC (every record
 * up to a sequence number was forced), and CHECKPOINT_BEGIN/END. Records of one area carry the area's epoch and
 * consecutive sequence numbers. An area starts with a checkpoint (every dirty block); when an area fills, or after
 * a recovery, a checkpoint with the next epoch is written to the other area and forced, and that area becomes the
 * log. Recovery takes the area with the highest epoch whose checkpoint is complete and replays it up to the first
 * record that is torn (bad CRC, other epoch, non-consecutive sequence). A bad record that a later valid SYNC record
 * covers was forced, so it is corruption, not a torn tail, and recovery refuses the file. A dirty version whose data
 * fails its CRC falls back to the previous version of the block if the failed one was never forced; if it was
 * forced, the file is refused. Clean blocks are never trusted from the file: only dirty data is recovered.
 *
 * <p>Not thread-safe: the cache uses one instance from its serial executor (and the control thread while the disk
 * is stunned).
 */
final class CacheFile implements AutoCloseable {
    static final int HEADER = 4096;
    static final int RECORD = 64;
    private static final byte[] MAGIC = "WEIRCCH1".getBytes(StandardCharsets.US_ASCII);
    private static final int RECORD_MAGIC = 0x57434C47;
    private static final int VERSION = 1;

    static final byte DIRTY = 1;
    static final byte CLEAN = 2;
    static final byte SYNC = 3;
    static final byte CP_BEGIN = 4;
    static final byte CP_END = 5;

    /** A dirty block's version on the file. */
    record Dirty(long block, int slot, long seq, int crc) {
    }

    /** Where the log ends: what a later instance must find to trust a handoff. */
    record Tail(long epoch, long nextSeq) {
    }

    private final Path path;
    private final FileChannel channel;
    private final int blockSize;
    private final long slots;
    private final long recordsPerArea;
    private final long token;
    private final long dataStart;
    private int area;
    private long epoch;
    private long areaFirstSeq;
    private long nextSeq;
    private long syncs;
    private final Tail recoveredTail;
    private final List<Dirty> recovered;
    private final ByteBuffer pending = ByteBuffer.allocate(RECORD * 256);
    private long pendingFirstSeq = -1;

    private CacheFile(Path path, FileChannel channel, int blockSize, long slots, long recordsPerArea, long token,
                      Tail recoveredTail, List<Dirty> recovered) {
        this.path = path;
        this.channel = channel;
        this.blockSize = blockSize;
        this.slots = slots;
        this.recordsPerArea = recordsPerArea;
        this.token = token;
        this.dataStart = align(HEADER + 2 * recordsPerArea * RECORD, 4096);
        this.recoveredTail = recoveredTail;
        this.recovered = recovered;
    }

    private static long align(long v, long a) {
        return (v + a - 1) / a * a;
    }

    /** Log records per area for a cache of {@code slots} slots: room for a full checkpoint and as many again. */
    static long recordsFor(long slots) {
        return 2 * slots + 1024;
    }

    /**
     * Open (or create) the cache file of disk {@code diskId} at {@code path}, recovering its dirty blocks and
     * starting a new log epoch. A file made with another geometry is recreated when it holds no dirty data.
     *
     * @throws CacheFileException the file holds dirty data that cannot be recovered, or was made for another disk
     *                            or geometry while holding dirty data; the message says what and where
     * @throws IOException        the file cannot be read or written
     */
    static CacheFile open(Path path, String diskId, int blockSize, long slots) throws IOException {
        Files.createDirectories(path.getParent());
        FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        try {
            CacheFile f = ch.size() == 0 ? null : existing(path, ch, diskId, blockSize, slots);
            if (f == null) {
                f = create(path, ch, diskId, blockSize, slots);
            }
            return f;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static CacheFile create(Path path, FileChannel ch, String diskId, int blockSize, long slots)
            throws IOException {
        ch.truncate(0);
        long records = recordsFor(slots);
        long token = new SecureRandom().nextLong();
        ByteBuffer h = ByteBuffer.allocate(HEADER);
        h.put(MAGIC).putInt(VERSION).putInt(blockSize).putLong(slots).putLong(records).putLong(token);
        byte[] id = diskId.getBytes(StandardCharsets.UTF_8);
        int idLength = Math.min(id.length, 400);
        h.putShort((short) idLength).put(id, 0, idLength);
        h.putInt(508, crc(h.array(), 0, 508));
        writeFully(ch, h.clear(), 0);
        CacheFile f = new CacheFile(path, ch, blockSize, slots, records, token, new Tail(0, 0), List.of());
        // The log areas take their full size now, so a later shorter file is recognised as truncated.
        writeFully(ch, ByteBuffer.allocate(1), f.dataStart - 1);
        f.area = 1;
        f.epoch = 0;
        f.checkpoint(List.of());
        ch.force(true);
        fsyncDirectory(path.getParent());
        return f;
    }

    private static void fsyncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // some file systems cannot sync a directory; the file itself was forced
        }
    }

    private static CacheFile existing(Path path, FileChannel ch, String diskId, int blockSize, long slots)
            throws IOException {
        ByteBuffer h = ByteBuffer.allocate(HEADER);
        readFully(ch, h, 0, path, "header");
        byte[] a = h.array();
        boolean magic = java.util.Arrays.equals(java.util.Arrays.copyOf(a, MAGIC.length), MAGIC);
        if (!magic || crc(a, 0, 508) != h.getInt(508) || h.getInt(8) != VERSION) {
            throw new CacheFileException("cache file " + path + " has no valid header (not a cache file, or its"
                    + " header is corrupt): it may hold dirty data, so it is not overwritten; move it away to start"
                    + " with an empty cache");
        }
        int fileBlock = h.getInt(12);
        long fileSlots = h.getLong(16);
        long records = h.getLong(24);
        long token = h.getLong(32);
        int idLength = h.getShort(40);
        String fileDisk = new String(a, 42, idLength, StandardCharsets.UTF_8);
        CacheFile f = new CacheFile(path, ch, fileBlock, fileSlots, records, token, null, null);
        if (ch.size() < f.dataStart) {
            throw new CacheFileException("cache file " + path + " is truncated (" + ch.size() + " bytes, its log"
                    + " alone takes " + f.dataStart + "): its dirty data cannot be recovered; move it away");
        }
        CacheFile recovered = f.recover();
        boolean dirty = !recovered.recovered.isEmpty();
        String mine = diskId.length() > 400 ? diskId.substring(0, 400) : diskId;
        if (!fileDisk.equals(mine)) {
            if (dirty) {
                throw new CacheFileException("cache file " + path + " belongs to disk '" + fileDisk + "' and holds "
                        + recovered.recovered.size() + " dirty blocks; it is not used for disk '" + diskId + "'");
            }
            return null;
        }
        if (fileBlock != blockSize || fileSlots != slots) {
            if (dirty) {
                throw new CacheFileException("cache file " + path + " was made with cache.block.size " + fileBlock
                        + " and cache.size " + fileSlots * fileBlock + " and holds " + recovered.recovered.size()
                        + " dirty blocks: attach with those settings to recover them");
            }
            return null;
        }
        recovered.checkpoint(recovered.recovered);
        return recovered;
    }

    /** One record as read back. */
    private record Rec(byte type, long epoch, long seq, long block, long slot, int crc) {
    }

    private Rec readRecord(ByteBuffer areaBytes, long index) {
        int at = (int) (index * RECORD);
        byte[] a = areaBytes.array();
        if (areaBytes.getInt(at) != RECORD_MAGIC || crc(a, at, RECORD - 4) != areaBytes.getInt(at + RECORD - 4)) {
            return null;
        }
        return new Rec(a[at + 4], areaBytes.getLong(at + 8), areaBytes.getLong(at + 16), areaBytes.getLong(at + 24),
                areaBytes.getLong(at + 32), areaBytes.getInt(at + 40));
    }

    private long areaOffset(int a) {
        return HEADER + a * recordsPerArea * RECORD;
    }

    private ByteBuffer readArea(int a) throws IOException {
        long bytes = recordsPerArea * RECORD;
        if (bytes > Integer.MAX_VALUE - 16) {
            throw new CacheFileException("cache file " + path + ": log area of " + bytes + " bytes is too large");
        }
        ByteBuffer b = ByteBuffer.allocate((int) bytes);
        readFully(channel, b, areaOffset(a), path, "log area " + a);
        return b.clear();
    }

    /** The records of area {@code a} from its checkpoint up to the first torn one; null when not complete. */
    private List<Rec> replayable(ByteBuffer bytes) {
        Rec first = readRecord(bytes, 0);
        if (first == null || first.type != CP_BEGIN) {
            return null;
        }
        List<Rec> out = new ArrayList<>();
        out.add(first);
        boolean complete = false;
        for (long i = 1; i < recordsPerArea; i++) {
            Rec r = readRecord(bytes, i);
            if (r == null || r.epoch != first.epoch || r.seq != first.seq + i) {
                break;
            }
            out.add(r);
            complete |= r.type == CP_END;
        }
        return complete ? out : null;
    }

    /** Whether an area whose checkpoint does not replay holds a valid SYNC of its epoch: it had been forced. */
    private boolean syncedBeyondCheckpoint(ByteBuffer bytes) {
        Rec first = readRecord(bytes, 0);
        if (first == null || first.type != CP_BEGIN) {
            return false;
        }
        for (long i = 1; i < recordsPerArea; i++) {
            Rec r = readRecord(bytes, i);
            if (r != null && r.type == SYNC && r.epoch == first.epoch) {
                return true;
            }
        }
        return false;
    }

    private CacheFile recover() throws IOException {
        List<Rec> best = null;
        int bestArea = -1;
        ByteBuffer bestBytes = null;
        long damagedEpoch = -1;
        for (int a = 0; a < 2; a++) {
            ByteBuffer bytes = readArea(a);
            List<Rec> recs = replayable(bytes);
            if (recs != null && (best == null || recs.get(0).epoch > best.get(0).epoch)) {
                best = recs;
                bestArea = a;
                bestBytes = bytes;
            } else if (recs == null && syncedBeyondCheckpoint(bytes)) {
                damagedEpoch = Math.max(damagedEpoch, readRecord(bytes, 0).epoch);
            }
        }
        if (best != null && damagedEpoch > best.get(0).epoch) {
            throw new CacheFileException("cache file " + path + ": the checkpoint of metadata log epoch " + damagedEpoch
                    + " is corrupt although it was forced; dirty data may be lost; move the file away only after"
                    + " saving what can be saved");
        }
        if (best == null) {
            throw new CacheFileException("cache file " + path + ": neither metadata log area holds a complete"
                    + " checkpoint; the file is corrupt and its dirty data cannot be recovered; move it away");
        }
        Rec first = best.get(0);
        Rec last = best.get(best.size() - 1);
        long synced = -1;
        for (Rec r : best) {
            if (r.type == SYNC) {
                synced = Math.max(synced, r.block);
            }
        }
        // A valid SYNC record beyond the first bad one proves that record was forced: corruption, not a torn tail.
        for (long i = best.size(); i < recordsPerArea; i++) {
            Rec r = readRecord(bestBytes, i);
            if (r != null && r.type == SYNC && r.epoch == first.epoch && r.block > last.seq) {
                throw new CacheFileException("cache file " + path + ": metadata log record " + (last.seq + 1)
                        + " of epoch " + first.epoch + " is corrupt although it was forced; dirty data may be lost;"
                        + " move the file away only after saving what can be saved");
            }
        }
        Map<Long, List<Rec>> versions = new HashMap<>();
        Map<Long, Rec> slotOwner = new HashMap<>();
        for (Rec r : best) {
            if (r.type == DIRTY) {
                versions.computeIfAbsent(r.block, k -> new ArrayList<>()).add(r);
                slotOwner.put(r.slot, r);
            } else if (r.type == CLEAN) {
                versions.remove(r.block);
            }
        }
        List<Dirty> dirty = new ArrayList<>();
        ByteBuffer data = ByteBuffer.allocate(blockSize);
        for (Map.Entry<Long, List<Rec>> e : versions.entrySet()) {
            List<Rec> vs = e.getValue();
            Dirty chosen = null;
            for (int i = vs.size() - 1; i >= 0 && chosen == null; i--) {
                Rec v = vs.get(i);
                if (v.slot < 0 || v.slot >= slots || slotOwner.get(v.slot) != v) {
                    continue; // the slot went to a later version: this one was superseded and forced over
                }
                boolean intact = false;
                try {
                    readFully(channel, data.clear(), dataStart + v.slot * (long) blockSize, path, "slot " + v.slot);
                    intact = crc(data.array(), 0, blockSize) == v.crc;
                } catch (EOFException eof) {
                    intact = false;
                }
                if (intact) {
                    chosen = new Dirty(v.block, (int) v.slot, v.seq, v.crc);
                } else if (v.seq <= synced) {
                    throw new CacheFileException("cache file " + path + ": dirty cache block " + v.block + " (slot "
                            + v.slot + ") fails its checksum although it was forced; its data is lost");
                }
            }
            if (chosen != null) {
                dirty.add(chosen);
            }
        }
        dirty.sort((x, y) -> Long.compare(x.seq(), y.seq()));
        CacheFile f = new CacheFile(path, channel, blockSize, slots, recordsPerArea, token,
                new Tail(first.epoch, last.seq + 1), List.copyOf(dirty));
        f.area = bestArea;
        f.epoch = first.epoch;
        f.areaFirstSeq = first.seq;
        f.nextSeq = last.seq + 1;
        return f;
    }

    Path path() {
        return path;
    }

    int blockSize() {
        return blockSize;
    }

    long slots() {
        return slots;
    }

    long token() {
        return token;
    }

    /** Dirty blocks found at open, oldest first. */
    List<Dirty> recovered() {
        return recovered;
    }

    /** The log's end as found at open, before this instance wrote anything. */
    Tail recoveredTail() {
        return recoveredTail;
    }

    /** The log's end now. */
    Tail tail() {
        return new Tail(epoch, nextSeq + pendingCount());
    }

    /** Completed forces since open. */
    long syncs() {
        return syncs;
    }

    private int pendingCount() {
        return pending.position() / RECORD;
    }

    /** Sequence number the next appended record gets. */
    long nextSeq() {
        return nextSeq + pendingCount();
    }

    void readSlot(int slot, ByteBuffer into) throws IOException {
        readFully(channel, into, dataStart + slot * (long) blockSize, path, "slot " + slot);
    }

    void writeSlot(int slot, ByteBuffer from) throws IOException {
        writeFully(channel, from, dataStart + slot * (long) blockSize);
    }

    /** Append a DIRTY record (buffered until {@link #writeLog()}, {@link #force()} or a full buffer). */
    long appendDirty(long block, int slot, int crc) throws IOException {
        return append(DIRTY, block, slot, crc);
    }

    void appendClean(long block, int slot) throws IOException {
        append(CLEAN, block, slot, 0);
    }

    private long append(byte type, long block, long slot, int crc) throws IOException {
        if (nextSeq() - areaFirstSeq >= recordsPerArea) {
            throw new IllegalStateException("log full");
        }
        if (!pending.hasRemaining()) {
            writeLog();
        }
        long seq = nextSeq();
        putRecord(pending, type, epoch, seq, block, slot, crc);
        return seq;
    }

    /** Whether the log must be checkpointed before {@code records} more appends. */
    boolean logNearlyFull(long records) {
        return nextSeq() - areaFirstSeq + records + 2 >= recordsPerArea;
    }

    private static void putRecord(ByteBuffer b, byte type, long epoch, long seq, long block, long slot, int crc) {
        int at = b.position();
        b.putInt(RECORD_MAGIC).put(type).put((byte) 0).putShort((short) 0).putLong(epoch).putLong(seq).putLong(block)
                .putLong(slot).putInt(crc);
        while (b.position() < at + RECORD - 4) {
            b.put((byte) 0);
        }
        b.putInt(crc(b.array(), b.arrayOffset() + at, RECORD - 4));
    }

    /** Write buffered records to the log (not forced). */
    void writeLog() throws IOException {
        int n = pendingCount();
        if (n == 0) {
            return;
        }
        pending.flip();
        writeFully(channel, pending, areaOffset(area) + (nextSeq - areaFirstSeq) * RECORD);
        nextSeq += n;
        pending.clear();
    }

    /** Write buffered records and force data and log; then append a SYNC record for what was forced. */
    void force() throws IOException {
        writeLog();
        channel.force(false);
        syncs++;
        long forced = nextSeq - 1;
        if (!logNearlyFull(1)) {
            append(SYNC, forced, 0, 0);
            writeLog(); // durable with the next force; until then a bad record before it reads as a torn tail
        }
    }

    /** Write a checkpoint holding {@code dirty} into the other area with the next epoch, and force it. */
    void checkpoint(List<Dirty> dirty) throws IOException {
        pending.clear();
        int target = 1 - area;
        long newEpoch = epoch + 1;
        long firstSeq = nextSeq + 1;
        long seq = firstSeq;
        ByteBuffer b = ByteBuffer.allocate((dirty.size() + 2) * RECORD);
        putRecord(b, CP_BEGIN, newEpoch, seq++, 0, 0, 0);
        for (Dirty d : dirty) {
            putRecord(b, DIRTY, newEpoch, seq++, d.block(), d.slot(), d.crc());
        }
        putRecord(b, CP_END, newEpoch, seq++, dirty.size(), 0, 0);
        if (seq - firstSeq > recordsPerArea) {
            throw new IllegalStateException("checkpoint larger than a log area");
        }
        b.flip();
        writeFully(channel, b, areaOffset(target));
        channel.force(false);
        syncs++;
        area = target;
        epoch = newEpoch;
        areaFirstSeq = firstSeq;
        nextSeq = seq;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    static int crc(byte[] a, int offset, int length) {
        CRC32C c = new CRC32C();
        c.update(a, offset, length);
        return (int) c.getValue();
    }

    static int crc(ByteBuffer b) {
        CRC32C c = new CRC32C();
        c.update(b.duplicate());
        return (int) c.getValue();
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long at, Path path, String what) throws IOException {
        long pos = at;
        while (b.hasRemaining()) {
            int n = ch.read(b, pos);
            if (n < 0) {
                throw new EOFException("cache file " + path + " ends before its " + what + " (truncated?)");
            }
            pos += n;
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b, long at) throws IOException {
        long pos = at;
        while (b.hasRemaining()) {
            pos += ch.write(b, pos);
        }
    }

    /** A cache file that must not be used: its dirty data cannot be recovered or belongs elsewhere. */
    static final class CacheFileException extends IOException {
        private static final long serialVersionUID = 1L;

        CacheFileException(String message) {
            super(message);
        }
    }
}
