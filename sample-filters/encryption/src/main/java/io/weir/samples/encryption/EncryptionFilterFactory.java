package io.weir.samples.encryption;

import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

import io.weir.filter.Filter;
import io.weir.filter.FilterClass;
import io.weir.filter.FilterContext;
import io.weir.filter.FilterFactory;
import io.weir.filter.FilterRefusedException;
import io.weir.filter.FilterType;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The {@code encryption} filter (class ENCRYPTION): XTS-AES-256 on every logical block, keyed per disk.
 *
 * <p>At creation the instance finds its disk's data key in its sidecar and unwraps it with the configured KEK, or, on
 * a disk without one, makes a new random data key (stored wrapped at ATTACH). It refuses, with the reason:
 * <ul>
 *   <li>a disk without a key record that is not blank: its data was written without encryption;</li>
 *   <li>a KEK that is not the one that wrapped the disk's key: another alias, another fingerprint, or a wrapped key
 *       that does not unwrap;</li>
 *   <li>a keystore, password file or entry that cannot be read, or is not an AES-256 secret key.</li>
 * </ul>
 * See {@link EncryptionSettings} for the configuration and the module's README for the guarantees.
 */
@Component(service = FilterFactory.class)
@Designate(ocd = EncryptionSettings.class)
@FilterType(filterName = "encryption", filterClass = FilterClass.ENCRYPTION)
public final class EncryptionFilterFactory implements FilterFactory {
    /** Bytes of a data key: two AES-256 keys, K1 (data) and K2 (tweak). */
    static final int DATA_KEY_BYTES = 64;

    private final SecureRandom random;

    /** A factory drawing data keys from a default {@link SecureRandom}. */
    public EncryptionFilterFactory() {
        this(new SecureRandom());
    }

    /** A factory drawing data keys from {@code random}. */
    public EncryptionFilterFactory(SecureRandom random) {
        this.random = Objects.requireNonNull(random, "random");
    }

    @Override
    public Filter create(FilterContext context) throws FilterRefusedException {
        String disk = "disk '" + context.diskId() + "': ";
        EncryptionSettings settings;
        try {
            settings = context.config(EncryptionSettings.class);
        } catch (IllegalArgumentException e) {
            throw new FilterRefusedException(disk + e.getMessage(), e);
        }
        int unit = context.blockSize();
        if (unit <= 0 || unit % 16 != 0) {
            throw new FilterRefusedException(disk + "block size " + unit + " is not a multiple of the AES block");
        }
        KeyEncryptionKey kek;
        try {
            kek = KeyEncryptionKey.load(path(disk, "encryption.keystore", settings.encryption_keystore()),
                    path(disk, "encryption.keystore.passwordFile", settings.encryption_keystore_passwordFile()),
                    required(disk, "encryption.kek.alias", settings.encryption_kek_alias()));
        } catch (KeyEncryptionKey.KeyProblem e) {
            throw new FilterRefusedException(disk + e.getMessage(), e);
        }
        Optional<KeyRecord> stored;
        try {
            stored = KeyRecord.read(context.sidecar());
        } catch (IOException e) {
            throw new FilterRefusedException(disk + "cannot read the sidecar that keeps its wrapped data key: "
                    + e.getMessage(), e);
        } catch (KeyRecord.Malformed e) {
            throw new FilterRefusedException(disk + "the encryption sidecar is unusable: " + e.getMessage());
        }
        boolean discards = settings.encryption_discards();
        if (stored.isPresent()) {
            KeyRecord record = stored.get();
            return new EncryptionFilter(context, open(disk, record, kek, unit), record, false, discards);
        }
        if (!context.blank()) {
            throw new FilterRefusedException(disk + "the disk holds data written without encryption; attach the"
                    + " encryption filter only to a new, empty disk (the filter's sidecar holds no data key for it;"
                    + " a key is removed with its sidecar when the filter is detached)");
        }
        byte[] dataKey = new byte[DATA_KEY_BYTES];
        try {
            do {
                random.nextBytes(dataKey);
            } while (halvesEqual(dataKey));
            KeyRecord record = new KeyRecord(KeyRecord.FORMAT, KeyRecord.CIPHER, unit, kek.alias(), kek.fingerprint(),
                    kek.wrap(dataKey));
            return new EncryptionFilter(context, new XtsAes(dataKey, unit), record, true, discards);
        } catch (GeneralSecurityException e) {
            throw new FilterRefusedException(disk + "cannot wrap a new data key with KEK '" + kek.alias() + "': "
                    + e.getMessage(), e);
        } finally {
            Arrays.fill(dataKey, (byte) 0);
        }
    }

