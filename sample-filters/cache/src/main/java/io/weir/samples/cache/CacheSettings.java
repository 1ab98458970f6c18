package io.weir.samples.cache;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The per-disk settings of the {@code cache} filter, declared through Metatype so the runtime refuses unknown or
 * malformed keys before the filter is created. Key names are the method names with {@code _} read as {@code .}
 * (for example {@code cache.mode}).
 */
@ObjectClassDefinition(name = "Weir cache filter",
        description = "Caches a disk's reads and writes on a local cache file, one file per disk")
public @interface CacheSettings {
    @AttributeDefinition(description = "write-through, write-back or write-around")
    String cache_mode() default "write-through";

    @AttributeDefinition(description = "Alias of cache.mode, the key the certification kit reads; when both are"
            + " given they must agree")
    String mode() default "";

    @AttributeDefinition(description = "Directory of the cache files (one per disk); empty: a private temporary"
            + " directory, refused for write-back")
    String cache_directory() default "";

    @AttributeDefinition(min = "65536", description = "Bytes of disk data the cache file holds")
    long cache_size() default 256L << 20;

    @AttributeDefinition(min = "4096", description = "Cache block size in bytes: a power of two, at least 4096 and"
            + " a multiple of the disk block size")
    int cache_block_size() default 4096;

    @AttributeDefinition(min = "1", max = "100", description = "Write-back starts when dirty data exceeds this"
            + " percentage of the cache")
    int cache_writeback_high() default 50;

    @AttributeDefinition(min = "0", max = "99", description = "Background write-back stops when dirty data is at"
            + " or below this percentage of the cache")
    int cache_writeback_low() default 20;

    @AttributeDefinition(description = "What FLUSH and FUA make durable in write-back mode: cache-device (data and"
            + " metadata forced on the cache file) or backend (dirty data written back and flushed below)")
    String cache_flush() default "cache-device";
}
