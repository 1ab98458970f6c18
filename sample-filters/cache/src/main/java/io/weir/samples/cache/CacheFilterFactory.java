package io.weir.samples.cache;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

import io.weir.filter.Filter;
import io.weir.filter.FilterClass;
import io.weir.filter.FilterContext;
import io.weir.filter.FilterFactory;
import io.weir.filter.FilterRefusedException;
import io.weir.filter.FilterType;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The {@code cache} filter (class CACHE): caches a disk's reads and writes on a local cache file, one file per disk
 * in the directory {@code cache.directory}, in write-through, write-back or write-around mode, with S3-FIFO
 * eviction. Write-back data and the metadata locating it are kept in a checksummed log on the cache file, so FLUSH
 * and FUA are honoured there and a crash loses nothing that was made durable. See {@link CacheSettings} for the
 * keys and the module's README for the guarantees. {@link #metrics(String)} reports per disk.
 */
@Component(service = FilterFactory.class)
@Designate(ocd = CacheSettings.class)
@FilterType(filterName = "cache", filterClass = FilterClass.CACHE)
public final class CacheFilterFactory implements FilterFactory {
    private final Map<String, CacheInstance> disks = new ConcurrentHashMap<>();
    private Path temporaryDirectory;

    /** A factory with no disks yet. */
    public CacheFilterFactory() {
        // instances are created per disk
    }

    @Override
    public Filter create(FilterContext context) throws FilterRefusedException {
        String diskId = context.diskId();
        CacheSettings s;
        CacheMode mode;
        try {
            s = context.config(CacheSettings.class);
            mode = CacheMode.parse(s.cache_mode());
            if (s.mode() != null && !s.mode().isBlank()) {
                CacheMode alias = CacheMode.parse(s.mode());
                if (context.properties().containsKey("cache.mode") && alias != mode) {
                    throw new IllegalArgumentException("cache.mode '" + s.cache_mode() + "' and mode '" + s.mode()
                            + "' disagree");
                }
                mode = alias;
            }
        } catch (IllegalArgumentException e) {
            throw new FilterRefusedException("disk '" + diskId + "': " + e.getMessage(), e);
        }
        int block = s.cache_block_size();
        if (block < 4096 || Integer.bitCount(block) != 1 || block % context.blockSize() != 0) {
            throw new FilterRefusedException("disk '" + diskId + "': cache.block.size " + block + " must be a power of"
                    + " two of at least 4096 and a multiple of the disk block size " + context.blockSize());
        }
        if (block > context.maxRequestLength()) {
            throw new FilterRefusedException("disk '" + diskId + "': cache.block.size " + block + " exceeds the disk's"
                    + " largest request of " + context.maxRequestLength() + " bytes");
        }
        long slots = s.cache_size() / block;
        if (slots < 16 || slots > Integer.MAX_VALUE / 4) {
            throw new FilterRefusedException("disk '" + diskId + "': cache.size " + s.cache_size() + " must hold"
                    + " between 16 and " + Integer.MAX_VALUE / 4 + " cache blocks of " + block + " bytes");
        }
        int high = s.cache_writeback_high();
        int low = s.cache_writeback_low();
        if (high < 1 || high > 100 || low < 0 || low >= high) {
            throw new FilterRefusedException("disk '" + diskId + "': cache.writeback.low " + low + " must be below"
                    + " cache.writeback.high " + high + " (percentages, high 1 to 100)");
        }
        String flush = s.cache_flush().trim().toLowerCase(Locale.ROOT);
        if (!flush.equals("cache-device") && !flush.equals("backend")) {
            throw new FilterRefusedException("disk '" + diskId + "': cache.flush '" + s.cache_flush() + "' must be"
                    + " cache-device or backend");
        }
        String dir = s.cache_directory() == null ? "" : s.cache_directory().trim();
        boolean temporary = dir.isEmpty();
        Path directory;
        if (temporary) {
            if (mode == CacheMode.WRITE_BACK) {
                throw new FilterRefusedException("disk '" + diskId + "': write-back needs cache.directory, a"
                        + " directory that survives restarts, to recover dirty data from");
            }
            directory = temporaryDirectory(diskId);
        } else {
            try {
                directory = Path.of(dir);
            } catch (InvalidPathException e) {
                throw new FilterRefusedException("disk '" + diskId + "': cache.directory '" + dir + "' is not a"
                        + " path: " + e.getMessage(), e);
            }
        }
        return new CacheInstance(this, context, mode, flush.equals("backend"), directory.resolve(fileName(diskId)),
                temporary, block, slots, high, low);
    }

    private synchronized Path temporaryDirectory(String diskId) throws FilterRefusedException {
        if (temporaryDirectory == null) {
            try {
                temporaryDirectory = Files.createTempDirectory("weir-cache-");
            } catch (IOException e) {
                throw new FilterRefusedException("disk '" + diskId + "': no cache.directory given and no temporary"
                        + " directory can be made: " + e.getMessage(), e);
            }
        }
        return temporaryDirectory;
    }

    /** The cache file name of {@code diskId}: the id itself when it is a safe file name, else its Base64 form. */
    static String fileName(String diskId) {
        boolean safe = !diskId.isEmpty() && diskId.length() <= 200 && diskId.matches("[A-Za-z0-9][A-Za-z0-9._-]*");
        String name = safe ? diskId : "b64-" + Base64.getUrlEncoder().withoutPadding()
                .encodeToString(diskId.getBytes(StandardCharsets.UTF_8));
        return (name.length() > 240 ? name.substring(0, 240) : name) + ".cache";
    }

    /** What the cache of the attached disk {@code diskId} holds and did, if the disk is attached. */
    public Optional<CacheMetrics> metrics(String diskId) {
        return Optional.ofNullable(disks.get(diskId)).map(CacheInstance::metrics);
    }

    /** The disks whose cache is attached now. */
    public TreeSet<String> disks() {
        return new TreeSet<>(disks.keySet());
    }

    void attached(CacheInstance instance) {
        disks.put(instance.diskId(), instance);
    }

    void detached(CacheInstance instance) {
        disks.remove(instance.diskId(), instance);
    }
}