    /** The cipher for {@code record}'s data key, unwrapped with {@code kek} once it proved to be the right KEK. */
    private static XtsAes open(String disk, KeyRecord record, KeyEncryptionKey kek, int unit)
            throws FilterRefusedException {
        String recorded = "KEK '" + record.kekAlias() + "' (fingerprint "
                + KeyEncryptionKey.shortHex(record.kekFingerprint()) + ")";
        if (!KeyRecord.CIPHER.equals(record.cipher())) {
            throw new FilterRefusedException(disk + "its data is encrypted with " + record.cipher()
                    + ", which this filter does not implement (it implements " + KeyRecord.CIPHER + ")");
        }
        if (record.dataUnit() != unit) {
            throw new FilterRefusedException(disk + "its data was encrypted in " + record.dataUnit()
                    + "-byte data units, but the disk's block size is " + unit);
        }
        if (!record.kekAlias().equals(kek.alias())) {
            throw new FilterRefusedException(disk + "its data key is wrapped by " + recorded
                    + ", but encryption.kek.alias names '" + kek.alias() + "'; configure the alias and keystore of"
                    + " that KEK");
        }
        if (!MessageDigest.isEqual(record.kekFingerprint(), kek.fingerprint())) {
            throw new FilterRefusedException(disk + "keystore entry '" + kek.alias() + "' (fingerprint "
                    + kek.shortFingerprint() + ") is not the KEK that wrapped the disk's data key, " + recorded
                    + "; refusing to use it");
        }
        byte[] dataKey = null;
        try {
            dataKey = kek.unwrap(record.wrappedKey());
            if (dataKey.length != DATA_KEY_BYTES) {
                throw new FilterRefusedException(disk + "the unwrapped data key is " + dataKey.length
                        + " bytes, not " + DATA_KEY_BYTES);
            }
            return new XtsAes(dataKey, unit);
        } catch (GeneralSecurityException e) {
            throw new FilterRefusedException(disk + "its wrapped data key does not unwrap with " + recorded
                    + " although the fingerprint matches: the sidecar's wrapped key was altered or damaged", e);
        } catch (IllegalArgumentException e) {
            throw new FilterRefusedException(disk + "its data key is unusable: " + e.getMessage(), e);
        } finally {
            if (dataKey != null) {
                Arrays.fill(dataKey, (byte) 0);
            }
        }
    }

    private static boolean halvesEqual(byte[] key) {
        int half = key.length / 2;
        return Arrays.equals(key, 0, half, key, half, key.length);
    }

    private static String required(String disk, String key, String value) throws FilterRefusedException {
        if (value == null || value.isBlank()) {
            throw new FilterRefusedException(disk + key + " is not set; the encryption filter needs "
                    + "encryption.keystore, encryption.keystore.passwordFile and encryption.kek.alias");
        }
        return value;
    }

    private static Path path(String disk, String key, String value) throws FilterRefusedException {
        try {
            return Path.of(required(disk, key, value));
        } catch (InvalidPathException e) {
            throw new FilterRefusedException(disk + key + " is not a path: " + e.getMessage(), e);
        }
    }
}
