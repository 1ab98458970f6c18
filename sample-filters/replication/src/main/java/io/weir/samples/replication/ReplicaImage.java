package io.weir.samples.replication;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32C;

/**
 * The replica of one disk in a receiver's directory, {@code <directory>/<disk id>/}: the image ({@code image.raw},
 * sparse, the primary's capacity), its state ({@code meta}, replaced atomically) and the write-ahead journal
 * ({@code journal/}). A change is durable once its journal record is (one fsync, sequential); the image is written
 * at once but forced lazily, and whatever it lacks after a crash is replayed from the journal when the replica is
 * opened. The bytes each change replaced are journaled too, so the image can be rolled back to any retained
 * checkpoint.
 *
 * <p>Locking: one lock per directory, held across a batch of changes and across a recovery, within this JVM
 * (a {@link ReentrantLock}) and across processes (a file lock on {@code lock}).
 */
final class ReplicaImage implements AutoCloseable {
    static final String IMAGE = "image.raw";
    private static final String META = "meta";
    private static final byte[] META_MAGIC = "WRPLMETA".getBytes(StandardCharsets.US_ASCII);
    private static final int ZERO_CHUNK = 1 << 20;
    /** Journal bytes after which the image is forced and a SYNCED record written, bounding replay after a crash. */
    private static final long FORCE_BYTES = 64L << 20;
    private static final ConcurrentHashMap<Path, ReentrantLock> LOCKS = new ConcurrentHashMap<>();
    /** Replicas promoted in this process, so a stream still applying to one stops at once. */
    private static final java.util.Set<Path> PROMOTED = ConcurrentHashMap.newKeySet();

    /** Retention of the journal. */
    record Retention(Duration age, long bytes) {
        static final Retention DEFAULT = new Retention(Duration.ofDays(1), 1L << 30);

        long segmentBytes() {
            return Math.max(1 << 20, Math.min(64L << 20, bytes / 4));
        }
    }

    private final Path dir;
    private final String diskId;
    private final Clock clock;
    private final Retention retention;
    private final RandomAccessFile file;
    private final FileChannel image;
    private final Journal journal;
    /** False for an operator's view ({@link ReplicaStore}): it never appends to the journal the receiver owns. */
    private final boolean writable;
    private byte[] streamId;
    private long capacity;
    private int blockSize;
    private boolean consistent;
    private boolean failedOver;
    private long nextCheckpoint;
    private boolean imageDirty;
    private long journalAtForce;

    private ReplicaImage(Path dir, String diskId, Clock clock, Retention retention, boolean writable)
            throws IOException {
        this.dir = dir;
        this.writable = writable;
        this.diskId = diskId;
        this.clock = clock;
        this.retention = retention;
        readMeta();
        this.file = new RandomAccessFile(dir.resolve(IMAGE).toFile(), "rw");
        this.image = file.getChannel();
        this.journal = new Journal(dir.resolve("journal"), retention.segmentBytes());
        for (Journal.Indexed i : journal.checkpoints()) {
            nextCheckpoint = Math.max(nextCheckpoint, i.checkpoint().id() + 1);
        }
        replay();
    }

    /** Write into the image every change journaled after the latest SYNCED record, then force it. */
    private void replay() throws IOException {
        List<Journal.Position> changes = journal.changesAfter(journal.lastSynced());
        if (changes.isEmpty()) {
            journalAtForce = journal.bytes();
            return;
        }
        for (Journal.Position p : changes) {
            ByteBuffer body = journal.body(p);
            if (p.type() == Journal.CHANGE) {
                long offset = body.getLong();
                int length = body.getInt();
                boolean zeros = body.get() != 0;
                ByteBuffer after = zeros ? ByteBuffer.allocate(length) : body.position(body.position() + length)
                        .slice().limit(length);
                Durable.writeFully(image, after, offset);
            } else {
                body.getLong();
                long grown = body.getLong();
                if (file.length() < grown) {
                    file.setLength(grown);
                }
            }
        }
        imageDirty = true;
        forceImage();
    }

