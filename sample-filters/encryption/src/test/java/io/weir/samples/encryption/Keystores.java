package io.weir.samples.encryption;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.HashMap;
import java.util.Map;

import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;

/**
 * Real PKCS#12 keystores with AES secret-key entries, as {@code keytool -genseckey -storetype PKCS12 -keyalg AES
 * -keysize 256} makes them, and password files readable by their owner only.
 */
final class Keystores {
    static final String PASSWORD = "correct horse battery staple";

    private final Path dir;

    Keystores(Path dir) {
        this.dir = dir;
    }

    static SecretKey aesKey(int bits) throws GeneralSecurityException {
        KeyGenerator g = KeyGenerator.getInstance("AES");
        g.init(bits);
        return g.generateKey();
    }

    /** A keystore {@code name}.p12 holding {@code entries} (alias to key), with {@link #PASSWORD}. */
    Path keystore(String name, Map<String, SecretKey> entries) throws IOException, GeneralSecurityException {
        return keystore(name, entries, PASSWORD);
    }

    Path keystore(String name, Map<String, SecretKey> entries, String password)
            throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        KeyStore.PasswordProtection protection = new KeyStore.PasswordProtection(password.toCharArray());
        for (Map.Entry<String, SecretKey> e : entries.entrySet()) {
            ks.setEntry(e.getKey(), new KeyStore.SecretKeyEntry(e.getValue()), protection);
        }
        Path file = dir.resolve(name + ".p12");
        try (OutputStream out = Files.newOutputStream(file)) {
            ks.store(out, password.toCharArray());
        }
        return file;
    }

    /** A password file holding {@code password} and a newline, mode 0600. */
    Path passwordFile(String name, String password) throws IOException {
        Path file = dir.resolve(name + ".pass");
        Files.writeString(file, password + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    /** The filter configuration naming {@code keystore}, {@code passwordFile} and {@code alias}. */
    static Map<String, Object> config(Path keystore, Path passwordFile, String alias) {
        Map<String, Object> c = new HashMap<>();
        c.put("encryption.keystore", keystore.toString());
        c.put("encryption.keystore.passwordFile", passwordFile.toString());
        c.put("encryption.kek.alias", alias);
        return c;
    }
}
