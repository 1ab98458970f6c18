package io.weir.admin.load;

import java.nio.ByteBuffer;

/**
 * The contents the load generator writes in verify mode: every logical block of the disk gets a 32-byte
 * header followed by pseudo-random bytes, all a pure function of (block number, generation, seed), so a
 * reader can regenerate exactly what must be there and, on a mismatch, tell what is there instead.
 *
 * <pre>
 * 0   magic "WEIRLOAD" (8 bytes)
 * 8   block number: byte offset on the disk / logical block size (8 bytes, big-endian)
 * 16  generation: how many times this run has written the block (4 bytes)
 * 20  header check: a hash of the three values (4 bytes)
 * 24  seed of the run (8 bytes)
 * 32  payload: SplitMix64 stream seeded from (block, generation, seed)
 * </pre>
 */
public final class BlockPattern {
    /** "WEIRLOAD" in ASCII. */
    static final long MAGIC = 0x5745_4952_4C4F_4144L;
    static final int HEADER = 32;
    private static final long GOLDEN = 0x9E37_79B9_7F4A_7C15L;

    private final int blockSize;
    private final long seed;

    /** For a disk with logical blocks of {@code blockSize} bytes (a multiple of 8, at least 64). */
    public BlockPattern(int blockSize, long seed) {
        if (blockSize < 64 || blockSize % 8 != 0) {
            throw new IllegalArgumentException("block size " + blockSize + " is not a multiple of 8 of at least 64");
        }
        this.blockSize = blockSize;
        this.seed = seed;
    }

    /** Fill {@code dst} (from index 0 to its limit, a multiple of the block size) for blocks from {@code firstBlock}. */
    public void fill(ByteBuffer dst, long firstBlock, int generation) {
        int blocks = dst.limit() / blockSize;
        for (int k = 0; k < blocks; k++) {
            long block = firstBlock + k;
            int base = k * blockSize;
            dst.putLong(base, MAGIC);
            dst.putLong(base + 8, block);
            dst.putInt(base + 16, generation);
            dst.putInt(base + 20, headerCheck(block, generation, seed));
            dst.putLong(base + 24, seed);
            long state = mix(mix(block ^ mix(seed)) + generation);
            for (int i = HEADER; i < blockSize; i += 8) {
                state += GOLDEN;
                dst.putLong(base + i, mix(state));
            }
        }
    }

    /**
     * Compare {@code actual} (from index 0 to its limit) with what {@link #fill} produces, using
     * {@code scratch} (at least as large) for the expected bytes.
     *
     * @return the index of the first differing byte, or -1 when everything matches
     */
    public int check(ByteBuffer actual, ByteBuffer scratch, long firstBlock, int generation) {
        ByteBuffer expected = scratch.duplicate().clear().limit(actual.limit());
        fill(expected, firstBlock, generation);
        ByteBuffer a = actual.duplicate().position(0);
        return a.mismatch(expected.position(0));
    }

    /** A one-line account of a mismatch found by {@link #check} at byte {@code index} of {@code actual}. */
    public String describe(ByteBuffer actual, int index, long firstBlock, int generation) {
        int k = index / blockSize;
        int within = index % blockSize;
        long block = firstBlock + k;
        long offset = block * blockSize;
        int base = k * blockSize;
        String where = "offset " + offset + " (block " + block + ", first bad byte +" + within + "): expected generation "
                + generation + ", found ";
        long magic = actual.getLong(base);
        if (magic == MAGIC) {
            long foundBlock = actual.getLong(base + 8);
            int foundGen = actual.getInt(base + 16);
            long foundSeed = actual.getLong(base + 24);
            boolean headerIntact = actual.getInt(base + 20) == headerCheck(foundBlock, foundGen, foundSeed);
            if (!headerIntact) {
                return where + "a damaged header";
            }
            if (foundSeed != seed) {
                return where + "data of another run (seed " + foundSeed + ")";
            }
            if (foundBlock != block) {
                return where + "data written for block " + foundBlock + " (misdirected write or read)";
            }
            if (foundGen < generation) {
                return where + "generation " + foundGen + " (a lost write: stale data)";
            }
            if (foundGen > generation) {
                return where + "generation " + foundGen + ", newer than any this run completed";
            }
            return where + "the right header but a corrupted payload";
        }
        boolean zeros = true;
        for (int i = base; i < base + blockSize && zeros; i++) {
            zeros = actual.get(i) == 0;
        }
        return where + (zeros ? "only zeros" : "bytes not written by this load generator");
    }

    private static int headerCheck(long block, int generation, long seed) {
        return (int) mix(block * 31 + generation * 0x1_0000_0001L + seed);
    }

    /** SplitMix64's finaliser. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
        return z ^ (z >>> 31);
    }
}
