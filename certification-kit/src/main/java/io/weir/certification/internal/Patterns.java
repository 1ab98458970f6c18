package io.weir.certification.internal;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Block contents the kit writes: each (unit, version) pair has its own high-entropy pattern derived from the
 * run's seed, so any read can be matched to the write it came from; version 0 is all zeros.
 */
public final class Patterns {
    private final long seed;
    private final int unitSize;

    public Patterns(long seed, int unitSize) {
        this.seed = seed;
        this.unitSize = unitSize;
    }

    public int unitSize() {
        return unitSize;
    }

    /** The contents of {@code unit} after the write of {@code version}. */
    public byte[] of(long unit, int version) {
        byte[] b = new byte[unitSize];
        if (version == 0) {
            return b;
        }
        SplittableRandom r = new SplittableRandom(seed ^ (unit * 0x9E3779B97F4A7C15L) ^ (version * 0xC2B2AE3D27D4EB4FL));
        r.nextBytes(b);
        return b;
    }

    /** Which of {@code versions} {@code data} (one unit) holds, or -1 for none. */
    public int match(long unit, byte[] data, int... versions) {
        for (int v : versions) {
            if (Arrays.equals(of(unit, v), data)) {
                return v;
            }
        }
        return -1;
    }

    /** A short description of unexpected contents: zeros, a known version, or a hex prefix. */
    public String describe(long unit, byte[] data, int maxVersion) {
        boolean zero = true;
        for (byte x : data) {
            if (x != 0) {
                zero = false;
                break;
            }
        }
        if (zero) {
            return "zeros";
        }
        for (int v = 1; v <= maxVersion; v++) {
            if (Arrays.equals(of(unit, v), data)) {
                return "version " + v;
            }
        }
        StringBuilder s = new StringBuilder("unknown bytes ");
        for (int i = 0; i < 8 && i < data.length; i++) {
            s.append(String.format("%02x", data[i] & 0xff));
        }
        return s.append("...").toString();
    }
}
