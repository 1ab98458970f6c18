package io.weir.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrustStoreTest {
    @TempDir
    Path dir;

    @Test
    void loadReadsPemAndDerRootsAndCrlsAndIgnoresOtherFiles() throws Exception {
        Pki first = Pki.init(dir.resolve("first"), "pw".toCharArray(), "First", 5);
        Pki second = Pki.init(dir.resolve("second"), "pw".toCharArray(), "Second", 5);
        Path trust = Files.createDirectories(dir.resolve("trust"));
        Files.copy(first.rootCertificateFile(), trust.resolve("first.pem"));
        Files.write(trust.resolve("second.crt"), second.root().getEncoded());
        Files.copy(first.crlFile(), trust.resolve("first.crl"));
        Files.write(trust.resolve("second.crl"), second.crl().getEncoded());
        Files.writeString(trust.resolve("README.txt"), "roots of the operator");

        TrustStore store = TrustStore.load(trust);
        assertEquals(List.of(first.root(), second.root()), store.roots());
        assertEquals(List.of(first.crl(), second.crl()), store.crls());
    }

    @Test
    void aBadFileIsAnErrorNamingIt() throws Exception {
        Path trust = Files.createDirectories(dir.resolve("trust"));
        Files.writeString(trust.resolve("broken.pem"), "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
        IOException e = assertThrows(IOException.class, () -> TrustStore.load(trust));
        assertTrue(e.getMessage().contains("broken.pem"), e.getMessage());

        Files.delete(trust.resolve("broken.pem"));
        Files.writeString(trust.resolve("revocations.crl"), "nonsense");
        IOException crl = assertThrows(IOException.class, () -> TrustStore.load(trust));
        assertTrue(crl.getMessage().contains("revocations.crl"), crl.getMessage());
    }

    @Test
    void aMissingDirectoryIsAnErrorNamingIt() {
        IOException e = assertThrows(IOException.class, () -> TrustStore.load(dir.resolve("absent")));
        assertTrue(e.getMessage().contains("absent"), e.getMessage());
    }
}
