package io.weir.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.file.Path;
import java.util.EnumSet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.weir.filter.FilterClass;

class DevelopmentPkiTest {
    @TempDir
    Path dir;

    @Test
    void everyBuildMakesTheSameDevelopmentKeys() throws Exception {
        Pki first = DevelopmentPki.ensure(dir.resolve("a"));
        Pki second = DevelopmentPki.ensure(dir.resolve("b"));
        assertEquals(first.root().getPublicKey(), second.root().getPublicKey());
        assertEquals(first.root().getSubjectX500Principal(), second.root().getSubjectX500Principal());
        assertEquals(first.vendor().certificate().getPublicKey(), second.vendor().certificate().getPublicKey());
        assertEquals(DevelopmentPki.partner(dir.resolve("a")).certificate().getPublicKey(),
                DevelopmentPki.partner(dir.resolve("b")).certificate().getPublicKey());
        assertNotEquals(first.root().getPublicKey(), Pki.init(dir.resolve("c"), "x".toCharArray(), "Other", 1)
                .root().getPublicKey(), "an ordinary PKI has fresh keys");
    }

    @Test
    void developmentPartnerIsEntitledToReplicationAndCacheOnly() throws Exception {
        SigningIdentity partner = DevelopmentPki.partner(dir.resolve("pki"));
        Entitlement e = Entitlement.of(partner.certificate()).orElseThrow();
        assertEquals(SignerRole.PARTNER, e.role());
        assertEquals(EnumSet.of(FilterClass.REPLICATION, FilterClass.CACHE), e.classes());
    }
}
