package io.weir.samples.encryption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

import org.junit.jupiter.api.Test;

import io.weir.certification.BundleFacts;
import io.weir.trust.DevelopmentPki;
import io.weir.trust.Reason;
import io.weir.trust.ReasonCode;
import io.weir.trust.Verdict;

/** Checks the signed bundle the build produced, and that only the vendor may ship it. */
class EncryptionBundleIT {
    private static Path property(String name) {
        String path = System.getProperty(name);
        assertNotNull(path, "system property " + name + " is set by the build; run through mvn verify");
        return Path.of(path);
    }

    private static Path bundle() {
        return property("weir.bundle");
    }

    @Test
    void theBundleDeclaresOneEncryptionFilterImportsOnlyTheFilterApiAndJdkCryptoAndExportsNothing()
            throws IOException {
        BundleFacts facts = BundleFacts.read(bundle());
        assertEquals("weir-sample-encryption", facts.symbolicName());
        assertEquals(List.of("ENCRYPTION"), facts.declaredClasses());
        assertEquals(List.of(new BundleFacts.FilterComponent("io.weir.samples.encryption.EncryptionFilterFactory",
                "encryption", "ENCRYPTION")), facts.filters());
        assertEquals(List.of("io.weir.filter", "javax.crypto", "javax.crypto.spec"), facts.frameworkImports());
        assertEquals(List.of(), facts.exports());
    }

    @Test
    void theMetatypeDeclaresEverySettingKey() throws IOException {
        assertEquals(List.of("encryption.keystore", "encryption.keystore.passwordFile", "encryption.kek.alias",
                "encryption.discards"),
                BundleFacts.read(bundle()).settings().get("io.weir.samples.encryption.EncryptionFilterFactory"));
    }

    @Test
    void everyEntryOfTheBundleIsSigned() throws IOException {
        try (JarFile jar = new JarFile(bundle().toFile(), true)) {
            for (JarEntry e : jar.stream().toList()) {
                if (e.isDirectory() || e.getName().startsWith("META-INF/")) {
                    continue;
                }
                try (InputStream in = jar.getInputStream(e)) {
                    in.readAllBytes();
                }
                assertNotNull(e.getCodeSigners(), e.getName() + " is not signed");
            }
        }
    }

    @Test
    void theVendorSignedBundlePassesTheRuntimesVerifier() throws Exception {
        Verdict verdict = DevelopmentPki.verifier(property("weir.devpki.dir")).verify(bundle());
        assertTrue(verdict.accepted(), verdict.reasons().toString());
    }

    @Test
    void aPartnerSignedCopyIsRefusedBecauseEncryptionIsVendorOnly() throws Exception {
        Verdict verdict = DevelopmentPki.verifyAsPartner(property("weir.devpki.dir"), bundle());
        assertFalse(verdict.accepted());
        assertTrue(verdict.has(ReasonCode.VENDOR_ONLY), verdict.reasons().toString());
        Reason reason = verdict.reasons().stream().filter(r -> r.code() == ReasonCode.VENDOR_ONLY).findFirst()
                .orElseThrow();
        assertTrue(reason.message().contains("ENCRYPTION"), reason.message());
    }
}
