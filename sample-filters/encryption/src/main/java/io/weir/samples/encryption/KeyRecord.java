package io.weir.samples.encryption;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import io.weir.filter.Sidecar;

/**
 * What the filter keeps in its sidecar on a disk: the format version, the cipher and data unit, the KEK's alias and
 * fingerprint, and the data key wrapped by that KEK. Nothing in it is secret: the data key is only stored wrapped.
 * All entries are written in one atomic sidecar update.
 *
 * @param format         version of this layout ({@value #FORMAT})
 * @param cipher         the data cipher ({@value #CIPHER})
 * @param dataUnit       bytes per XTS data unit: the disk's block size
 * @param kekAlias       the keystore entry that wrapped the data key
 * @param kekFingerprint {@link KeyEncryptionKey#fingerprint()} of that KEK
 * @param wrappedKey     the data key {@code K1 || K2}, wrapped with RFC 5649
 */
record KeyRecord(int format, String cipher, int dataUnit, String kekAlias, byte[] kekFingerprint, byte[] wrappedKey) {
    static final int FORMAT = 1;
    static final String CIPHER = "AES-256-XTS";
    static final String FORMAT_KEY = "encryption.format";
    static final String CIPHER_KEY = "encryption.cipher";
    static final String DATA_UNIT_KEY = "encryption.dataUnit";
    static final String KEK_ALIAS_KEY = "encryption.kek.alias";
    static final String KEK_FINGERPRINT_KEY = "encryption.kek.fingerprint";
    static final String WRAPPED_KEY_KEY = "encryption.dek.wrapped";
    static final List<String> KEYS = List.of(FORMAT_KEY, CIPHER_KEY, DATA_UNIT_KEY, KEK_ALIAS_KEY, KEK_FINGERPRINT_KEY,
            WRAPPED_KEY_KEY);

    KeyRecord {
        kekFingerprint = kekFingerprint.clone();
        wrappedKey = wrappedKey.clone();
    }

    @Override
    public byte[] kekFingerprint() {
        return kekFingerprint.clone();
    }

    @Override
    public byte[] wrappedKey() {
        return wrappedKey.clone();
    }

    /**
     * The record in {@code sidecar}, or empty when the sidecar holds none of its entries.
     *
     * @throws IOException   the sidecar cannot be read
     * @throws Malformed     some entries are missing or unreadable, or the format is unknown
     */
    static Optional<KeyRecord> read(Sidecar sidecar) throws IOException, Malformed {
        Map<String, byte[]> values = new LinkedHashMap<>();
        for (String key : KEYS) {
            sidecar.get(key).ifPresent(v -> values.put(key, v));
        }
        if (values.isEmpty()) {
            return Optional.empty();
        }
        if (values.size() != KEYS.size()) {
            Set<String> missing = new TreeSet<>(KEYS);
            missing.removeAll(values.keySet());
            throw new Malformed("its key record is incomplete (missing " + missing + ")");
        }
        int format = integer(values.get(FORMAT_KEY), FORMAT_KEY);
        if (format != FORMAT) {
            throw new Malformed("its key record has format " + format + "; this filter reads format " + FORMAT
                    + " only (was it written by a newer version?)");
        }
        return Optional.of(new KeyRecord(format, text(values.get(CIPHER_KEY)),
                integer(values.get(DATA_UNIT_KEY), DATA_UNIT_KEY), text(values.get(KEK_ALIAS_KEY)),
                values.get(KEK_FINGERPRINT_KEY), values.get(WRAPPED_KEY_KEY)));
    }

    /** The sidecar entries of this record. */
    Map<String, byte[]> entries() {
        Map<String, byte[]> e = new LinkedHashMap<>();
        e.put(FORMAT_KEY, ByteBuffer.allocate(4).putInt(0, format).array());
        e.put(CIPHER_KEY, cipher.getBytes(StandardCharsets.UTF_8));
        e.put(DATA_UNIT_KEY, ByteBuffer.allocate(4).putInt(0, dataUnit).array());
        e.put(KEK_ALIAS_KEY, kekAlias.getBytes(StandardCharsets.UTF_8));
        e.put(KEK_FINGERPRINT_KEY, kekFingerprint.clone());
        e.put(WRAPPED_KEY_KEY, wrappedKey.clone());
        return e;
    }

    /**
     * A value that identifies this data key without revealing it (a digest of the wrapped key), which an outgoing
     * instance hands its successor so the successor can tell it serves the same key.
     */
    byte[] keyCheck() {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(kekFingerprint);
            return sha.digest(wrappedKey);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the platform has no SHA-256", e);
        }
    }

    private static int integer(byte[] v, String key) throws Malformed {
        if (v.length != 4) {
            throw new Malformed("its entry " + key + " is " + v.length + " bytes, not 4");
        }
        return ByteBuffer.wrap(v).getInt();
    }

    private static String text(byte[] v) {
        return new String(v, StandardCharsets.UTF_8);
    }

    /** The sidecar holds a key record this filter cannot use as it is. */
    static final class Malformed extends Exception {
        private static final long serialVersionUID = 1L;

        Malformed(String message) {
            super(message);
        }
    }
}
