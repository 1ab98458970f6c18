package io.weir.samples.encryption;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.UnrecoverableKeyException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Set;

import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.SecretKey;

/**
 * The key-encryption key (KEK): an AES-256 secret-key entry of a PKCS#12 keystore, opened with a password read from a
 * file. It wraps and unwraps disks' data keys (AES key wrap with padding, RFC 5649) and has a fingerprint, an
 * HMAC-SHA-256 of a fixed label under the KEK, that identifies it without revealing anything about it.
 */
final class KeyEncryptionKey {
    /** The key-wrap algorithm: RFC 5649, AES key wrap with padding (its integrity check detects a wrong KEK). */
    static final String WRAP = "AES/KWP/NoPadding";
    private static final byte[] FINGERPRINT_LABEL =
            "io.weir.samples.encryption: KEK fingerprint, version 1".getBytes(StandardCharsets.US_ASCII);
    private static final int PASSWORD_FILE_LIMIT = 4096;

    private final String alias;
    private final SecretKey key;
    private final byte[] fingerprint;

    private KeyEncryptionKey(String alias, SecretKey key) throws GeneralSecurityException {
        this.alias = alias;
        this.key = key;
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(key);
        this.fingerprint = mac.doFinal(FINGERPRINT_LABEL);
    }

    /** The KEK {@code key} under {@code alias}, for callers that hold the key itself (tests, tools). */
    static KeyEncryptionKey of(String alias, SecretKey key) throws KeyProblem {
        checkAes256(alias, key, "the key");
        try {
            return new KeyEncryptionKey(alias, key);
        } catch (GeneralSecurityException e) {
            throw new KeyProblem("cannot use KEK '" + alias + "': " + e.getMessage(), e);
        }
    }

