package io.weir.backend.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.weir.backend.Backend;
import io.weir.backend.BackendSpec;
import io.weir.backend.InlineIo;
import io.weir.filter.Capability;
import io.weir.filter.IoCallback;
import io.weir.filter.IoError;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;

/**
 * One disk in one sparse file, accessed with positional {@link FileChannel} I/O on a small pool of threads
 * of its own. {@link #submit} does I/O on the caller's thread only when the caller offered it
 * ({@link InlineIo}), and then only for a READ or a WRITE without FUA of at most {@link #INLINE_MAX_BYTES}.
 *
 * <p><b>Durability.</b> Data reaches the file with {@code pwrite}, so a completed write survives a crash of
 * the process. For power loss: FLUSH is {@code force(false)} (fdatasync), which makes every write completed
 * before it durable, including the block allocations of writes into holes (metadata needed to read the
 * data back). The file's size is only changed by creation and {@link #grow}, which both finish with
 * {@code force(true)}, so a size change is durable before the new range can be written. FUA is a write
 * followed by the same fdatasync: Java offers no per-range sync, so each FUA write costs a sync of the whole
 * file, a known cost.
 *
 * <p><b>Zeroing.</b> Java cannot punch holes, so UNMAP and WRITE_ZEROES both write zeros: UNMAP'd ranges
 * read as zeros (allowed by the contract) and their space is not given back. To keep unwritten ranges
 * sparse, each range is first read in chunks and only the 4 KiB blocks that are not already zero are
 * written.
 *
 * <p><b>Files.</b> The file is created with the disk's capacity on first open (through a temporary file,
 * so a crash never leaves a file of the wrong size) and never truncated: an existing file of another size
 * is refused. A new file is readable and writable by its owner only. An open file is locked against other
 * processes and other opens in this runtime.
 */
final class FileBackend implements Backend {
    /** Option: where the file lives, relative to the disk's directory unless absolute. */
    static final String PATH_OPTION = "path";
    /** Option: how many I/O threads the disk gets. */
    static final String THREADS_OPTION = "threads";
    static final String DEFAULT_FILE_NAME = "disk.img";
    static final int DEFAULT_THREADS = 4;
    /**
     * The largest READ or WRITE run on a caller that offered to wait ({@link InlineIo}). Up to this size a
     * page-cache copy costs a few microseconds, no more than the two thread switches of the pool hand-off it
     * saves; larger transfers gain little from it and would hold the caller longer. FLUSH, FUA writes and
     * zeroing (an fdatasync or a scan of the range) always go to the pool.
     */
    static final int INLINE_MAX_BYTES = 64 << 10;

    private static final int ZERO_CHUNK = 1 << 20;
    private static final int SCAN_CHUNK = 256 << 10;
    private static final long IDLE_THREAD_SECONDS = 30;
    private static final int ZERO_BLOCK = 4096;
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(ZERO_CHUNK).asReadOnlyBuffer();
    private static final ThreadLocal<ByteBuffer> SCRATCH = ThreadLocal.withInitial(
            () -> ByteBuffer.allocateDirect(SCAN_CHUNK));
    private static final Set<Capability> CAPABILITIES = Set.copyOf(EnumSet.of(
            Capability.FLUSH, Capability.FUA, Capability.UNMAP, Capability.WRITE_ZEROES, Capability.MULTI_CONN));

    /** Files open in this runtime. A second channel on a locked file must be avoided: closing it drops the lock. */
    private static final Map<Path, Object> OPEN = new ConcurrentHashMap<>();
    /** Marks a file in {@link #OPEN} whose opening is under way. */
    private static final Object OPENING = new Object();

    private final String diskId;
    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;
    private final ExecutorService pool;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Object closeLock = new Object();
    private final Object growLock = new Object();
    private volatile long capacity;
    private final boolean created;
    private volatile boolean closed;
    private boolean released;

