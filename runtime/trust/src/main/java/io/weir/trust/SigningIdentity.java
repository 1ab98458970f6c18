package io.weir.trust;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.PrivateKey;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * A private key with its certificate chain (leaf first): the vendor's signing identity or a partner's. Stored as a
 * password-protected PKCS#12 file whose key entry is named {@value #ALIAS}.
 */
public final class SigningIdentity {
    /** The alias of the key entry in the PKCS#12 files this class writes. */
    public static final String ALIAS = "signer";
    private static final String KEYSTORE_TYPE = "PKCS12";

    private final PrivateKey privateKey;
    private final List<X509Certificate> chain;

    private SigningIdentity(PrivateKey privateKey, List<X509Certificate> chain) {
        this.privateKey = Objects.requireNonNull(privateKey, "privateKey");
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("a signing identity needs at least its own certificate");
        }
        this.chain = List.copyOf(chain);
    }

    /** An identity from a key and its chain, leaf first. */
    public static SigningIdentity of(PrivateKey privateKey, List<X509Certificate> chain) {
        return new SigningIdentity(privateKey, chain);
    }

    /**
     * Loads an identity from a PKCS#12 file: its key entry {@value #ALIAS}, or its only key entry.
     *
     * @throws IOException when the file cannot be read, is not PKCS#12, or the password is wrong
     * @throws GeneralSecurityException when the file holds no usable key entry, or several and none named {@value #ALIAS}
     */
    public static SigningIdentity load(Path pkcs12, char[] password) throws IOException, GeneralSecurityException {
        KeyStore store = loadKeyStore(pkcs12, password);
        List<String> keyAliases = new ArrayList<>();
        for (String alias : Collections.list(store.aliases())) {
            if (store.isKeyEntry(alias)) {
                keyAliases.add(alias);
            }
        }
        String alias;
        if (keyAliases.contains(ALIAS)) {
            alias = ALIAS;
        } else if (keyAliases.size() == 1) {
            alias = keyAliases.get(0);
        } else if (keyAliases.isEmpty()) {
            throw new KeyStoreException(pkcs12 + " holds no private key entry");
        } else {
            throw new KeyStoreException(pkcs12 + " holds " + keyAliases.size() + " key entries " + keyAliases
                    + " and none is named '" + ALIAS + "'");
        }
        return fromEntry(store, alias, password, pkcs12);
    }

    /** Reads one key entry of a loaded key store. */
    static SigningIdentity fromEntry(KeyStore store, String alias, char[] password, Path file)
            throws GeneralSecurityException {
        Key key;
        try {
            key = store.getKey(alias, password);
        } catch (UnrecoverableKeyException e) {
            throw new UnrecoverableKeyException("cannot recover the key '" + alias + "' of " + file
                    + " with the store's password: " + e.getMessage());
        }
        if (!(key instanceof PrivateKey privateKey)) {
            throw new KeyStoreException("entry '" + alias + "' of " + file + " is not a private key");
        }
        Certificate[] certificates = store.getCertificateChain(alias);
        if (certificates == null || certificates.length == 0) {
            throw new KeyStoreException("key entry '" + alias + "' of " + file + " has no certificate chain");
        }
        List<X509Certificate> chain = new ArrayList<>();
        for (Certificate certificate : certificates) {
            if (!(certificate instanceof X509Certificate x509)) {
                throw new KeyStoreException("key entry '" + alias + "' of " + file + " has a non-X.509 certificate");
            }
            chain.add(x509);
        }
        return new SigningIdentity(privateKey, chain);
    }

    /** Loads a password-protected PKCS#12 key store, turning a wrong password into a plain message. */
    static KeyStore loadKeyStore(Path pkcs12, char[] password) throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance(KEYSTORE_TYPE);
        try (InputStream in = Files.newInputStream(pkcs12)) {
            store.load(in, password);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(pkcs12.toString(), null, "no such PKCS#12 file");
        } catch (IOException e) {
            if (e.getCause() instanceof UnrecoverableKeyException) {
                throw new IOException("wrong password for " + pkcs12 + " (or the file is damaged)", e);
            }
            throw new IOException("cannot read " + pkcs12 + " as PKCS#12: " + e.getMessage(), e);
        }
        return store;
    }

    /** Writes this identity as a password-protected PKCS#12 file with the key entry {@value #ALIAS}; replaces the file atomically. */
    public void store(Path pkcs12, char[] password) throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance(KEYSTORE_TYPE);
        store.load(null, null);
        store.setKeyEntry(ALIAS, privateKey, password, chain.toArray(new Certificate[0]));
        X509.writeAtomically(pkcs12, encode(store, password));
    }

    /** The PKCS#12 encoding of a key store. */
    static byte[] encode(KeyStore store, char[] password) throws IOException, GeneralSecurityException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        store.store(bytes, password);
        return bytes.toByteArray();
    }

    /** The private key. */
    public PrivateKey privateKey() {
        return privateKey;
    }

    /** The signing certificate: the first of the chain. */
    public X509Certificate certificate() {
        return chain.get(0);
    }

    /** The certificate chain, leaf first. */
    public List<X509Certificate> chain() {
        return chain;
    }

    @Override
    public String toString() {
        return "SigningIdentity[" + X509.subject(certificate()) + "]";
    }
}
