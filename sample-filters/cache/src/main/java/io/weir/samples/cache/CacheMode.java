package io.weir.samples.cache;

import java.util.Locale;

/** How the cache treats writes. */
public enum CacheMode {
    /** A write completes after the backend completed it; the cache keeps a copy of whole cache blocks written. */
    WRITE_THROUGH("write-through"),
    /** A write completes once it is on the cache file; dirty blocks are written back later. */
    WRITE_BACK("write-back"),
    /** A write goes to the backend only and invalidates the cached copy; reads populate the cache. */
    WRITE_AROUND("write-around");

    private final String key;

    CacheMode(String key) {
        this.key = key;
    }

    /** The configuration value naming this mode. */
    public String key() {
        return key;
    }

    /** The mode named {@code value} (case-insensitive). */
    public static CacheMode parse(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        for (CacheMode m : values()) {
            if (m.key.equals(v)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown cache mode '" + value
                + "': use write-through, write-back or write-around");
    }
}