    /**
     * Open the KEK {@code alias} of the PKCS#12 keystore {@code keystore}, whose password is the first line of
     * {@code passwordFile} (UTF-8; a trailing newline is not part of it).
     *
     * @throws KeyProblem naming the file, the alias and what is wrong with them
     */
    static KeyEncryptionKey load(Path keystore, Path passwordFile, String alias) throws KeyProblem {
        char[] password = readPassword(passwordFile);
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(keystore)) {
                store.load(in, password);
            } catch (NoSuchFileException e) {
                throw new KeyProblem("keystore " + keystore + " does not exist", e);
            } catch (IOException e) {
                if (e.getCause() instanceof UnrecoverableKeyException) {
                    throw new KeyProblem("cannot open keystore " + keystore + ": the password in " + passwordFile
                            + " is wrong", e);
                }
                throw new KeyProblem("cannot read keystore " + keystore + " as PKCS#12: " + e.getMessage(), e);
            }
            if (!store.containsAlias(alias)) {
                throw new KeyProblem("keystore " + keystore + " has no entry '" + alias + "'");
            }
            if (!store.entryInstanceOf(alias, KeyStore.SecretKeyEntry.class)) {
                throw new KeyProblem("entry '" + alias + "' of keystore " + keystore + " is not a secret key");
            }
            Key key = store.getKey(alias, password);
            if (!(key instanceof SecretKey secret)) {
                throw new KeyProblem("entry '" + alias + "' of keystore " + keystore + " is not a secret key");
            }
            checkAes256(alias, secret, "entry '" + alias + "' of keystore " + keystore);
            return new KeyEncryptionKey(alias, secret);
        } catch (UnrecoverableKeyException e) {
            throw new KeyProblem("cannot read entry '" + alias + "' of keystore " + keystore
                    + ": its password differs from the keystore's", e);
        } catch (KeyStoreException e) {
            throw new KeyProblem("cannot read keystore " + keystore + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new KeyProblem("cannot use entry '" + alias + "' of keystore " + keystore + ": " + e.getMessage(), e);
        } finally {
            Arrays.fill(password, '\0');
        }
    }

    private static void checkAes256(String alias, SecretKey key, String what) throws KeyProblem {
        byte[] encoded = key.getEncoded();
        int bits = encoded == null ? 0 : encoded.length * 8;
        if (encoded != null) {
            Arrays.fill(encoded, (byte) 0);
        }
        if (!"AES".equalsIgnoreCase(key.getAlgorithm()) || bits != 256) {
            throw new KeyProblem(what + " is " + key.getAlgorithm() + (bits == 0 ? "" : "-" + bits)
                    + ", not the AES-256 key a KEK must be (alias '" + alias + "')");
        }
    }

    private static char[] readPassword(Path file) throws KeyProblem {
        byte[] bytes = null;
        try {
            refuseWorldReadable(file);
            if (Files.size(file) > PASSWORD_FILE_LIMIT) {
                throw new KeyProblem("password file " + file + " is larger than " + PASSWORD_FILE_LIMIT
                        + " bytes; it must hold only the keystore password");
            }
            bytes = Files.readAllBytes(file);
            int end = bytes.length;
            for (int i = 0; i < bytes.length; i++) {
                if (bytes[i] == '\n' || bytes[i] == '\r') {
                    end = i;
                    break;
                }
            }
            if (end == 0) {
                throw new KeyProblem("password file " + file + " is empty");
            }
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, 0, end));
            char[] password = new char[chars.remaining()];
            chars.get(password);
            Arrays.fill(chars.array(), '\0');
            return password;
        } catch (NoSuchFileException e) {
            throw new KeyProblem("password file " + file + " does not exist", e);
        } catch (CharacterCodingException e) {
            throw new KeyProblem("password file " + file + " is not UTF-8 text", e);
        } catch (IOException e) {
            throw new KeyProblem("cannot read password file " + file + ": " + e.getMessage(), e);
        } finally {
            if (bytes != null) {
                Arrays.fill(bytes, (byte) 0);
            }
        }
    }

    /** A password anyone on the host may read protects nothing: refuse it, as ssh refuses such a private key. */
    private static void refuseWorldReadable(Path file) throws IOException, KeyProblem {
        PosixFileAttributeView posix = Files.getFileAttributeView(file, PosixFileAttributeView.class);
        if (posix == null) {
            return;
        }
        Set<PosixFilePermission> permissions = posix.readAttributes().permissions();
        if (permissions.contains(PosixFilePermission.OTHERS_READ)) {
            throw new KeyProblem("password file " + file + " is readable by every user of the host; allow only its"
                    + " owner (and group) to read it, e.g. chmod 600");
        }
    }

    String alias() {
        return alias;
    }

    /** HMAC-SHA-256 of a fixed label under this KEK: names the KEK without revealing it. */
    byte[] fingerprint() {
        return fingerprint.clone();
    }

    /** The first 8 bytes of the fingerprint in hex, for messages. */
    String shortFingerprint() {
        return shortHex(fingerprint);
    }

    static String shortHex(byte[] fingerprint) {
        return HexFormat.of().formatHex(fingerprint, 0, Math.min(8, fingerprint.length));
    }

    /** Wrap a data key (RFC 5649). */
    byte[] wrap(byte[] dataKey) throws GeneralSecurityException {
        Cipher c = Cipher.getInstance(WRAP);
        c.init(Cipher.ENCRYPT_MODE, key);
        return c.doFinal(dataKey);
    }

    /** Unwrap a data key; fails when it was wrapped by another KEK or was altered. */
    byte[] unwrap(byte[] wrapped) throws GeneralSecurityException {
        Cipher c = Cipher.getInstance(WRAP);
        c.init(Cipher.DECRYPT_MODE, key);
        return c.doFinal(wrapped);
    }

    /** Why a KEK cannot be used; the message says what to fix. */
    static final class KeyProblem extends Exception {
        private static final long serialVersionUID = 1L;

        KeyProblem(String message) {
            super(message);
        }

        KeyProblem(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
