package io.weir.backend.memory;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Sparse disk contents: fixed-size pages allocated on first write, found through a two-level directory
 * (directory of leaves, leaf of pages) so that an unwritten range costs nothing.
 *
 * <p>Threading: the directory itself is safe to use concurrently. A page slot and a page's bytes are only
 * read or written by a thread holding the lock that guards that page (the owning store's stripe lock, or
 * the store's log lock for the durable layer); that lock orders every access to them.
 */
final class PageTable {
    static final int PAGE_SHIFT = 16;
    static final int PAGE_SIZE = 1 << PAGE_SHIFT;
    private static final int LEAF_SHIFT = 10;
    private static final int LEAF_PAGES = 1 << LEAF_SHIFT;
    private static final byte[] ZEROS = new byte[PAGE_SIZE];

    private final Object directoryLock = new Object();
    private volatile AtomicReferenceArray<byte[][]> directory;
    private final AtomicLong allocatedPages = new AtomicLong();

    PageTable(long capacity) {
        directory = new AtomicReferenceArray<>(leavesFor(capacity));
    }

    private static int leavesFor(long capacity) {
        long pages = (capacity + PAGE_SIZE - 1) >>> PAGE_SHIFT;
        long leaves = (pages + LEAF_PAGES - 1) >>> LEAF_SHIFT;
        if (leaves > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("capacity too large for a memory backend: " + capacity);
        }
        return (int) Math.max(1, leaves);
    }

    /** Make room for {@code capacity} bytes; existing pages are kept. */
    void ensureCapacity(long capacity) {
        int leaves = leavesFor(capacity);
        synchronized (directoryLock) {
            AtomicReferenceArray<byte[][]> old = directory;
            if (leaves <= old.length()) {
                return;
            }
            AtomicReferenceArray<byte[][]> grown = new AtomicReferenceArray<>(leaves);
            for (int i = 0; i < old.length(); i++) {
                grown.set(i, old.get(i));
            }
            directory = grown;
        }
    }

    /** Bytes held by allocated pages. */
    long allocatedBytes() {
        return allocatedPages.get() << PAGE_SHIFT;
    }

    private byte[][] leaf(long pageNo, boolean create) {
        int index = (int) (pageNo >>> LEAF_SHIFT);
        byte[][] leaf = directory.get(index);
        if (leaf != null || !create) {
            return leaf;
        }
        synchronized (directoryLock) {
            AtomicReferenceArray<byte[][]> dir = directory;
            leaf = dir.get(index);
            if (leaf == null) {
                leaf = new byte[LEAF_PAGES][];
                dir.set(index, leaf);
            }
            return leaf;
        }
    }

    private byte[] page(long pageNo) {
        byte[][] leaf = leaf(pageNo, false);
        return leaf == null ? null : leaf[(int) (pageNo & (LEAF_PAGES - 1))];
    }

    private byte[] pageForWrite(long pageNo) {
        byte[][] leaf = leaf(pageNo, true);
        int slot = (int) (pageNo & (LEAF_PAGES - 1));
        byte[] page = leaf[slot];
        if (page == null) {
            page = new byte[PAGE_SIZE];
            leaf[slot] = page;
            allocatedPages.incrementAndGet();
        }
        return page;
    }

    private void dropPage(long pageNo) {
        byte[][] leaf = leaf(pageNo, false);
        if (leaf != null) {
            int slot = (int) (pageNo & (LEAF_PAGES - 1));
            if (leaf[slot] != null) {
                leaf[slot] = null;
                allocatedPages.decrementAndGet();
            }
        }
    }

    /** Copy {@code length} bytes at disk {@code offset} into {@code dst} at absolute index {@code dstIndex}. */
    void read(long offset, ByteBuffer dst, int dstIndex, int length) {
        while (length > 0) {
            long pageNo = offset >>> PAGE_SHIFT;
            int inPage = (int) (offset & (PAGE_SIZE - 1));
            int n = Math.min(length, PAGE_SIZE - inPage);
            byte[] page = page(pageNo);
            if (page == null) {
                dst.put(dstIndex, ZEROS, 0, n);
            } else {
                dst.put(dstIndex, page, inPage, n);
            }
            offset += n;
            dstIndex += n;
            length -= n;
        }
    }

    /** Copy {@code length} bytes of {@code src} from absolute index {@code srcIndex} to disk {@code offset}. */
    void write(long offset, ByteBuffer src, int srcIndex, int length) {
        while (length > 0) {
            long pageNo = offset >>> PAGE_SHIFT;
            int inPage = (int) (offset & (PAGE_SIZE - 1));
            int n = Math.min(length, PAGE_SIZE - inPage);
            src.get(srcIndex, pageForWrite(pageNo), inPage, n);
            offset += n;
            srcIndex += n;
            length -= n;
        }
    }

    /** Zero a range: whole pages are released, partial ones cleared in place. */
    void zero(long offset, long length) {
        while (length > 0) {
            long pageNo = offset >>> PAGE_SHIFT;
            int inPage = (int) (offset & (PAGE_SIZE - 1));
            int n = (int) Math.min(length, PAGE_SIZE - inPage);
            if (n == PAGE_SIZE) {
                dropPage(pageNo);
            } else {
                byte[] page = page(pageNo);
                if (page != null) {
                    Arrays.fill(page, inPage, inPage + n, (byte) 0);
                }
            }
            offset += n;
            length -= n;
        }
    }

    /** A deep copy; the caller must hold every lock guarding this table's pages. */
    PageTable copy() {
        AtomicReferenceArray<byte[][]> dir = directory;
        PageTable copy = new PageTable((long) dir.length() << (LEAF_SHIFT + PAGE_SHIFT));
        for (int i = 0; i < dir.length(); i++) {
            byte[][] leaf = dir.get(i);
            if (leaf == null) {
                continue;
            }
            byte[][] leafCopy = new byte[LEAF_PAGES][];
            long pages = 0;
            for (int s = 0; s < LEAF_PAGES; s++) {
                if (leaf[s] != null) {
                    leafCopy[s] = leaf[s].clone();
                    pages++;
                }
            }
            copy.directory.set(i, leafCopy);
            copy.allocatedPages.addAndGet(pages);
        }
        return copy;
    }
}
