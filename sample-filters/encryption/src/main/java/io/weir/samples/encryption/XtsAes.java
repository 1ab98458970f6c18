package io.weir.samples.encryption;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

import javax.crypto.Cipher;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.SecretKeySpec;

/**
 * XTS-AES (IEEE 1619, NIST SP 800-38E) over data units of one fixed size, built on the JDK's
 * {@code AES/ECB/NoPadding} (hardware accelerated where the CPU has AES instructions).
 *
 * <p>The key is {@code K1 || K2}: two AES keys of equal length (16 or 32 bytes each), K1 for the data, K2 for the
 * tweak. A key whose halves are equal is refused, as SP 800-38E requires. Data unit {@code i} (the tweak value) is
 * encoded as a 128-bit little-endian integer. For each data unit {@code T = AES-K2(i)}, and each 16-byte block
 * {@code j} is {@code C = AES-K1(P xor T·αʲ) xor T·αʲ} in GF(2¹²⁸). Data units must be a multiple of 16 bytes, so
 * ciphertext stealing never applies.
 *
 * <p>Work is done a chunk of data units at a time: the chunk's initial tweaks are encrypted with one ECB call, the
 * chunk is xored with the tweak sequence into scratch space, encrypted with one ECB call into the output, and xored
 * with the sequence again. Ciphers come from a pool per key and scratch space is kept per thread (shared by every
 * key, so it is bounded by the threads doing crypto, not by the disks): nothing is allocated per call once warm.
 * Thread safe; {@link #close()} drops the pooled ciphers.
 */
public final class XtsAes implements AutoCloseable {
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final int BLOCK = 16;
    /** Bytes processed per ECB call: enough to amortise the call, small enough to stay in L1/L2 with its tweaks. */
    private static final int CHUNK = 16 << 10;
    /** Idle cipher sets kept per key: enough for every thread a disk's requests may run on at once. */
    private static final int MAX_IDLE_ENGINES = 64;
    /**
     * Per thread: {scratch, staging, seeds}. Plain arrays (JDK types only), so a thread never keeps this bundle's
     * classes alive through its thread-local map.
     */
    private static final ThreadLocal<byte[][]> SCRATCH = new ThreadLocal<>();

    private final SecretKeySpec dataKey;
    private final SecretKeySpec tweakKey;
    private final int unitSize;
    private final int chunk;
    private final ConcurrentLinkedQueue<Engine> idle = new ConcurrentLinkedQueue<>();
    private final AtomicInteger idleCount = new AtomicInteger();
    private volatile boolean closed;

    /**
     * @param key          {@code K1 || K2}: 32 bytes (XTS-AES-128) or 64 bytes (XTS-AES-256); not retained, the
     *                     caller may wipe it afterwards
     * @param dataUnitSize bytes per data unit: a positive multiple of 16
     * @throws IllegalArgumentException the key is not 32 or 64 bytes, its halves are equal, or the unit size is bad
     */
    public XtsAes(byte[] key, int dataUnitSize) {
        if (key.length != 32 && key.length != 64) {
            throw new IllegalArgumentException("an XTS-AES key is 32 or 64 bytes (K1 || K2), not " + key.length);
        }
        if (dataUnitSize < BLOCK || dataUnitSize % BLOCK != 0) {
            throw new IllegalArgumentException("the data unit must be a positive multiple of 16 bytes, not "
                    + dataUnitSize);
        }
        int half = key.length / 2;
        byte[] k1 = Arrays.copyOfRange(key, 0, half);
        byte[] k2 = Arrays.copyOfRange(key, half, key.length);
        try {
            if (MessageDigest.isEqual(k1, k2)) {
                throw new IllegalArgumentException("XTS needs two different keys, but K1 equals K2");
            }
            this.dataKey = new SecretKeySpec(k1, "AES");
            this.tweakKey = new SecretKeySpec(k2, "AES");
        } finally {
            Arrays.fill(k1, (byte) 0);
            Arrays.fill(k2, (byte) 0);
        }
        this.unitSize = dataUnitSize;
        this.chunk = Math.max(dataUnitSize, CHUNK / dataUnitSize * dataUnitSize);
        release(engine()); // fail now, not on the data path, if the platform lacks AES
    }

