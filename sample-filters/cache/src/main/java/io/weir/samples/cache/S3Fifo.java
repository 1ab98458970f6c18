package io.weir.samples.cache;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongPredicate;

/**
 * The S3-FIFO eviction policy (Yang et al., "FIFO queues are all you need for cache eviction", SOSP 2023) over
 * keys (cache block numbers). A small FIFO (10% of the capacity) takes new keys; a key reaches the main FIFO
 * only if it was hit while in the small one, or if it returns while remembered in the ghost FIFO (keys only,
 * as many as the main FIFO holds). A scan therefore passes through the small FIFO and never displaces the
 * working set in the main one. Main evicts in FIFO order, giving a key with hits another round (its counter,
 * capped at 3, is decremented).
 *
 * <p>Keys the caller cannot drop now (dirty blocks) are skipped by {@link #evict(LongPredicate)} and kept. Not
 * thread-safe: the cache uses it from its serial executor only.
 */
public final class S3Fifo {
    private static final int MAX_FREQ = 3;

    private final long capacity;
    private final long smallTarget;
    private final LinkedHashMap<Long, int[]> small = new LinkedHashMap<>();
    private final LinkedHashMap<Long, int[]> main = new LinkedHashMap<>();
    private final LinkedHashMap<Long, Boolean> ghost = new LinkedHashMap<>();

    /** A policy for a cache of {@code capacity} keys (at least 1). */
    public S3Fifo(long capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, got " + capacity);
        }
        this.capacity = capacity;
        this.smallTarget = Math.max(1, capacity / 10);
    }

    /** Keys tracked (small plus main). */
    public int size() {
        return small.size() + main.size();
    }

    public boolean contains(long key) {
        return small.containsKey(key) || main.containsKey(key);
    }

    /** A hit on a tracked key. */
    public void hit(long key) {
        int[] f = small.get(key);
        if (f == null) {
            f = main.get(key);
        }
        if (f != null && f[0] < MAX_FREQ) {
            f[0]++;
        }
    }

    /** Track a new key; the caller made room first (size below capacity). A remembered ghost goes to main. */
    public void insert(long key) {
        if (contains(key)) {
            hit(key);
            return;
        }
        if (ghost.remove(key) != null) {
            main.put(key, new int[1]);
        } else {
            small.put(key, new int[1]);
        }
    }

    /** Stop tracking {@code key} (invalidated); it is not remembered as a ghost. */
    public void remove(long key) {
        if (small.remove(key) == null) {
            main.remove(key);
        }
    }

    /**
     * Choose a key to evict among those {@code evictable} accepts, stop tracking it and return it; -1 when every
     * tracked key is refused.
     */
    public long evict(LongPredicate evictable) {
        int budget = 2 * size() + 2;
        while (budget-- > 0 && size() > 0) {
            boolean fromSmall = small.size() >= smallTarget || main.isEmpty();
            LinkedHashMap<Long, int[]> queue = fromSmall && !small.isEmpty() ? small : main;
            Iterator<Map.Entry<Long, int[]>> it = queue.entrySet().iterator();
            Map.Entry<Long, int[]> head = it.next();
            long key = head.getKey();
            int[] f = head.getValue();
            it.remove();
            if (queue == small) {
                if (f[0] > 0) {
                    f[0] = 0;
                    main.put(key, f);
                    continue;
                }
                if (!evictable.test(key)) {
                    main.put(key, f);
                    continue;
                }
                remember(key);
                return key;
            }
            if (f[0] > 0) {
                f[0]--;
                main.put(key, f);
                continue;
            }
            if (!evictable.test(key)) {
                main.put(key, f);
                continue;
            }
            remember(key);
            return key;
        }
        return -1;
    }

    private void remember(long key) {
        ghost.put(key, Boolean.TRUE);
        long ghostCapacity = Math.max(1, capacity - smallTarget);
        Iterator<Long> it = ghost.keySet().iterator();
        while (ghost.size() > ghostCapacity && it.hasNext()) {
            it.next();
            it.remove();
        }
    }
}
