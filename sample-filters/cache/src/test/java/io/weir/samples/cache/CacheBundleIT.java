package io.weir.samples.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.weir.certification.BundleFacts;
import io.weir.trust.DevelopmentPki;
import io.weir.trust.Verdict;

/** Checks the signed bundle the build produced: what an OSGi framework and the Weir runtime will read from it. */
class CacheBundleIT {
    private static Path property(String name) {
        String path = System.getProperty(name);
        assertNotNull(path, "system property " + name + " is set by the build; run through mvn verify");
        return Path.of(path);
    }

    @Test
    void theBundleDeclaresOneCacheFilterImportsOnlyTheFilterApiAndExportsNothing() throws IOException {
        BundleFacts facts = BundleFacts.read(property("weir.bundle"));
        assertEquals("weir-sample-cache", facts.symbolicName());
        assertEquals(List.of("CACHE"), facts.declaredClasses());
        assertEquals(List.of(new BundleFacts.FilterComponent("io.weir.samples.cache.CacheFilterFactory", "cache",
                "CACHE")), facts.filters());
        assertEquals(List.of("io.weir.filter"), facts.frameworkImports());
        assertEquals(List.of(), facts.exports());
    }

    @Test
    void theMetatypeDeclaresEverySettingKey() throws IOException {
        assertEquals(List.of("cache.mode", "mode", "cache.directory", "cache.size", "cache.block.size",
                "cache.writeback.high", "cache.writeback.low", "cache.flush"),
                BundleFacts.read(property("weir.bundle")).settings().get("io.weir.samples.cache.CacheFilterFactory"));
    }

    @Test
    void thePartnerSignedBundlePassesTheRuntimesVerifier() throws Exception {
        Verdict verdict = DevelopmentPki.verifier(property("weir.devpki.dir")).verify(property("weir.bundle"));
        assertTrue(verdict.accepted(), verdict.reasons().toString());
    }
}