    private FileBackend(String diskId, Path file, FileChannel channel, FileLock lock, long capacity, int threads,
                        boolean created) {
        this.created = created;
        this.diskId = diskId;
        this.file = file;
        this.channel = channel;
        this.lock = lock;
        this.capacity = capacity;
        AtomicInteger threadNumber = new AtomicInteger();
        ThreadPoolExecutor executor = new ThreadPoolExecutor(threads, threads, IDLE_THREAD_SECONDS, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "weir-file-" + diskId + "-" + threadNumber.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        // An idle disk holds no threads (nor their scratch buffers).
        executor.allowCoreThreadTimeOut(true);
        this.pool = executor;
    }

    /** The file that holds {@code spec}'s disk. */
    static Path resolve(BackendSpec spec) {
        String option = spec.options().get(PATH_OPTION);
        Path path = option == null || option.isBlank()
                ? spec.directory().resolve(DEFAULT_FILE_NAME)
                : spec.directory().resolve(option);
        return path.toAbsolutePath().normalize();
    }

    /** Open the disk's file, creating it with the disk's capacity when it does not exist. */
    static FileBackend open(BackendSpec spec) throws IOException {
        Path file = resolve(spec);
        int threads = threads(spec);
        String id = spec.diskId();
        if (OPEN.putIfAbsent(file, OPENING) != null) {
            throw new IOException("file disk '" + id + "': " + file + " is already open in this runtime");
        }
        boolean registered = false;
        try {
            boolean created = false;
            if (!Files.exists(file)) {
                if (option(spec) == null) {
                    Files.createDirectories(file.getParent());
                }
                created = create(id, file, spec.capacity());
            }
            if (!Files.isRegularFile(file)) {
                throw new IOException("file disk '" + id + "': " + file + " is not a regular file");
            }
            FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
            try {
                FileLock lock = channel.tryLock();
                if (lock == null) {
                    throw new IOException("file disk '" + id + "': " + file + " is locked by another process");
                }
                long size = channel.size();
                if (size < spec.capacity()) {
                    throw new IOException("file disk '" + id + "': " + file + " holds " + size
                            + " bytes but the disk's capacity is " + spec.capacity()
                            + " bytes; refusing to open it (the file is never resized to fit)");
                }
                // A larger file is what a grow interrupted between the file and the catalog leaves behind: the
                // disk keeps its catalog capacity and the tail stays unreachable until the disk grows again.
                FileBackend backend = new FileBackend(id, file, channel, lock, size, threads, created);
                OPEN.put(file, backend);
                registered = true;
                return backend;
            } catch (OverlappingFileLockException e) {
                throw new IOException("file disk '" + id + "': " + file + " is already locked in this runtime", e);
            } finally {
                if (!registered) {
                    channel.close();
                }
            }
        } finally {
            if (!registered) {
                OPEN.remove(file);
            }
        }
    }

    private static String option(BackendSpec spec) {
        String option = spec.options().get(PATH_OPTION);
        return option == null || option.isBlank() ? null : option;
    }

    private static int threads(BackendSpec spec) throws IOException {
        String value = spec.options().get(THREADS_OPTION);
        if (value == null) {
            return DEFAULT_THREADS;
        }
        try {
            int n = Integer.parseInt(value.trim());
            if (n >= 1 && n <= 64) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IOException("file disk '" + spec.diskId() + "': option " + THREADS_OPTION + "=" + value
                + " is not a thread count from 1 to 64");
    }

    /**
     * Create the file at its full, sparse size under a temporary name, make it durable, then link it into
     * place, so the file only ever appears complete. Returns false when another open created it meanwhile.
     */
    private static boolean create(String id, Path file, long capacity) throws IOException {
        Path dir = file.getParent();
        Path tmp = null;
        try {
            tmp = Files.createTempFile(dir, file.getFileName() + ".", ".creating");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                if (capacity > 0) {
                    ch.write(ByteBuffer.allocate(1), capacity - 1);
                }
                ch.force(true);
            }
            try {
                // Fails if the name exists, atomically; a rename would replace it.
                Files.createLink(file, tmp);
                Files.delete(tmp);
            } catch (FileAlreadyExistsException e) {
                throw e;
            } catch (UnsupportedOperationException | IOException e) {
                // No hard links here: a plain move, which also refuses an existing target.
                Files.move(tmp, file);
            }
            tmp = null;
            syncDirectory(dir);
            return true;
        } catch (FileAlreadyExistsException e) {
            // Another open created it meanwhile: use that one; the caller checks its size.
            return false;
        } catch (IOException e) {
            throw new IOException("file disk '" + id + "': cannot create " + file + ": " + e, e);
        } finally {
            if (tmp != null) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** Make a directory entry change durable; platforms that cannot open a directory skip this. */
    static void syncDirectory(Path dir) throws IOException {
        FileChannel ch;
        try {
            ch = FileChannel.open(dir, StandardOpenOption.READ);
        } catch (IOException e) {
            return;
        }
        try (ch) {
            ch.force(true);
        }
    }

    /** Whether a disk's file is open in this runtime. */
    static boolean isOpen(Path file) {
        return OPEN.containsKey(file.toAbsolutePath().normalize());
    }

    @Override
    public Set<Capability> capabilities() {
        return CAPABILITIES;
    }

    @Override
    public long capacity() {
        return capacity;
    }

    /**
     * True when this open created the file (sparse, all zeros). The core records from then on whether the disk has
     * been written, so a later open of the same file answers false.
     */
    @Override
    public boolean blank() {
        return created;
    }

    /** The file holding this disk. */
    Path file() {
        return file;
    }

    @Override
    public void submit(IoRequest request, IoCallback callback) {
        inFlight.incrementAndGet();
        if (closed) {
            finish(callback, IoStatus.failed(IoError.SHUTDOWN, "file disk '" + diskId + "' is closed: " + request));
            return;
        }
        if (runsInline(request)) {
            // No interrupt check here: the offer rules out interrupts (InlineIo) and the flag is the caller's.
            finish(callback, execute(request));
            return;
        }
        try {
            pool.execute(() -> {
                // A pending interrupt would make the channel close itself for every request: never let one reach it.
                Thread.interrupted();
                finish(callback, execute(request));
            });
        } catch (RejectedExecutionException e) {
            finish(callback, IoStatus.failed(IoError.SHUTDOWN, "file disk '" + diskId + "' is closing: " + request));
        }
    }

    private void finish(IoCallback callback, IoStatus status) {
        try {
            callback.done(status);
        } catch (RuntimeException | Error e) {
            Thread t = Thread.currentThread();
            t.getUncaughtExceptionHandler().uncaughtException(t, e);
        } finally {
            if (inFlight.decrementAndGet() == 0 && closed) {
                synchronized (closeLock) {
                    closeLock.notifyAll();
                }
            }
        }
    }

    /** A small READ, or WRITE without FUA, whose caller offered its thread (see {@link #INLINE_MAX_BYTES}). */
    private static boolean runsInline(IoRequest request) {
        return switch (request.op()) {
            case READ -> request.length() <= INLINE_MAX_BYTES && InlineIo.offered();
            case WRITE -> !request.fua() && request.length() <= INLINE_MAX_BYTES && InlineIo.offered();
            default -> false;
        };
    }

    private IoStatus execute(IoRequest request) {
        if (request.op().hasRange() && request.end() > capacity) {
            return IoStatus.failed(IoError.OUT_OF_RANGE, "file disk '" + diskId + "': " + request
                    + " ends beyond the capacity of " + capacity + " bytes");
        }
        try {
            switch (request.op()) {
                case READ:
                    read(request.data().duplicate(), request.offset());
                    break;
                case WRITE:
                    write(request.data().duplicate(), request.offset());
                    if (request.fua()) {
                        channel.force(false);
                    }
                    break;
                case FLUSH:
                    channel.force(false);
                    break;
                case UNMAP:
                case WRITE_ZEROES:
                    zero(request.offset(), request.length());
                    if (request.fua()) {
                        channel.force(false);
                    }
                    break;
                default:
                    throw new IOException("unknown operation " + request.op());
            }
            return IoStatus.OK;
        } catch (IOException | RuntimeException e) {
            return failure(diskId, request, e);
        }
    }

    /** The status of a request that failed with {@code e}, naming the disk, operation and range. */
    static IoStatus failure(String diskId, IoRequest request, Exception e) {
        String reason = String.valueOf(e.getMessage());
        IoError error = reason.contains("No space left on device") || reason.contains("Disk quota exceeded")
                ? IoError.NO_SPACE : IoError.IO;
        return IoStatus.failed(error, "file disk '" + diskId + "': " + request.op()
                + (request.op().hasRange() ? " at offset " + request.offset() + " length " + request.length() : "")
                + " failed: " + e.getClass().getSimpleName() + ": " + reason);
    }

    private void read(ByteBuffer dst, long position) throws IOException {
        while (dst.hasRemaining()) {
            int n = channel.read(dst, position);
            if (n < 0) {
                // Past the end of the file: the disk reads zeros there.
                while (dst.hasRemaining()) {
                    ByteBuffer zeros = ZEROS.duplicate();
                    zeros.limit(Math.min(zeros.capacity(), dst.remaining()));
                    dst.put(zeros);
                }
                return;
            }
            position += n;
        }
    }

    private void write(ByteBuffer src, long position) throws IOException {
        while (src.hasRemaining()) {
            position += channel.write(src, position);
        }
    }

    private void writeZeros(long position, long length) throws IOException {
        while (length > 0) {
            ByteBuffer zeros = ZEROS.duplicate();
            zeros.limit((int) Math.min(ZERO_CHUNK, length));
            int n = zeros.remaining();
            write(zeros, position);
            position += n;
            length -= n;
        }
    }

    /** Zero a range, writing only the 4 KiB blocks that are not zero already. */
    private void zero(long offset, long length) throws IOException {
        ByteBuffer scratch = SCRATCH.get();
        long end = offset + length;
        long position = offset;
        while (position < end) {
            int n = (int) Math.min(SCAN_CHUNK, end - position);
            scratch.clear().limit(n);
            read(scratch, position);
            int i = 0;
            while (i < n) {
                if (isZero(scratch, i, Math.min(ZERO_BLOCK, n - i))) {
                    i += ZERO_BLOCK;
                    continue;
                }
                int run = i;
                while (i < n && !isZero(scratch, i, Math.min(ZERO_BLOCK, n - i))) {
                    i += ZERO_BLOCK;
                }
                writeZeros(position + run, Math.min(i, n) - run);
            }
            position += n;
        }
    }

    private static boolean isZero(ByteBuffer buffer, int index, int length) {
        return buffer.slice(index, length).mismatch(ZEROS.slice(0, length)) < 0;
    }

    @Override
    public void grow(long newCapacity) throws IOException {
        synchronized (growLock) {
            if (closed) {
                throw new IOException("file disk '" + diskId + "' is closed");
            }
            long current = capacity;
            if (newCapacity < current) {
                throw new IOException("file disk '" + diskId + "': cannot shrink from " + current + " to "
                        + newCapacity + " bytes");
            }
            if (newCapacity == current) {
                return;
            }
            try {
                // Extends the file sparsely: only the last byte of the new range is written (as zero).
                write(ByteBuffer.allocate(1), newCapacity - 1);
                channel.force(true);
            } catch (IOException e) {
                throw new IOException("file disk '" + diskId + "': cannot grow " + file + " to " + newCapacity
                        + " bytes: " + e.getMessage(), e);
            }
            capacity = newCapacity;
        }
    }

    /** Wait for requests in flight, sync the file with its metadata and close it. Later requests fail. */
    @Override
    public void close() throws IOException {
        synchronized (closeLock) {
            if (released) {
                return;
            }
            closed = true;
            boolean interrupted = false;
            while (inFlight.get() > 0) {
                try {
                    closeLock.wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            released = true;
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (growLock) {
            pool.shutdown();
            try {
                channel.force(true);
            } finally {
                try {
                    lock.release();
                } finally {
                    channel.close();
                    OPEN.remove(file, this);
                }
            }
        }
    }

    @Override
    public String toString() {
        return "FileBackend[" + diskId + ", " + file + ", " + capacity + " bytes" + (closed ? ", closed" : "") + "]";
    }
}
