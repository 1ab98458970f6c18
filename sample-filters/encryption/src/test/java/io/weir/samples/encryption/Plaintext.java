package io.weir.samples.encryption;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;

/**
 * Plaintext a test writes, and a scanner that finds any 8-byte run of it in other bytes at any offset: the way to
 * show that nothing below the filter holds plaintext.
 */
final class Plaintext {
    private final Set<Long> runs = new HashSet<>();

    /** Random bytes from {@code seed}. */
    static byte[] random(long seed, int length) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Low-entropy text, the kind a weak cipher mode would leak patterns of. */
    static byte[] text(String line, int length) {
        byte[] unit = line.getBytes(StandardCharsets.US_ASCII);
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = unit[i % unit.length];
        }
        return b;
    }

    /**
     * Remember every 8-byte run of {@code plain} (at every offset) without a zero byte: runs with zeros also occur
     * where ciphertext meets never-written space, so they would be found by chance.
     */
    Plaintext add(byte[] plain) {
        ByteBuffer b = ByteBuffer.wrap(plain).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i + 8 <= plain.length; i++) {
            long v = b.getLong(i);
            if (!hasZeroByte(v)) {
                runs.add(v);
            }
        }
        return this;
    }

    private static boolean hasZeroByte(long v) {
        return ((v - 0x0101010101010101L) & ~v & 0x8080808080808080L) != 0;
    }

    /** Offsets in {@code bytes} where an 8-byte run of the remembered plaintext appears. */
    int leaks(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int found = 0;
        for (int i = 0; i + 8 <= bytes.length; i++) {
            if (runs.contains(b.getLong(i))) {
                found++;
            }
        }
        return found;
    }
}
