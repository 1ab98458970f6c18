package io.weir.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weir.filter.FilterClass;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStoreException;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SigningIdentityTest {
    @TempDir
    Path dir;

    @Test
    void storeThenLoadGivesTheSameKeyAndChain() throws Exception {
        Pki pki = Pki.init(dir.resolve("pki"), "pw".toCharArray(), "Vendor", 5);
        SigningIdentity partner = pki.issuePartner("Acme", Set.of(FilterClass.CACHE), 5);
        Path file = dir.resolve("acme.p12");
        partner.store(file, "partner-pw".toCharArray());
        SigningIdentity loaded = SigningIdentity.load(file, "partner-pw".toCharArray());
        assertEquals(partner.privateKey(), loaded.privateKey());
        assertEquals(partner.chain(), loaded.chain());
        assertEquals(partner.certificate(), loaded.certificate());
    }

    @Test
    void loadWithTheWrongPasswordSaysSoNamingTheFile() throws Exception {
        Pki pki = Pki.init(dir.resolve("pki"), "pw".toCharArray(), "Vendor", 5);
        Path file = dir.resolve("vendor.p12");
        pki.vendor().store(file, "right".toCharArray());
        IOException e = assertThrows(IOException.class, () -> SigningIdentity.load(file, "wrong".toCharArray()));
        assertTrue(e.getMessage().contains("wrong password") && e.getMessage().contains("vendor.p12"), e.getMessage());
    }

    @Test
    void loadOfAFileWithSeveralKeysAndNoSignerAliasNamesTheAliases() throws Exception {
        Pki.init(dir.resolve("pki"), "pw".toCharArray(), "Vendor", 5);
        KeyStoreException e = assertThrows(KeyStoreException.class,
                () -> SigningIdentity.load(dir.resolve("pki").resolve(Pki.KEYSTORE_FILE), "pw".toCharArray()));
        assertTrue(e.getMessage().contains(Pki.ROOT_ALIAS) && e.getMessage().contains(Pki.VENDOR_ALIAS), e.getMessage());
    }

    @Test
    void loadOfAFileThatIsNotPkcs12NamesIt() throws Exception {
        Path file = Files.writeString(dir.resolve("notes.p12"), "not a key store");
        IOException e = assertThrows(IOException.class, () -> SigningIdentity.load(file, "pw".toCharArray()));
        assertTrue(e.getMessage().contains("notes.p12"), e.getMessage());
    }
}
