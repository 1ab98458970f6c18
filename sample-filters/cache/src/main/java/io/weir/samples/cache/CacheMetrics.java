package io.weir.samples.cache;

/**
 * A snapshot of one disk's cache since its filter instance was attached.
 *
 * @param diskId          the disk
 * @param mode            the instance's mode
 * @param cacheFile       the cache file
 * @param readHits        READs served entirely from the cache
 * @param readMisses      READs that needed the layer below for some of their blocks
 * @param recoveredBytes  dirty bytes recovered from the cache file when the instance was attached
 * @param cachedBytes     bytes of disk data held in the cache now
 * @param dirtyBytes      bytes held in the cache and not yet written back
 * @param writtenBack     bytes written back to the layer below
 * @param writeBackRate   bytes written back per second, averaged since attach
 * @param evictions       cache blocks evicted to make room
 * @param failure         why the cache file is no longer used, or {@code null} when it is healthy
 */
public record CacheMetrics(String diskId, CacheMode mode, String cacheFile, long readHits, long readMisses,
                           long recoveredBytes, long cachedBytes, long dirtyBytes, long writtenBack, double writeBackRate,
                           long evictions, String failure) {
    /** The figures operators see in {@code weir disk info}, by name. */
    public java.util.Map<String, Object> asMap() {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("mode", mode.toString());
        m.put("hitRatio", Math.round(hitRatio() * 10_000) / 10_000.0);
        m.put("readHits", readHits);
        m.put("readMisses", readMisses);
        m.put("cachedBytes", cachedBytes);
        m.put("dirtyBytes", dirtyBytes);
        m.put("writtenBackBytes", writtenBack);
        m.put("writeBackBytesPerSecond", Math.round(writeBackRate));
        m.put("evictions", evictions);
        m.put("recoveredBytes", recoveredBytes);
        m.put("failure", failure == null || failure.isEmpty() ? "-" : failure);
        return m;
    }

    /** Read hits over all READs; 0 before any READ. */
    public double hitRatio() {
        long all = readHits + readMisses;
        return all == 0 ? 0 : (double) readHits / all;
    }
}