    /** Bytes per data unit. */
    public int dataUnitSize() {
        return unitSize;
    }

    /**
     * Encrypt the remaining bytes of {@code plain} (whole data units, the first one numbered {@code unit}) into
     * {@code cipher} from its position. Positions and limits of both buffers are left as they were; {@code plain}
     * is only read.
     */
    public void encrypt(long unit, ByteBuffer plain, ByteBuffer cipher) {
        int length = plain.remaining();
        checkLength(length);
        if (cipher.remaining() < length) {
            throw new IllegalArgumentException("output holds " + cipher.remaining() + " bytes, input " + length);
        }
        transform(true, unit, plain, cipher, length);
    }

    /**
     * Decrypt the remaining bytes of {@code data} (whole data units, the first one numbered {@code unit}) in place.
     * Its position and limit are left as they were.
     */
    public void decrypt(long unit, ByteBuffer data) {
        int length = data.remaining();
        checkLength(length);
        transform(false, unit, data, data, length);
    }

    /** Encrypt {@code length} bytes of {@code in} from {@code from} into {@code out} at {@code to}. */
    public void encrypt(long unit, byte[] in, int from, int length, byte[] out, int to) {
        encrypt(unit, ByteBuffer.wrap(in, from, length), ByteBuffer.wrap(out, to, length));
    }

    /** Decrypt {@code length} bytes of {@code in} from {@code from} into {@code out} at {@code to}. */
    public void decrypt(long unit, byte[] in, int from, int length, byte[] out, int to) {
        System.arraycopy(in, from, out, to, length);
        decrypt(unit, ByteBuffer.wrap(out, to, length));
    }

    /** {@code length} bytes from {@code in}'s position to {@code out}'s position (which may be the same buffer). */
    private void transform(boolean encrypt, long unit, ByteBuffer in, ByteBuffer out, int length) {
        Engine e = engine();
        byte[][] scratch = scratch();
        try {
            int inAt = in.position();
            int outAt = out.position();
            boolean arrays = in.hasArray() && out.hasArray() && !out.isReadOnly();
            for (int done = 0; done < length; done += chunk) {
                int n = Math.min(chunk, length - done);
                long first = unit + done / unitSize;
                if (arrays) {
                    crypt(e, scratch, encrypt, first, in.array(), in.arrayOffset() + inAt + done,
                            out.array(), out.arrayOffset() + outAt + done, n);
                } else {
                    byte[] staging = scratch[1];
                    in.get(inAt + done, staging, 0, n);
                    crypt(e, scratch, encrypt, first, staging, 0, staging, 0, n);
                    out.put(outAt + done, staging, 0, n);
                }
            }
        } finally {
            release(e);
        }
    }

    /** Drop the pooled ciphers; later calls fail with {@link IllegalStateException}. */
    @Override
    public void close() {
        closed = true;
        while (idle.poll() != null) {
            idleCount.decrementAndGet();
        }
    }

    private void checkLength(int length) {
        if (length % unitSize != 0) {
            throw new IllegalArgumentException(length + " bytes is not a whole number of " + unitSize
                    + "-byte data units");
        }
    }