    /** Whether this replica was promoted by an operator in this process since it was opened. */
    boolean promoted() {
        return PROMOTED.contains(dir.toAbsolutePath().normalize());
    }

    /** Force the image and record that it holds everything journaled so far. */
    void forceImage() throws IOException {
        if (imageDirty) {
            image.force(false);
            imageDirty = false;
            if (writable) {
                journal.synced(Journal.micros(clock.instant()));
                journal.force();
            }
        }
        journalAtForce = journal.bytes();
    }

    static Path directoryOf(Path root, String diskId) {
        if (!diskId.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,127}")) {
            throw new IllegalArgumentException("disk id '" + diskId + "' is not a valid replica name");
        }
        return root.resolve(diskId);
    }

    static boolean exists(Path root, String diskId) {
        return Files.isRegularFile(directoryOf(root, diskId).resolve(META));
    }

    /**
     * Open an existing replica, under its lock. {@code writable}: for the receiver, which appends to the journal;
     * otherwise (operators) the journal is only read, though the image is still brought up to date from it.
     */
    static ReplicaImage open(Path root, String diskId, Clock clock, Retention retention, boolean writable)
            throws IOException {
        Path dir = directoryOf(root, diskId);
        if (!Files.isRegularFile(dir.resolve(META))) {
            throw new IOException("no replica of disk '" + diskId + "' in " + root);
        }
        return new ReplicaImage(dir, diskId, clock, retention, writable);
    }

    /**
     * Create a replica for a new stream: an all-zero image of {@code capacity}. A replica of another stream of the
     * same disk is kept, renamed {@code <disk id>.superseded-<time>}, never deleted.
     */
    static ReplicaImage create(Path root, String diskId, byte[] streamId, long capacity, int blockSize, Clock clock,
                               Retention retention) throws IOException {
        Path dir = directoryOf(root, diskId);
        if (Files.exists(dir)) {
            Path aside = root.resolve(diskId + ".superseded-" + clock.millis());
            Files.move(dir, aside);
        }
        Files.createDirectories(dir);
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve(IMAGE).toFile(), "rw")) {
            f.setLength(capacity);
            f.getChannel().force(true);
        }
        writeMeta(dir, diskId, streamId, capacity, blockSize, true, false, 1);
        Durable.syncDirectory(root);
        return new ReplicaImage(dir, diskId, clock, retention, true);
    }

    // ---- locking ------------------------------------------------------------------------------------------------

    /** Run {@code work} holding this replica's lock (in-process and on-disk). */
    static <T> T locked(Path dir, IoWork<T> work) throws IOException {
        ReentrantLock lock = LOCKS.computeIfAbsent(dir.toAbsolutePath().normalize(), p -> new ReentrantLock());
        lock.lock();
        try (FileChannel ch = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); FileLock ignored = ch.lock()) {
            return work.run();
        } finally {
            lock.unlock();
        }
    }

    /** Work done under a replica's lock. */
    interface IoWork<T> {
        T run() throws IOException;
    }

    Path directory() {
        return dir;
    }

    // ---- state --------------------------------------------------------------------------------------------------

    byte[] streamId() {
        return streamId.clone();
    }

    long capacity() {
        return capacity;
    }

    boolean consistent() {
        return consistent;
    }

    boolean failedOver() {
        return failedOver;
    }

    ReplicaInfo info() {
        List<Journal.Indexed> cps = journal.checkpoints();
        return new ReplicaInfo(diskId, HexFormat.of().formatHex(streamId), capacity, blockSize, consistent, failedOver,
                cps.isEmpty() ? Optional.empty() : Optional.of(cps.get(0).checkpoint()),
                cps.isEmpty() ? Optional.empty() : Optional.of(cps.get(cps.size() - 1).checkpoint()),
                cps.size(), journal.bytes());
    }

    List<Checkpoint> checkpoints() {
        List<Checkpoint> out = new ArrayList<>();
        for (Journal.Indexed i : journal.checkpoints()) {
            out.add(i.checkpoint());
        }
        return out;
    }

    // ---- changes (the receiver, under the lock) ----------------------------------------------------------------

    /** One change of a batch: data to write at an offset, or a zero range when {@code data} is null. */
    record Change(long offset, int length, ByteBuffer data) {
        long end() {
            return offset + length;
        }

        boolean overlaps(Change o) {
            return offset < o.end() && o.offset < end();
        }
    }

    /**
     * Apply a batch of non-overlapping changes: journal records first (the bytes replaced and the new ones), made
     * durable, then the image (forced lazily). Durable when this returns.
     */
    void apply(List<Change> batch) throws IOException {
        if (batch.isEmpty()) {
            return;
        }
        long now = Journal.micros(clock.instant());
        for (Change c : batch) {
            if (c.offset() < 0 || c.end() > capacity) {
                throw new IOException("disk '" + diskId + "': change at " + c.offset() + "+" + c.length()
                        + " is outside the replica's capacity " + capacity);
            }
            for (long at = c.offset(); at < c.end(); at += ZERO_CHUNK) {
                int n = (int) Math.min(ZERO_CHUNK, c.end() - at);
                ByteBuffer before = ByteBuffer.allocate(n);
                Durable.readFully(image, before, at);
                before.flip();
                ByteBuffer after = c.data() == null ? null
                        : c.data().duplicate().position(c.data().position() + (int) (at - c.offset())).limit(
                                c.data().position() + (int) (at - c.offset()) + n);
                journal.change(at, before, after, now);
            }
        }
        journal.force();
        for (Change c : batch) {
            if (c.data() != null) {
                Durable.writeFully(image, c.data().duplicate(), c.offset());
            } else {
                ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(ZERO_CHUNK, c.length()));
                for (long at = c.offset(); at < c.end(); at += zeros.capacity()) {
                    int n = (int) Math.min(zeros.capacity(), c.end() - at);
                    Durable.writeFully(image, zeros.clear().limit(n), at);
                }
            }
        }
        imageDirty = imageDirty || !batch.isEmpty();
    }

    /**
     * Make every applied change durable: it is once journaled; the image is forced only when enough journal has
     * accumulated since it last was, so replay after a crash stays short.
     */
    void sync() throws IOException {
        journal.force();
        if (journal.bytes() - journalAtForce > FORCE_BYTES) {
            forceImage();
        }
    }

    /**
     * Record a checkpoint the primary placed at {@code primaryAt}; everything applied is made durable first. Nothing
     * is recorded while the replica is inconsistent (a resync is running).
     */
    Optional<Checkpoint> checkpoint(Instant primaryAt, Checkpoint.Cause cause) throws IOException {
        sync();
        if (!consistent) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        Checkpoint c = journal.checkpoint(nextCheckpoint++, primaryAt, cause, Journal.micros(now));
        journal.force();
        if (journal.bytes() > retention.bytes() || journal.bytes() - journalAtForce > FORCE_BYTES) {
            // Segments can only go once the image holds their changes.
            forceImage();
        }
        journal.retain(retention.bytes(), Journal.micros(now.minus(retention.age())));
        return Optional.of(c);
    }

    /** Mark the image consistent or not (a resync begins or ends); durable on return. */
    void consistent(boolean value) throws IOException {
        if (value != consistent) {
            sync();
            consistent = value;
            saveMeta();
        }
    }

    void grow(long newCapacity) throws IOException {
        if (newCapacity < capacity) {
            throw new IOException("disk '" + diskId + "': replica cannot shrink from " + capacity + " to "
                    + newCapacity);
        }
        if (newCapacity == capacity) {
            return;
        }
        forceImage();
        journal.resize(capacity, newCapacity, Journal.micros(clock.instant()));
        journal.force();
        file.setLength(newCapacity);
        image.force(true);
        capacity = newCapacity;
        saveMeta();
    }

    /** Mark the replica promoted: it accepts no further stream. */
    void markFailedOver() throws IOException {
        failedOver = true;
        saveMeta();
        PROMOTED.add(dir.toAbsolutePath().normalize());
    }

    // ---- recovery -----------------------------------------------------------------------------------------------

    /**
     * Write to {@code output} the image as it was at the latest checkpoint at or before {@code at}: a copy of the
     * image, then every later undo record applied newest first.
     *
     * @throws IOException no retained checkpoint is that old, or the files cannot be read or written
     */
    Checkpoint recover(Instant at, Path output) throws IOException {
        Journal.Indexed chosen = null;
        for (Journal.Indexed i : journal.checkpoints()) {
            if (!i.checkpoint().primaryAt().isAfter(at)) {
                chosen = i;
            }
        }
        if (chosen == null) {
            List<Journal.Indexed> all = journal.checkpoints();
            throw new IOException("disk '" + diskId + "': no checkpoint at or before " + at + (all.isEmpty()
                    ? "; the replica has no checkpoint yet" : "; the oldest retained is "
                    + all.get(0).checkpoint().primaryAt()));
        }
        sync();
        Path tmp = output.resolveSibling(output.getFileName() + ".partial");
        long size = capacity;
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.READ, StandardOpenOption.TRUNCATE_EXISTING)) {
            long done = 0;
            while (done < capacity) {
                done += image.transferTo(done, capacity - done, out);
            }
            List<Journal.Position> changes = journal.changesAfter(chosen.at());
            for (int i = changes.size() - 1; i >= 0; i--) {
                Journal.Position p = changes.get(i);
                ByteBuffer body = journal.body(p);
                if (p.type() == Journal.CHANGE) {
                    long offset = body.getLong();
                    int length = body.getInt();
                    body.get();
                    Durable.writeFully(out, body.slice().limit(length), offset);
                } else {
                    size = body.getLong();
                    out.truncate(size);
                }
            }
            out.force(true);
        }
        Files.move(tmp, output, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        return chosen.checkpoint();
    }

    // ---- meta ---------------------------------------------------------------------------------------------------

    private void saveMeta() throws IOException {
        try {
            // An operator may have promoted the replica meanwhile (another process): never undo that.
            byte[] onDisk = Files.readAllBytes(dir.resolve(META));
            failedOver |= onDisk.length > META_MAGIC.length + 29 && onDisk[META_MAGIC.length + 29] != 0;
        } catch (IOException e) {
            // rewritten below
        }
        writeMeta(dir, diskId, streamId, capacity, blockSize, consistent, failedOver, nextCheckpoint);
    }

    private static void writeMeta(Path dir, String diskId, byte[] streamId, long capacity, int blockSize,
                                  boolean consistent, boolean failedOver, long nextCheckpoint) throws IOException {
        byte[] id = diskId.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(META_MAGIC.length + 16 + 8 + 4 + 2 + 8 + 2 + id.length + 4);
        b.put(META_MAGIC).put(streamId).putLong(capacity).putInt(blockSize).put((byte) (consistent ? 1 : 0))
                .put((byte) (failedOver ? 1 : 0)).putLong(nextCheckpoint).putShort((short) id.length).put(id);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        Durable.writeAtomically(dir.resolve(META), b.array());
    }

    private void readMeta() throws IOException {
        Path f = dir.resolve(META);
        byte[] bytes = Files.readAllBytes(f);
        ByteBuffer b = ByteBuffer.wrap(bytes);
        CRC32C crc = new CRC32C();
        if (bytes.length < META_MAGIC.length + 44) {
            throw new IOException("replica state " + f + " is truncated");
        }
        crc.update(bytes, 0, bytes.length - 4);
        byte[] magic = new byte[META_MAGIC.length];
        b.get(magic);
        if (!java.util.Arrays.equals(magic, META_MAGIC) || (int) crc.getValue() != b.getInt(bytes.length - 4)) {
            throw new IOException("replica state " + f + " is corrupt");
        }
        streamId = new byte[16];
        b.get(streamId);
        capacity = b.getLong();
        blockSize = b.getInt();
        consistent = b.get() != 0;
        failedOver = b.get() != 0;
        nextCheckpoint = b.getLong();
    }

    @Override
    public void close() throws IOException {
        try {
            if (writable) {
                journal.force();
            }
            forceImage();
        } finally {
            journal.close();
            file.close();
        }
    }
}
