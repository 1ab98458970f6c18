package io.weir.admin.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;

import org.junit.jupiter.api.Test;

class BlockPatternTest {
    private final BlockPattern pattern = new BlockPattern(512, 99);
    private final ByteBuffer scratch = ByteBuffer.allocate(4096);

    private ByteBuffer filled(long block, int generation) {
        ByteBuffer b = ByteBuffer.allocate(2048);
        pattern.fill(b, block, generation);
        return b;
    }

    @Test
    void contentsAreAFunctionOfBlockGenerationAndSeed() {
        assertEquals(filled(8, 3), filled(8, 3));
        assertNotEquals(filled(8, 3), filled(8, 4));
        assertNotEquals(filled(8, 3), filled(12, 3));
        ByteBuffer other = ByteBuffer.allocate(2048);
        new BlockPattern(512, 100).fill(other, 8, 3);
        assertNotEquals(filled(8, 3), other);
    }

    @Test
    void checkFindsTheFirstDifferingByte() {
        ByteBuffer b = filled(8, 3);
        assertEquals(-1, pattern.check(b, scratch, 8, 3));
        b.put(1500, (byte) (b.get(1500) ^ 1));
        assertEquals(1500, pattern.check(b, scratch, 8, 3));
        String message = pattern.describe(b, 1500, 8, 3);
        assertTrue(message.startsWith("offset 5120 (block 10, first bad byte +476)"), message);
    }

    @Test
    void mismatchesAreToldApart() {
        assertTrue(pattern.describe(filled(8, 2), 0, 8, 3).contains("generation 2 (a lost write: stale data)"));
        assertTrue(pattern.describe(filled(9, 3), 0, 8, 3).contains("data written for block 9 (misdirected"));
        ByteBuffer foreign = ByteBuffer.allocate(2048);
        new BlockPattern(512, 1).fill(foreign, 8, 3);
        assertTrue(pattern.describe(foreign, 0, 8, 3).contains("data of another run (seed 1)"));
        assertTrue(pattern.describe(ByteBuffer.allocate(2048), 0, 8, 3).contains("only zeros"));
        ByteBuffer junk = ByteBuffer.allocate(2048);
        junk.put(3, (byte) 7);
        assertTrue(pattern.describe(junk, 3, 8, 3).contains("bytes not written by this load generator"));
        ByteBuffer damaged = filled(8, 3);
        damaged.put(9, (byte) 0x55);
        assertTrue(pattern.describe(damaged, 9, 8, 3).contains("damaged header"));
    }
}