    /**
     * XTS over {@code n} bytes (whole data units, at most one chunk, the first numbered {@code unit}) from {@code in}
     * to {@code out}, which may be the same range. The ECB pass goes through the thread's scratch array, so the
     * cipher never works in place (the JDK copies its input to a fresh array when it does).
     */
    private void crypt(Engine e, byte[][] scratch, boolean encrypt, long unit, byte[] in, int inOff, byte[] out,
                       int outOff, int n) {
        int units = n / unitSize;
        byte[] seeds = scratch[2];
        for (int u = 0; u < units; u++) {
            LONGS.set(seeds, u * BLOCK, unit + u);
            LONGS.set(seeds, u * BLOCK + 8, 0L);
        }
        try {
            e.tweak.update(seeds, 0, units * BLOCK, seeds, units * BLOCK);
            whiten(seeds, units, in, inOff, scratch[0], 0);
            (encrypt ? e.encrypt : e.decrypt).update(scratch[0], 0, n, out, outOff);
            whiten(seeds, units, out, outOff, out, outOff);
        } catch (ShortBufferException ex) {
            throw new IllegalStateException("AES/ECB returned fewer bytes than it was given", ex);
        }
    }

    /**
     * {@code to = from xor T}, block by block, where the tweaks of data unit {@code u} start at the encrypted seed
     * stored after the plain seeds and advance by multiplication with α in GF(2¹²⁸) (little-endian, IEEE 1619).
     */
    private void whiten(byte[] seeds, int units, byte[] from, int fromOff, byte[] to, int toOff) {
        int encrypted = units * BLOCK;
        for (int u = 0; u < units; u++) {
            long lo = (long) LONGS.get(seeds, encrypted + u * BLOCK);
            long hi = (long) LONGS.get(seeds, encrypted + u * BLOCK + 8);
            int p = u * unitSize;
            int end = p + unitSize;
            for (; p < end; p += BLOCK) {
                LONGS.set(to, toOff + p, (long) LONGS.get(from, fromOff + p) ^ lo);
                LONGS.set(to, toOff + p + 8, (long) LONGS.get(from, fromOff + p + 8) ^ hi);
                long carry = hi >> 63; // all ones when the top bit of the 128-bit value is set
                hi = (hi << 1) | (lo >>> 63);
                lo = (lo << 1) ^ (carry & 0x87);
            }
        }
    }

    private Engine engine() {
        if (closed) {
            throw new IllegalStateException("this XTS-AES key was closed");
        }
        Engine e = idle.poll();
        if (e != null) {
            idleCount.decrementAndGet();
            return e;
        }
        try {
            return new Engine(dataKey, tweakKey);
        } catch (GeneralSecurityException ex) {
            throw new IllegalStateException("the platform cannot run AES/ECB/NoPadding: " + ex.getMessage(), ex);
        }
    }

    private void release(Engine e) {
        if (!closed && idleCount.incrementAndGet() <= MAX_IDLE_ENGINES) {
            idle.offer(e);
        } else {
            idleCount.decrementAndGet();
        }
    }

    /** This thread's scratch arrays, large enough for this key's chunks. */
    private byte[][] scratch() {
        byte[][] s = SCRATCH.get();
        int seeds = 2 * (chunk / unitSize) * BLOCK;
        if (s == null || s[0].length < chunk || s[2].length < seeds) {
            int size = Math.max(chunk, s == null ? 0 : s[0].length);
            s = new byte[][] {new byte[size], new byte[size], new byte[Math.max(seeds, s == null ? 0 : s[2].length)]};
            SCRATCH.set(s);
        }
        return s;
    }

    /** One set of ciphers for this key, used by one thread at a time. */
    private static final class Engine {
        final Cipher encrypt;
        final Cipher decrypt;
        final Cipher tweak;

        Engine(SecretKeySpec dataKey, SecretKeySpec tweakKey) throws GeneralSecurityException {
            encrypt = Cipher.getInstance("AES/ECB/NoPadding");
            encrypt.init(Cipher.ENCRYPT_MODE, dataKey);
            decrypt = Cipher.getInstance("AES/ECB/NoPadding");
            decrypt.init(Cipher.DECRYPT_MODE, dataKey);
            tweak = Cipher.getInstance("AES/ECB/NoPadding");
            tweak.init(Cipher.ENCRYPT_MODE, tweakKey);
        }
    }
}
